import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resources as catalogue } from '../../src/resources/catalogue.js';
import { typeFolder } from '../../src/snapshot/index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { readSnapshot } from '../../src/engine/backup.js';
import { connect } from '../../src/engine/connect.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { runBackup, simEnv, snapshotTree, tempRepo, tenantFor } from './helpers.js';

/** What a tenant without delegated sign-in backs up: every type the application can read (test/auth covers the others) */
const resources = catalogue.filter((r) => !r.delegatedOnly);

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  sim.reset();
});

const jsonFiles = (tree: Map<string, unknown>, def: (typeof resources)[number]) =>
  [...tree.keys()].filter((f) => f.startsWith(`${typeFolder('contoso', def)}/`) && f.endsWith('.json'));

/** Staging folders a backup left in the repository's temp area (none, after any backup) */
const stagingLeft = async (root: string): Promise<string[]> =>
  (await readdir(join(root, '.tenant-sync', 'contoso')).catch(() => [] as string[])).filter((n) => n.startsWith('.staging-'));

describe('backup of the seeded tenant', () => {
  it('writes one readable file per object for every type of the catalogue', async () => {
    const root = await tempRepo();
    const report = await runBackup(sim, root);
    expect(report.totals.failedTypes).toBe(0);
    expect(report.types.map((t) => t.type).sort()).toEqual(resources.map((r) => r.type).sort());
    const tree = await snapshotTree(root);
    for (const def of resources) {
      const inTenant = sim.state(def.type).length;
      expect(inTenant, `${def.type} has seeded objects`).toBeGreaterThan(0);
      expect(jsonFiles(tree, def).length, `${def.type} files`).toBe(def.kind === 'singleton' ? 1 : inTenant);
    }
    expect(resources.length).toBeGreaterThanOrEqual(22);
    // No writes were made while reading.
    expect(sim.writes()).toHaveLength(0);
  });

  it('writes references by name, strips server fields and sorts keys', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const ca = resources.find((r) => r.type === 'conditionalAccessPolicies')!;
    const dir = join(root, typeFolder('contoso', ca));
    const tree = await snapshotTree(root);
    const texts = await Promise.all(jsonFiles(tree, ca).map((f) => readFile(join(root, f), 'utf8')));
    const all = texts.join('\n');
    // Group and named location ids of the fixtures are replaced by their names.
    expect(all).not.toMatch(/8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e0\d/);
    expect(all).toMatch(/"(All Employees|Finance|Break Glass Accounts)"/);
    for (const text of texts) {
      const obj = JSON.parse(text) as Record<string, unknown>;
      expect(obj).not.toHaveProperty('id');
      expect(obj).not.toHaveProperty('createdDateTime');
      expect(obj).not.toHaveProperty('modifiedDateTime');
      expect(Object.keys(obj)).toEqual([...Object.keys(obj)].sort());
      expect(text.endsWith('\n')).toBe(true);
    }
    const policiesNamingLocations = texts.filter((t) => /"(in|ex)cludeLocations": \[\s*"(?!All|0000)/.test(t));
    expect(policiesNamingLocations.length, 'a policy names a named location').toBeGreaterThan(0);
    expect(dir).toContain(join('tenants', 'contoso', 'entra', 'conditionalAccessPolicies'));
  });

  it('changes no byte and no modification time anywhere in the repository when the tenant has not changed, and leaves no staging folder', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const first = await snapshotTree(root);
    const second = await runBackup(sim, root);
    expect(second.totals.written).toBe(0);
    expect(second.totals.deleted).toBe(0);
    expect(await snapshotTree(root)).toEqual(first);
    expect(await stagingLeft(root)).toEqual([]);
  });

  it('follows a change in the tenant: one file rewritten, a deleted object removed', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const [first, second] = sim.state('namedLocations');
    sim.tenant.update('namedLocations', String(first!.id), { displayName: `${first!.displayName} (renamed)` });
    sim.tenant.remove('namedLocations', String(second!.id));
    const report = await runBackup(sim, root);
    const named = report.types.find((t) => t.type === 'namedLocations')!;
    expect(named.written).toEqual([`${first!.displayName} (renamed).json`]);
    expect(named.deleted.sort()).toEqual([`${first!.displayName}.json`, `${second!.displayName}.json`].sort());
    // Conditional access policies name the renamed location by its new name.
    const ca = report.types.find((t) => t.type === 'conditionalAccessPolicies')!;
    expect(ca.written.length).toBeGreaterThan(0);
  });
});

