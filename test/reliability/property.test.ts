/**
 * Property, end to end against the tenant simulator: for a random small tenant (named locations,
 * conditional access policies naming them and groups, compliance policies) and random edits of the
 * desired files (create, update a property, delete, rename), backing up, reconciling
 * (base = tenant = the backup, desired = the edited files) and applying the plan with an approval
 *
 * - writes to the tenant exactly what the plan says: every item the record calls applied is, backed
 *   up again, the desired object; nothing the plan does not name changed (the simulator's raw
 *   objects, every type, lookups included);
 * - sends exactly the write requests the record lists (count, order, method, path, status);
 * - converges: a second reconcile against a fresh backup plans nothing (the errors and held deletes
 *   of the first plan, which are not applied, stay as they were).
 *
 * Differs from test/deploy/property.test.ts (hand-made plans on the fixtures): the tenant is
 * generated per run, the plan comes from reconcile, renames and references across types
 * (a conditional access policy naming a named location created or renamed in the same plan) are
 * generated, and the raw tenant is checked beyond the planned objects.
 *
 * PROPERTY_SEED and PROPERTY_RUNS override the seed and the number of runs; PROPERTY_SHRINK=1
 * shrinks a counterexample (slow).
 */
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../src/config/load.js';
import { applyPlan, updateWrite } from '../../src/deploy/index.js';
import { backupTenant } from '../../src/engine/backup.js';
import { connect } from '../../src/engine/connect.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { reconcile, treeFromTenantTree, type IdMap, type Plan, type Tree } from '../../src/reconcile/index.js';
import { resources } from '../../src/resources/catalogue.js';
import { fileNameFoldKey } from '../../src/snapshot/naming.js';
import { readTenantTree, renderJson, safeFileName } from '../../src/snapshot/index.js';
import { simEnv, tenantFor } from '../backup/helpers.js';
import type { Obj } from '../deploy/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { DEFS, pathOnly, rawDiff, rawState, smallTenant, TYPES, TYPES_CONFIG } from './property-support.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20260611);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 20);
const SHRINK = process.env.PROPERTY_SHRINK === '1';

let sim: Simulator;
let tenant: TenantConfig;
const work: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
  tenant = tenantFor(sim, TYPES_CONFIG);
});
afterAll(async () => {
  await sim?.close();
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// edits

type EditKind = 'update' | 'create' | 'delete' | 'rename' | 'swap' | 'move';
interface Edit {
  kind: EditKind;
  type: number;
  pick: number;
  variant: number;
  text: string;
  /** rename of a named location: also rename it in the desired conditional access policies */
  fixReferences: boolean;
}

const textArb = fc.oneof(fc.constantFrom('Alpha', 'Beta', 'Gamma'), fc.stringMatching(/^[A-Z][a-z]{2,7}$/));
const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom<EditKind>('update', 'update', 'update', 'create', 'create', 'delete', 'rename', 'rename', 'swap', 'move'),
  type: fc.nat({ max: TYPES.length - 1 }),
  pick: fc.nat({ max: 50 }),
  variant: fc.nat({ max: 1000 }),
  text: textArb,
  fixReferences: fc.boolean(),
});
const caseArb = fc.record({
  tenantSeed: fc.integer({ min: 1, max: 1_000_000 }),
  extra: fc.integer({ min: 0, max: 8 }),
  edits: fc.array(editArb, { minLength: 1, maxLength: 6 }),
});

const COUNTRIES = ['US', 'CA', 'FR', 'DE', 'GB', 'JP', 'BR'];
const CA_STATES = ['enabled', 'disabled', 'enabledForReportingButNotEnforced'];

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const normalised = (o: Obj): Obj => JSON.parse(renderJson(o)) as Obj;

function nameOf(type: string, o: Obj): string {
  return String(o[DEFS.find((d) => d.type === type)!.nameField]);
}

