import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile, treeFromTenantTree } from '../../src/reconcile/index.js';
import { readTenantTree, renderJson, typeFolder } from '../../src/snapshot/index.js';
import { findResource } from '../../src/resources/catalogue.js';
import { snapshotTree, tempRepo, tenantFor } from '../backup/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { apply, backup, type Obj } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => {
  await sim?.close();
});

describe('a plan made by reconcile', () => {
  it('is applied, and the next backup gives exactly the desired files', async () => {
    const repo = await backup(sim, await tempRepo());
    const defs = tenantFor(sim).types;
    // The desired repository: the tenant's files, edited.
    const desiredRoot = await tempRepo();
    await cp(join(repo.root, 'tenants'), join(desiredRoot, 'tenants'), { recursive: true });
    const folder = (type: string) => join(desiredRoot, typeFolder('contoso', findResource(type)!));
    const caFile = join(folder('conditionalAccessPolicies'), 'Block legacy auth_ all users_apps.json');
    const ca = JSON.parse(await readFile(caFile, 'utf8')) as Obj;
    ca.state = 'disabled';
    await writeFile(caFile, renderJson(ca));
    const nl = JSON.parse(await readFile(join(folder('namedLocations'), 'IPv4 named location.json'), 'utf8')) as Obj;
    await writeFile(join(folder('namedLocations'), 'Branch office.json'), renderJson({ ...nl, displayName: 'Branch office' }));
    await rm(join(folder('deviceConfigurations'), 'Windows Update ring - Pilot.json'));

    const tenantTree = treeFromTenantTree(await readTenantTree(repo.root, 'contoso', defs));
    const desired = treeFromTenantTree(await readTenantTree(desiredRoot, 'contoso', defs));
    const { plan } = reconcile({ tenantName: 'contoso', defs, base: tenantTree, tenant: tenantTree, desired, idMap: repo.ids });
    expect(plan.items.map((i) => `${i.action} ${i.type} ${i.name}`).sort()).toEqual([
      'create namedLocations Branch office',
      'delete deviceConfigurations Windows Update ring - Pilot',
      'update conditionalAccessPolicies Block legacy auth: all users/apps',
    ]);

    sim.clearWrites();
    const record = await apply(sim, repo, plan, { recordFile: join(desiredRoot, 'record.json') });
    expect(record.status).toBe('succeeded');
    expect(sim.writes().map((w) => w.method)).toEqual(['POST', 'PATCH', 'DELETE']);

    await backup(sim, repo.root);
    const hashes = async (root: string) =>
      [...(await snapshotTree(join(root, 'tenants')))].map(([path, { hash }]) => [path, hash]).sort();
    expect(await hashes(repo.root)).toEqual(await hashes(desiredRoot));
  });
});