describe('a type that cannot be read', () => {
  it('403: reported with the permission it needs, files untouched, the rest backed up', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const sharepoint = resources.find((r) => r.type === 'sharePointSettings')!;
    const before = await snapshotTree(root);
    // Take the permission away, and change the type in the tenant: the change must not show either.
    sim.setScenario({ appRoles: sim.scenario.appRoles.filter((r) => !r.startsWith('SharePointTenantSettings')) });
    const report = await runBackup(sim, root);
    const sp = report.types.find((t) => t.type === 'sharePointSettings')!;
    expect(sp.status).toBe('failed');
    expect(sp.error).toMatchObject({ code: 'GRAPH_PERMISSION', permission: 'SharePointTenantSettings.Read.All', status: 403 });
    expect(report.totals.failedTypes).toBe(1);
    expect(report.types.filter((t) => t.status === 'backed-up')).toHaveLength(resources.length - 1);
    expect(await snapshotTree(root)).toEqual(before);
    expect(jsonFiles(before, sharepoint)).toHaveLength(1);
    const ids = JSON.parse(await readFile(join(root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(ids.sharePointSettings as object)).toHaveLength(1);
  });

  it('faults past the retries: the type keeps its files, nothing is taken as deleted', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const before = await snapshotTree(root);
    const settingsCatalog = resources.find((r) => r.type === 'configurationPolicies')!;
    // Even with the tenant's objects gone, a failed read must not remove their files.
    for (const o of sim.state('configurationPolicies')) sim.tenant.remove('configurationPolicies', String(o.id));
    sim.faults.add({ kind: 'failType', type: 'configurationPolicies', status: 500 });
    const report = await runBackup(sim, root, { graph: { maxRetries: 1, maxBackoffMs: 5 } });
    const failed = report.types.find((t) => t.type === 'configurationPolicies')!;
    expect(failed.status).toBe('failed');
    expect(failed.deleted).toEqual([]);
    expect(failed.error?.code).toBe('GRAPH_READ_FAILED');
    expect(report.totals.failedTypes).toBe(1);
    const after = await snapshotTree(root);
    expect(jsonFiles(after, settingsCatalog)).toEqual(jsonFiles(before, settingsCatalog));
    expect(after).toEqual(before);
  });

  it('a failing page in the middle of a paged type fails the type, never a partial list', async () => {
    const root = await tempRepo();
    sim.setScenario({ pageSizes: { deviceConfigurations: 1 } });
    await runBackup(sim, root);
    const before = await snapshotTree(root);
    sim.faults.add({ kind: 'failPage', type: 'deviceConfigurations', page: 2, status: 503 });
    const report = await runBackup(sim, root, { graph: { maxRetries: 1, maxBackoffMs: 5 } });
    expect(report.types.find((t) => t.type === 'deviceConfigurations')!.status).toBe('failed');
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('a type that references a failed type is not rewritten with ids', async () => {
    const root = await tempRepo();
    await runBackup(sim, root);
    const before = await snapshotTree(root);
    sim.faults.add({ kind: 'failType', type: 'namedLocations', status: 500 });
    const report = await runBackup(sim, root, { graph: { maxRetries: 0 } });
    const ca = report.types.find((t) => t.type === 'conditionalAccessPolicies')!;
    expect(ca.status).toBe('failed');
    expect(ca.error?.message).toContain('namedLocations');
    expect(await snapshotTree(root)).toEqual(before);
  });
});

describe('paging and batching', () => {
  it('pages lists, batches child reads, and needs far fewer HTTP requests than objects', async () => {
    const root = await tempRepo();
    sim.setScenario({ pageSize: 2 });
    sim.resetCounters();
    const report = await runBackup(sim, root);
    const counters = sim.counters();
    expect(report.totals.failedTypes).toBe(0);
    // Settings catalog settings are read through $batch, their next pages too.
    const policies = sim.state('configurationPolicies');
    const settings = policies.reduce((n, p) => n + (Array.isArray(p.settings) ? p.settings.length : 0), 0);
    expect(settings).toBeGreaterThan(policies.length * 2); // some policy has more than one page of settings
    expect(counters.batches).toBeGreaterThan(0);
    expect(counters.batchItems).toBeGreaterThanOrEqual(policies.length);
    // Every collection with more objects than a page took more than one list request.
    const caPolicies = sim.state('conditionalAccessPolicies').length;
    expect(counters.byPath['GET /v1.0/identity/conditionalAccess/policies'] ?? 0).toBe(Math.ceil(caPolicies / 2) || 1);
    expect(report.graph.graphRequests).toBe(counters.requests);
    expect(report.graph.requests).toBe(counters.httpRequests);
    expect(report.graph.requests).toBeLessThan(report.graph.graphRequests);
    // Every setting of every policy reached its file.
    const tree = await snapshotTree(root);
    const def = resources.find((r) => r.type === 'configurationPolicies')!;
    let written = 0;
    for (const f of jsonFiles(tree, def)) {
      const obj = JSON.parse(await readFile(join(root, f), 'utf8')) as { settings?: unknown[] };
      written += obj.settings?.length ?? 0;
    }
    expect(written).toBe(settings);
  });
});

describe('throttling at the documented limits', () => {
  it('a 429 storm (conditional access without Retry-After, Intune with it) completes with every object', async () => {
    // Conditional access at its documented limit (1 request per second, 429 without Retry-After) on a
    // clock 50 times faster, with small pages so that policies and named locations are two chains of
    // requests that collide; Intune at a tenth of its documented 1,000 requests per 20 s, so that a
    // 400-object tenant meets it (429 with Retry-After, per batch item).
    const storm = await startSimulator({
      tenant: { objects: 400, seed: 7 },
      timeScale: 50,
      retryAfterMode: 'decimal',
      pageSizes: { conditionalAccessPolicies: 2, namedLocations: 2 },
      throttling: {
        conditionalAccess: { requests: 1, perMs: 1_000 },
        intune: {
          perApp: { requests: 100, perMs: 20_000 },
          perAppWrites: { requests: 100, perMs: 20_000 },
          perTenant: { requests: 200, perMs: 20_000 },
          perTenantWrites: { requests: 200, perMs: 20_000 },
        },
        directory: false,
      },
    });
    try {
      const root = await tempRepo();
      // No pacing: the client meets the limits through 429s only.
      const report = await runBackup(storm, root, { graph: { rateLimits: {}, maxRetries: 30, maxBackoffMs: 200 } });
      expect(report.totals.failedTypes).toBe(0);
      expect(storm.counters().throttledByBucket.conditionalAccess ?? 0).toBeGreaterThan(0);
      expect(storm.counters().throttledByBucket.intune ?? 0).toBeGreaterThan(0);
      expect(report.graph.throttled).toBe(storm.counters().throttled);
      const tree = await snapshotTree(root);
      for (const def of resources) {
        const count = storm.state(def.type).length;
        expect(jsonFiles(tree, def).length, def.type).toBe(def.kind === 'singleton' ? Math.min(1, count) : count);
      }
    } finally {
      await storm.close();
    }
  });
});

describe('names and collisions', () => {
  it('reports duplicate display names and keeps both objects in files of their own', async () => {
    const root = await tempRepo();
    const [first] = sim.state('assignmentFilters');
    sim.tenant.create('assignmentFilters', { ...first!, id: undefined, displayName: first!.displayName });
    const report = await runBackup(sim, root);
    const filters = report.types.find((t) => t.type === 'assignmentFilters')!;
    expect(filters.duplicates).toHaveLength(1);
    expect(filters.duplicates[0]!.files).toHaveLength(2);
    expect(filters.objects).toBe(sim.state('assignmentFilters').length);
  });
});

describe('staged files', () => {

  it('gives every file the name and bytes the in-memory snapshot gives it, duplicates included', async () => {
    const root = await tempRepo();
    const [first] = sim.state('assignmentFilters');
    sim.tenant.create('assignmentFilters', { ...first!, id: undefined, displayName: first!.displayName });
    sim.tenant.create('assignmentFilters', { ...first!, id: undefined, displayName: first!.displayName });
    await runBackup(sim, root);
    const tenant = tenantFor(sim);
    const log = createMemoryLogger();
    const graph = await connect({ tenant, log, sources: { env: simEnv(sim) } });
    try {
      const snapshot = await readSnapshot({ tenant, graph, log });
      for (const type of snapshot.types) {
        expect(type.status).toBe('read');
        if (type.status !== 'read') continue;
        const dir = join(root, typeFolder('contoso', type.def));
        const onDisk = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
        expect(onDisk, type.def.type).toEqual([...type.files.keys()].sort());
        for (const [name, text] of type.files) expect(await readFile(join(dir, name), 'utf8'), `${type.def.type}/${name}`).toBe(text);
      }
    } finally {
      (graph as { close?: () => void }).close?.();
    }
    expect(await stagingLeft(root)).toEqual([]);
  });

  it('a type that fails after some of its objects were staged leaves its folder as it was and no staged file', async () => {
    const root = await tempRepo();
    sim.setScenario({ pageSizes: { deviceConfigurations: 1 } });
    await runBackup(sim, root);
    const before = await snapshotTree(root);
    // Every object changed, so those read before the failing page are staged, not found on disk.
    for (const o of sim.state('deviceConfigurations')) sim.tenant.update('deviceConfigurations', String(o.id), { description: `changed ${String(o.id)}` });
    sim.faults.add({ kind: 'failPage', type: 'deviceConfigurations', page: 3, status: 503 });
    const report = await runBackup(sim, root, { graph: { maxRetries: 1, maxBackoffMs: 5 } });
    expect(report.types.find((t) => t.type === 'deviceConfigurations')!.status).toBe('failed');
    expect(await snapshotTree(root)).toEqual(before);
    expect(await stagingLeft(root)).toEqual([]);
  });
});