/** Applies one edit to the desired tree (in place); returns a description, or undefined when it did not apply */
function applyEdit(desired: Tree, edit: Edit, groups: readonly string[]): string | undefined {
  const type = TYPES[edit.type]!;
  const list = desired[type]!;
  const locationNames = desired['namedLocations']!.map((e) => nameOf('namedLocations', e.object));
  if (edit.kind === 'create') {
    const source = list.length > 0 ? list[edit.pick % list.length]!.object : undefined;
    if (!source) return undefined;
    const name = `New ${edit.text}`;
    const file = safeFileName(name);
    if (list.some((e) => fileNameFoldKey(e.file) === fileNameFoldKey(file))) return undefined;
    list.push({ file, object: normalised({ ...clone(source), displayName: name }) });
    return `create ${type} '${name}' from '${nameOf(type, source)}'`;
  }
  if (list.length === 0) return undefined;
  const index = edit.pick % list.length;
  const entry = list[index]!;
  const old = nameOf(type, entry.object);
  if (edit.kind === 'delete') {
    list.splice(index, 1);
    return `delete ${type} '${old}'`;
  }
  if (edit.kind === 'swap') {
    // Two objects of one kind exchange their names (the file names stay). Reconcile matches by name
    // first, so this is a swap of contents; across kinds (@odata.type) see the test at the end.
    const same = list.filter((e) => e !== entry && e.object['@odata.type'] === entry.object['@odata.type']);
    if (same.length === 0) return undefined;
    const other = same[edit.variant % same.length]!;
    const otherName = nameOf(type, other.object);
    entry.object = normalised({ ...entry.object, displayName: otherName });
    other.object = normalised({ ...other.object, displayName: old });
    return `swap ${type} names '${old}' <-> '${otherName}'`;
  }
  if (edit.kind === 'move') {
    // Only the file name changes: the same object under another file name
    const file = safeFileName(`Moved ${edit.text}`);
    if (list.some((e) => fileNameFoldKey(e.file) === fileNameFoldKey(file))) return undefined;
    entry.file = file;
    return `move ${type} '${old}' to ${file}.json`;
  }
  if (edit.kind === 'rename') {
    const name = `Renamed ${edit.text}`;
    entry.object = normalised({ ...entry.object, displayName: name });
    if (type === 'namedLocations' && edit.fixReferences) {
      for (const ca of desired['conditionalAccessPolicies']!) {
        const locations = (ca.object['conditions'] as Obj | undefined)?.['locations'] as Obj | null | undefined;
        if (!locations) continue;
        for (const key of ['includeLocations', 'excludeLocations']) {
          const names = locations[key];
          if (Array.isArray(names)) locations[key] = names.map((n) => (n === old ? name : n));
        }
      }
    }
    return `rename ${type} '${old}' -> '${name}'${type === 'namedLocations' && edit.fixReferences ? ' (references too)' : ''}`;
  }
  // update a property
  const o = clone(entry.object);
  let what: string;
  if (type === 'namedLocations') {
    if (o['@odata.type'] === '#microsoft.graph.ipNamedLocation') {
      if (edit.variant % 2 === 0) {
        o['isTrusted'] = !o['isTrusted'];
        what = `isTrusted=${String(o['isTrusted'])}`;
      } else {
        o['ipRanges'] = [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: `10.${edit.variant % 256}.0.0/16` }];
        what = `ipRanges=10.${edit.variant % 256}.0.0/16`;
      }
    } else if (edit.variant % 2 === 0) {
      o['includeUnknownCountriesAndRegions'] = !o['includeUnknownCountriesAndRegions'];
      what = `includeUnknownCountriesAndRegions=${String(o['includeUnknownCountriesAndRegions'])}`;
    } else {
      const start = edit.variant % COUNTRIES.length;
      o['countriesAndRegions'] = [...COUNTRIES, ...COUNTRIES].slice(start, start + 1 + (edit.variant % 3));
      what = `countriesAndRegions=${JSON.stringify(o['countriesAndRegions'])}`;
    }
  } else if (type === 'conditionalAccessPolicies') {
    const conditions = o['conditions'] as Obj;
    const v = edit.variant % 3;
    if (v === 0) {
      o['state'] = CA_STATES[(CA_STATES.indexOf(String(o['state'])) + 1 + (edit.variant % 2)) % CA_STATES.length];
      what = `state=${String(o['state'])}`;
    } else if (v === 1 || locationNames.length === 0) {
      const users = conditions['users'] as Obj;
      users['excludeGroups'] = [groups[edit.variant % groups.length]!];
      what = `excludeGroups=${JSON.stringify(users['excludeGroups'])}`;
    } else {
      conditions['locations'] = { includeLocations: ['All'], excludeLocations: [locationNames[edit.variant % locationNames.length]!] };
      what = `excludeLocations=${JSON.stringify((conditions['locations'] as Obj)['excludeLocations'])}`;
    }
  } else {
    const v = edit.variant % 3;
    const assignments = Array.isArray(o['assignments']) ? (o['assignments'] as Obj[]) : [];
    const grouped = assignments.find((a) => typeof (a['target'] as Obj | undefined)?.['groupId'] === 'string');
    if (v === 1 && typeof o['passwordMinimumLength'] === 'number') {
      o['passwordMinimumLength'] = 4 + (edit.variant % 10);
      what = `passwordMinimumLength=${String(o['passwordMinimumLength'])}`;
    } else if (v === 2 && grouped) {
      (grouped['target'] as Obj)['groupId'] = groups[edit.variant % groups.length]!;
      what = `assignment groupId=${String((grouped['target'] as Obj)['groupId'])}`;
    } else {
      o['description'] = `${edit.text} ${edit.variant}`;
      what = `description=${String(o['description'])}`;
    }
  }
  entry.object = normalised(o);
  return `update ${type} '${old}': ${what}`;
}

