import fc from 'fast-check';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile, treeFromTenantTree } from '../../src/reconcile/index.js';
import { findResource, resources } from '../../src/resources/catalogue.js';
import { isReadOnlyObject } from '../../src/resources/definition.js';
import { readTenantTree, renderJson, safeFileName, typeFolder } from '../../src/snapshot/index.js';
import { snapshotTree, tenantFor } from '../backup/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { apply, backup } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => sim?.close());

/** Types whose objects a plan can create, update and delete freely, with a property every object has */
const editable = [
  { type: 'namedLocations', property: 'displayName' },
  { type: 'assignmentFilters', property: 'description' },
  { type: 'roleScopeTags', property: 'description' },
  { type: 'deviceCompliancePolicies', property: 'description' },
  { type: 'deviceConfigurations', property: 'description' },
  { type: 'configurationPolicies', property: 'description' },
] as const;

const editArb = fc.record({
  typeIndex: fc.nat({ max: editable.length - 1 }),
  objectIndex: fc.nat({ max: 10 }),
  kind: fc.constantFrom('update', 'create', 'delete'),
  text: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{2,20}$/),
});

describe('property: any approved plan, applied to the simulated tenant, makes it equal to the desired files', () => {
  it('holds for random updates, creates and deletes across types', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 6 }), async (edits) => {
        sim.reset();
        sim.clearWrites();
        const repo = await backup(sim, await mkdtemp(join(tmpdir(), 'tenant-sync-prop-')));
        const desiredRoot = await mkdtemp(join(tmpdir(), 'tenant-sync-prop-desired-'));
        await cp(join(repo.root, 'tenants'), join(desiredRoot, 'tenants'), { recursive: true });
        const defs = tenantFor(sim).types;
        const touched = new Set<string>();
        for (const edit of edits) {
          const { type, property } = editable[edit.typeIndex]!;
          const def = findResource(type)!;
          const folder = join(desiredRoot, typeFolder('contoso', def));
          const files = Object.keys(repo.ids[type] ?? {}).sort();
          const file = files[edit.objectIndex % files.length]!;
          if (touched.has(`${type}/${file}`)) continue;
          touched.add(`${type}/${file}`);
          const path = join(folder, `${file}.json`);
          const obj = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
          if (isReadOnlyObject(def, obj)) continue;
          if (edit.kind === 'update' && property !== 'displayName') {
            await writeFile(path, renderJson({ ...obj, [property]: edit.text }));
          } else if (edit.kind === 'create' || (edit.kind === 'update' && property === 'displayName')) {
            const name = `New ${edit.text}`;
            if (files.includes(safeFileName(name))) continue;
            await writeFile(join(folder, `${safeFileName(name)}.json`), renderJson({ ...obj, [def.nameField]: name }));
          } else if (edit.kind === 'delete') {
            // Never delete what other desired objects name (that is a plan error, tested elsewhere)
            if (type === 'namedLocations' || type === 'assignmentFilters' || type === 'roleScopeTags') continue;
            await rm(path);
          }
        }
        const tenantTree = treeFromTenantTree(await readTenantTree(repo.root, 'contoso', resources));
        const desired = treeFromTenantTree(await readTenantTree(desiredRoot, 'contoso', resources));
        const { plan } = reconcile({ tenantName: 'contoso', defs, base: tenantTree, tenant: tenantTree, desired, idMap: repo.ids, deleteGuard: { allow: true } });
        expect(plan.errors).toEqual([]);
        const record = await apply(sim, repo, plan, { recordFile: join(desiredRoot, 'record.json') });
        expect(record.status === 'succeeded' || plan.items.length === 0).toBe(true);
        // One main write per planned object, plus /assign and action calls
        const main = sim.writes().filter((w) => !/\/(assign|updateAllowedCombinations|targetApps|setPriority)$/.test(w.path));
        expect(main).toHaveLength(plan.items.length);

        await backup(sim, repo.root);
        const hashes = async (root: string) => [...(await snapshotTree(join(root, 'tenants')))].map(([p, { hash }]) => [p, hash]).sort();
        const [got, want] = [await hashes(repo.root), await hashes(desiredRoot)];
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          const wantMap = new Map(want.map(([p, h]) => [p, h]));
          for (const [p, h] of got) {
            if (wantMap.get(p!) !== h) console.log('DIFF', p, '\n', await readFile(join(repo.root, 'tenants', p!), 'utf8').catch(() => 'missing'), '\nWANT\n', await readFile(join(desiredRoot, 'tenants', p!), 'utf8').catch(() => 'missing'));
          }
          for (const [p] of want) if (!got.some(([q]) => q === p)) console.log('MISSING', p);
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 8, seed: 20261123 },
    );
  });
});