// ---------------------------------------------------------------------------------------------
// one run

async function backupInto(root: string): Promise<{ tree: Tree; ids: IdMap }> {
  const log = createMemoryLogger();
  const graph = await connect({ tenant, log, sources: { env: simEnv(sim) }, graph: { rateLimits: {}, writeRateLimits: {} } });
  try {
    const report = await backupTenant({ tenant, root, graph, log });
    expect(report.totals.failedTypes, JSON.stringify(report.types.filter((t) => t.status === 'failed'))).toBe(0);
    const ids = JSON.parse(await readFile(join(root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as IdMap;
    const full = treeFromTenantTree(await readTenantTree(root, 'contoso', resources));
    return { tree: Object.fromEntries(TYPES.map((t) => [t, full[t] ?? []])), ids };
  } finally {
    (graph as { close?: () => void }).close?.();
  }
}

const keyed = (plan: Plan) => ({
  errors: plan.errors.map((e) => `${e.type}/${e.name ?? ''}/${e.kind}`).sort(),
  held: plan.held.map((h) => `${h.type}:${h.items.map((i) => i.name).sort().join(',')}`).sort(),
  conflicts: plan.conflicts.map((c) => `${c.type}/${c.name}/${c.kind}`).sort(),
});

async function runCase(c: { tenantSeed: number; extra: number; edits: Edit[] }): Promise<{ items: number; writes: number; errors: number }> {
  sim.reset();
  sim.tenant.load(smallTenant(c.tenantSeed, c.extra));
  const root1 = await mkdtemp(join(tmpdir(), 'tenant-sync-prop1-'));
  const root2 = await mkdtemp(join(tmpdir(), 'tenant-sync-prop2-'));
  work.push(root1, root2);
  try {
    const first = await backupInto(root1);
    const desired = clone(first.tree);
    const groups = (sim.state('groups') as Obj[]).map((g) => String(g['displayName'])).sort();
    const applied = c.edits.map((e) => applyEdit(desired, e, groups)).filter((d): d is string => d !== undefined);
    const context = `tenant seed ${c.tenantSeed} (+${c.extra}), edits:\n  ${applied.join('\n  ')}`;

    const { plan } = reconcile({ tenantName: 'contoso', defs: tenant.types, base: first.tree, tenant: first.tree, desired, idMap: first.ids });
    expect(plan.conflicts.filter((x) => x.kind !== 'name-taken'), context).toEqual([]);

    const before = rawState(sim);
    sim.clearWrites();
    const log = createMemoryLogger();
    const graph = await connect({ tenant, log, sources: { env: simEnv(sim) }, graph: { rateLimits: {}, writeRateLimits: {} } });
    let record;
    try {
      record = await applyPlan({
        plan,
        tenant,
        graph,
        log,
        recordFile: join(root2, 'deploy-record.json'),
        approval: { kind: 'cli', reference: 'property test', approvedBy: 'fast-check' },
        verifyTimeoutMs: 2_000,
      });
    } finally {
      (graph as { close?: () => void }).close?.();
    }
    const after = rawState(sim);
    const ctx = `${context}\nrecord: ${JSON.stringify(record.items.map((i) => [i.action, i.type, i.name, i.result, i.error?.message]))}\nlog:\n${log.lines.join('\n')}`;

    // Without faults and without anyone else writing, every planned item is applied (or already as planned).
    expect(record.items.filter((i) => i.result !== 'applied' && i.result !== 'skipped'), ctx).toEqual([]);
    expect(record.items.map((i) => `${i.action} ${i.type} ${i.name}`).sort(), ctx).toEqual(plan.items.map((i) => `${i.action} ${i.type} ${i.name}`).sort());

    // Exactly the write requests the record lists, one to one by the client-request-id each carried
    const writes = sim.writes();
    expect(writes.length, ctx).toBe(record.counts.requests);
    const recorded = new Map(record.items.flatMap((item, index) => item.requests.map((r, n) => [r.clientRequestId, { r, index, n }] as const)));
    expect(
      writes.map((w) => `${w.method} ${pathOnly(w.path)} ${w.status} ${w.clientRequestId}`).sort(),
      ctx,
    ).toEqual([...recorded.values()].map(({ r }) => `${r.method} ${r.path} ${r.status ?? 'none'} ${r.clientRequestId}`).sort());
    // In the record's order across levels (consecutive changes of one type and one action may be
    // under way at once; a level starts when the one before it has ended), and each change's own
    // requests in order
    let level = 0;
    const levelOf = record.items.map((item, i) => {
      const prev = record.items[i - 1];
      if (prev && (prev.type !== item.type || prev.action !== item.action)) level++;
      return level;
    });
    const seen = writes.map((w) => recorded.get(w.clientRequestId)!);
    for (let k = 1; k < seen.length; k++) {
      expect(levelOf[seen[k]!.index]!, `write #${k + 1} went out before a change of an earlier level\n${ctx}`).toBeGreaterThanOrEqual(levelOf[seen[k - 1]!.index]!);
    }
    for (const item of record.items.keys()) {
      const own = seen.filter((x) => x.index === item).map((x) => x.n);
      expect(own, ctx).toEqual([...own].sort((a, b) => a - b));
    }

    // Nothing outside the plan changed, in any type (lookups and name-only types included)
    const touched = new Set<string>();
    // (an update's or delete's id comes from the plan; a create's is set once Graph answered)
    for (const item of record.items) if (item.id) touched.add(`${item.type}/${item.id}`);
    const outside = rawDiff(before, after).filter((d) => !touched.has(`${d.type}/${d.id}`));
    expect(outside, ctx).toEqual([]);
    for (const d of rawDiff(before, after)) {
      const item = record.items.find((i) => i.type === d.type && i.id === d.id)!;
      expect(item.action, `${ctx}\n${d.type}/${d.id} ${d.change}`).toBe(d.change === 'created' ? 'create' : d.change === 'deleted' ? 'delete' : 'update');
    }

    // Backed up again: each applied item is in the tenant exactly as desired
    const second = await backupInto(root2);
    for (const item of record.items) {
      if (item.result !== 'applied' && item.result !== 'skipped') continue;
      const planned = plan.items.find((p) => p.type === item.type && p.name === item.name && p.action === item.action)!;
      const holders = second.tree[item.type]!.filter((e) => nameOf(item.type, e.object) === item.name);
      if (item.action === 'delete') {
        expect(holders, `${ctx}\ndeleted ${item.type} '${item.name}'`).toEqual([]);
        expect(Object.values(second.ids[item.type] ?? {}), ctx).not.toContain(item.id);
        continue;
      }
      expect(holders, `${ctx}\n${item.action} ${item.type} '${item.name}'`).toHaveLength(1);
      expect(holders[0]!.object, `${ctx}\n${item.action} ${item.type} '${item.name}'`).toEqual(planned.after);
      const want = desired[item.type]!.find((e) => e.file === planned.file)!;
      expect(isDeepStrictEqual(normalised(want.object), normalised(planned.after!)), ctx).toBe(true);
    }

    // Convergence: the tenant now is what was desired, except what the first plan could not do
    const { plan: again } = reconcile({ tenantName: 'contoso', defs: tenant.types, base: second.tree, tenant: second.tree, desired, idMap: second.ids });
    expect(again.items.map((i) => `${i.action} ${i.type} ${i.name}: ${JSON.stringify(i.changes)}`), ctx).toEqual([]);
    expect(keyed(again), ctx).toEqual(keyed(plan));
    return { items: plan.items.length, writes: writes.length, errors: plan.errors.length };
  } finally {
    await rm(root1, { recursive: true, force: true });
    await rm(root2, { recursive: true, force: true });
  }
}

describe('property: reconcile + apply against the simulator writes exactly the plan and converges', () => {
  it(`holds for random small tenants and random edits (${RUNS} runs, seed ${SEED})`, async () => {
    let runs = 0;
    const totals = { items: 0, writes: 0, errors: 0 };
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          runs++;
          const r = await runCase(c);
          totals.items += r.items;
          totals.writes += r.writes;
          totals.errors += r.errors;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: !SHRINK },
      );
    } catch (e) {
      console.error(`property failed: rerun with PROPERTY_SEED=${SEED} (PROPERTY_SHRINK=1 to shrink)`);
      throw e;
    }
    console.log(`property: ${runs} runs in ${Date.now() - started} ms (seed ${SEED}): ${totals.items} planned items, ${totals.writes} writes, ${totals.errors} plan errors`);
  }, 120_000);
});

describe('found by the property: a desired change of an object\'s kind (@odata.type)', () => {
  // Shrunk from the property with swaps across kinds (PROPERTY_SEED=2 before swaps were limited to
  // one kind): the names of an IP and a country named location are exchanged in the repository.
  // Reconcile matches desired to the tenant by name first, so it plans to turn the country location
  // into an IP location and back; Graph cannot change an object's type, the apply fails with 400
  // and every later sync proposes the same plan again (it never converges).
  it('is not planned as an update that Graph must refuse, and the PATCH never carries another type', async () => {
    sim.reset();
    sim.tenant.load(smallTenant(533786, 0));
    const root = await mkdtemp(join(tmpdir(), 'tenant-sync-prop-kind-'));
    work.push(root);
    const first = await backupInto(root);
    const desired = clone(first.tree);
    const locations = desired['namedLocations']!;
    const ip = locations.find((e) => e.object['displayName'] === 'IPv4 named location')!;
    const country = locations.find((e) => e.object['displayName'] === 'Country named location')!;
    ip.object = normalised({ ...ip.object, displayName: 'Country named location' });
    country.object = normalised({ ...country.object, displayName: 'IPv4 named location' });
    const { plan } = reconcile({ tenantName: 'contoso', defs: tenant.types, base: first.tree, tenant: first.tree, desired, idMap: first.ids });

    // Expected: no update changes @odata.type (a plan error, or a delete and a create instead)
    const kindChanges = plan.items.filter((i) => i.action === 'update' && i.before['@odata.type'] !== i.after['@odata.type']);
    expect.soft(kindChanges.map((i) => `${i.name}: ${String(i.before?.['@odata.type'])} -> ${String(i.after?.['@odata.type'])}`)).toEqual([]);

    // Expected: when @odata.type is reported "not sent" (notWritable), the PATCH body does not carry the new type
    const def = DEFS.find((d) => d.type === 'namedLocations')!;
    const tenantCountry = first.tree['namedLocations']!.find((e) => e.object['displayName'] === 'Country named location')!.object;
    const write = updateWrite(def, tenantCountry as never, ip.object as never, ip.object as never);
    expect.soft(write.notWritable).toContain('@odata.type');
    expect.soft(write.main?.body['@odata.type']).not.toBe(ip.object['@odata.type']);

    // What it leads to: the approved plan fails with Graph's 400 and a second reconcile proposes it again
    sim.clearWrites();
    const log = createMemoryLogger();
    const graph = await connect({ tenant, log, sources: { env: simEnv(sim) }, graph: { rateLimits: {}, writeRateLimits: {} } });
    try {
      const record = await applyPlan({ plan, tenant, graph, log, recordFile: join(root, 'record.json'), approval: { kind: 'cli', reference: 'property test', approvedBy: 'fast-check' }, verifyTimeoutMs: 2_000 });
      expect.soft(sim.writes().filter((w) => w.status === 400).map((w) => `${w.method} ${pathOnly(w.path)}`)).toEqual([]);
      expect(record.status).toBe('succeeded');
    } finally {
      (graph as { close?: () => void }).close?.();
    }
  });
});
