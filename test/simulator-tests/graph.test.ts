/**
 * Graph behaviour of the simulator: paging, query options, CRUD and actions, $batch, permissions,
 * authentication, throttling, faults and the control interface. Behavioural checks only (counts,
 * shapes); time windows are made long with timeScale < 1 instead of relying on wall-clock speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineResource } from '../../src/resources/definition.js';
import { startSimulator, type Simulator, type TenantData } from '../simulator/index.js';

const policies = defineResource({
  type: 'testPolicies',
  workload: 'intune',
  title: 'Test policies',
  docs: 'https://learn.microsoft.com/graph/',
  api: 'beta',
  path: '/deviceManagement/testPolicies',
  kind: 'collection',
  nameField: 'name',
  listQuery: { $expand: 'assignments' },
  children: [{ property: 'settings', path: 'settings' }],
  permissions: { read: 'DeviceManagementConfiguration.Read.All', write: 'DeviceManagementConfiguration.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PUT' },
    delete: true,
    assignments: { property: 'assignments', action: 'assign', bodyProperty: 'assignments' },
    actions: [{ property: 'priority', path: 'setPriority', method: 'POST', bodyProperty: 'priority' }],
  },
});
const caPolicies = defineResource({
  type: 'testCaPolicies',
  workload: 'entra',
  title: 'CA',
  docs: 'https://learn.microsoft.com/graph/',
  api: 'v1.0',
  path: '/identity/conditionalAccess/policies',
  kind: 'collection',
  permissions: { read: 'Policy.Read.All', write: 'Policy.ReadWrite.ConditionalAccess' },
  throttle: 'conditionalAccess',
  write: { create: { method: 'POST' }, update: { method: 'PATCH' }, delete: true },
});
const roles = defineResource({
  type: 'testRoles',
  workload: 'entra',
  title: 'Roles',
  docs: 'https://learn.microsoft.com/graph/',
  api: 'v1.0',
  path: '/roleManagement/directory/roleDefinitions',
  kind: 'collection',
  listQuery: { $filter: 'isBuiltIn eq false' },
  permissions: { read: 'RoleManagement.Read.Directory' },
  throttle: 'directory',
});
const delegatedOnly = defineResource({
  type: 'testDelegated',
  workload: 'entra',
  title: 'Delegated only',
  docs: 'https://learn.microsoft.com/graph/',
  api: 'beta',
  path: '/policies/testDelegated',
  kind: 'collection',
  permissions: { read: 'Policy.Read.All' },
  delegatedOnly: true,
});
const settings = defineResource({
  type: 'testSettings',
  workload: 'sharepoint',
  title: 'Settings',
  docs: 'https://learn.microsoft.com/graph/',
  api: 'v1.0',
  path: '/admin/sharepoint/settings',
  kind: 'singleton',
  permissions: { read: 'SharePointTenantSettings.Read.All', write: 'SharePointTenantSettings.ReadWrite.All' },
  throttle: 'sharepoint',
  write: { update: { method: 'PATCH' }, delete: false },
});
const resources = [policies, caPolicies, roles, delegatedOnly, settings];
const GROUP = '8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e01';

function tenantData(): TenantData {
  const pol = Array.from({ length: 250 }, (_, i) => ({
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationPolicy',
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `Policy ${i}`,
    createdDateTime: '2024-01-01T00:00:00Z',
    lastModifiedDateTime: '2024-01-01T00:00:00Z',
    settingCount: i === 0 ? 130 : 2,
    settings: Array.from({ length: i === 0 ? 130 : 2 }, (_, s) => ({ id: String(s), settingInstance: { settingDefinitionId: `def_${s}` } })),
    assignments: [{ id: `x_${GROUP}`, target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: GROUP } }],
  }));
  return {
    testPolicies: pol,
    testCaPolicies: [1, 2, 3].map((i) => ({ id: `10000000-0000-4000-8000-00000000000${i}`, displayName: `CA ${i}`, state: 'enabled', createdDateTime: '2024-01-01T00:00:00Z', modifiedDateTime: null })),
    testRoles: [
      { id: 'r1', displayName: 'Global Administrator', isBuiltIn: true },
      { id: 'r2', displayName: 'Helpdesk Custom', isBuiltIn: false },
      { id: 'r3', displayName: "O'Brien Role", isBuiltIn: false },
    ],
    testDelegated: [{ id: 'd1', displayName: 'Only for users' }],
    testSettings: [{ '@odata.type': '#microsoft.graph.sharepointSettings', isLoopEnabled: true, deletedUserPersonalSiteRetentionPeriodInDays: 30 }],
    groups: [{ id: GROUP, displayName: 'All Employees' }, { id: '8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e02', displayName: 'Finance' }],
  };
}

interface Res {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

function client(sim: Simulator, defaultToken?: string) {
  const token = defaultToken ?? sim.issueAccessToken();
  return async (path: string, init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {}): Promise<Res> => {
    const url = path.startsWith('https://') ? path : `${sim.graphUrl}${path}`;
    const headers: Record<string, string> = { ...init.headers };
    const t = init.token === undefined ? token : init.token;
    if (t) headers['Authorization'] = `Bearer ${t}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

type Item = Record<string, unknown>;
const values = (r: Res) => r.body['value'] as Item[];

describe('lists, paging and query options', () => {
  let sim: Simulator;
  let get: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false });
    get = client(sim);
  });
  afterAll(() => sim.close());

  it('pages at 100 with absolute @odata.nextLink ($skiptoken) until the end', async () => {
    const ids = new Set<string>();
    const sizes: number[] = [];
    let url: string | undefined = '/beta/deviceManagement/testPolicies';
    while (url) {
      const page: Res = await get(url);
      expect(page.status).toBe(200);
      sizes.push(values(page).length);
      for (const item of values(page)) ids.add(String(item['id']));
      url = page.body['@odata.nextLink'] as string | undefined;
      if (url) expect(url).toMatch(new RegExp(`^${sim.graphUrl}/beta/deviceManagement/testPolicies\\?.*\\$skiptoken=`));
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(ids.size).toBe(250);
  });

  it('honours $top as the page size and keeps it in the next link', async () => {
    const first = await get('/beta/deviceManagement/testPolicies?$top=30');
    expect(values(first)).toHaveLength(30);
    const next = first.body['@odata.nextLink'] as string;
    expect(next).toContain('$top=30');
    const second = await get(next);
    expect(values(second)).toHaveLength(30);
    expect(values(second)[0]?.['name']).toBe('Policy 30');
  });

  it('returns relationships only when expanded; $select keeps the key', async () => {
    const plain = values(await get('/beta/deviceManagement/testPolicies?$top=1'))[0] ?? {};
    expect(plain).not.toHaveProperty('assignments');
    expect(plain).not.toHaveProperty('settings');
    const expanded = values(await get('/beta/deviceManagement/testPolicies?$top=1&$expand=assignments'))[0] ?? {};
    expect(expanded['assignments']).toHaveLength(1);
    expect(expanded).not.toHaveProperty('settings');
    const selected = values(await get('/beta/deviceManagement/testPolicies?$top=1&$select=name'))[0] ?? {};
    expect(Object.keys(selected).sort()).toEqual(['@odata.type', 'id', 'name']);
    const unknown = await get('/beta/deviceManagement/testPolicies?$expand=nothing');
    expect(unknown.status).toBe(400);
  });

  it('pages child collections (settings) from {id}/settings', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const first = await get(`/beta/deviceManagement/testPolicies/${id}/settings`);
    expect(values(first)).toHaveLength(100);
    const second = await get(first.body['@odata.nextLink'] as string);
    expect(values(second)).toHaveLength(30);
    expect(second.body['@odata.nextLink']).toBeUndefined();
    const byKey = await get(`/beta/deviceManagement/testPolicies('${id}')/settings?$top=5`);
    expect(values(byKey)).toHaveLength(5);
  });

  it('applies $filter (eq false, eq with quotes) and lookups by id and by name', async () => {
    const custom = await get(`/v1.0/roleManagement/directory/roleDefinitions?$filter=${encodeURIComponent('isBuiltIn eq false')}`);
    expect(values(custom).map((r) => r['id'])).toEqual(['r2', 'r3']);
    const quoted = await get(`/v1.0/roleManagement/directory/roleDefinitions?$filter=${encodeURIComponent("displayName eq 'O''Brien Role'")}`);
    expect(values(quoted).map((r) => r['id'])).toEqual(['r3']);
    const bad = await get(`/v1.0/roleManagement/directory/roleDefinitions?$filter=${encodeURIComponent('displayName eq')}`);
    expect(bad.status).toBe(400);
  });

  it('GET by id, and 404 with Graph error bodies and request ids', async () => {
    const one = await get('/beta/deviceManagement/testPolicies/00000000-0000-4000-8000-000000000007');
    expect(one.body['name']).toBe('Policy 7');
    expect(one.body['@odata.context']).toContain('$metadata#deviceManagement/testPolicies/$entity');
    const missing = await get('/beta/deviceManagement/testPolicies/nope', { headers: { 'client-request-id': 'my-id' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing.headers.get('client-request-id')).toBe('my-id');
    expect(missing.body).toMatchObject({ error: { code: 'ResourceNotFound', innerError: { 'client-request-id': 'my-id' } } });
    const missingEntra = await get('/v1.0/identity/conditionalAccess/policies/nope');
    expect(missingEntra.body).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
    const unknownSegment = await get('/v1.0/nothingHere');
    expect(unknownSegment).toMatchObject({ status: 400, body: { error: { code: 'BadRequest', message: "Resource not found for the segment 'nothingHere'." } } });
  });

  it('serves singletons', async () => {
    const s = await get('/v1.0/admin/sharepoint/settings');
    expect(s.body['isLoopEnabled']).toBe(true);
  });
});

describe('writes', () => {
  let sim: Simulator;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false });
    call = client(sim);
  });
  afterAll(() => sim.close());

  it('creates, replaces, assigns, runs actions, deletes; every write is recorded', async () => {
    const created = await call('/beta/deviceManagement/testPolicies', { method: 'POST', body: { name: 'New', settings: [{ id: '0' }] } });
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body['createdDateTime']).toEqual(expect.any(String));
    expect(created.body['settingCount']).toBe(1);
    expect(created.body).not.toHaveProperty('settings');

    const put = await call(`/beta/deviceManagement/testPolicies/${id}`, { method: 'PUT', body: { name: 'Renamed', settings: [{ id: '0' }, { id: '1' }] } });
    expect(put.status).toBe(200);
    const assign = await call(`/beta/deviceManagement/testPolicies/${id}/assign`, {
      method: 'POST',
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: GROUP } }] },
    });
    expect(assign.status).toBe(200);
    expect(values(assign)[0]?.['id']).toBe(`${id}_${GROUP}`);
    expect((await call(`/beta/deviceManagement/testPolicies/${id}/setPriority`, { method: 'POST', body: { priority: 3 } })).status).toBe(204);

    const state = sim.state('testPolicies').find((p) => p['id'] === id) ?? {};
    expect(state).toMatchObject({ name: 'Renamed', priority: 3, settingCount: 2, createdDateTime: created.body['createdDateTime'] });
    expect(state['assignments']).toHaveLength(1);

    const patchCa = await call('/v1.0/identity/conditionalAccess/policies/10000000-0000-4000-8000-000000000001', { method: 'PATCH', body: { state: 'disabled' } });
    expect(patchCa.status).toBe(204);
    expect(sim.state('testCaPolicies')[0]?.['modifiedDateTime']).toEqual(expect.any(String));

    expect((await call(`/beta/deviceManagement/testPolicies/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/beta/deviceManagement/testPolicies/${id}`)).status).toBe(404);

    const singleton = await call('/v1.0/admin/sharepoint/settings', { method: 'PATCH', body: { isLoopEnabled: false } });
    expect(singleton.status).toBe(204);

    const writes = sim.writes();
    expect(writes.map((w) => `${w.method} ${w.status}`)).toEqual(['POST 201', 'PUT 200', 'POST 200', 'POST 204', 'PATCH 204', 'DELETE 204', 'PATCH 204']);
    expect(writes[0]).toMatchObject({ type: 'testPolicies', id, body: { name: 'New' }, batched: false });
    expect(writes[2]?.path).toBe(`/beta/deviceManagement/testPolicies/${id}/assign`);
    expect(sim.counters().byMethod['POST']).toBe(3);
  });

  it('rejects a read-only type, invalid JSON and a write without permission', async () => {
    expect((await call('/v1.0/roleManagement/directory/roleDefinitions', { method: 'POST', body: { displayName: 'x' } })).status).toBe(405);
    const res = await fetch(`${sim.graphUrl}/beta/deviceManagement/testPolicies`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sim.issueAccessToken()}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    const readOnly = sim.issueAccessToken({ roles: ['DeviceManagementConfiguration.Read.All'] });
    const denied = await call('/beta/deviceManagement/testPolicies', { method: 'POST', body: { name: 'x' }, token: readOnly });
    expect(denied.status).toBe(403);
  });
});

describe('authentication and permissions', () => {
  let sim: Simulator;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false });
    call = client(sim);
  });
  afterAll(() => sim.close());

  it('answers 403 with the real body when the permission is missing', async () => {
    const token = sim.issueAccessToken({ roles: ['User.Read.All'] });
    const res = await call('/v1.0/identity/conditionalAccess/policies', { token, headers: { 'client-request-id': 'abc' } });
    expect(res.status).toBe(403);
    const error = res.body['error'] as Record<string, unknown>;
    expect(error['code']).toBe('Authorization_RequestDenied');
    expect(error['message']).toBe('Insufficient privileges to complete the operation.');
    const inner = error['innerError'] as Record<string, unknown>;
    expect(inner['request-id']).toBe(res.headers.get('request-id'));
    expect(inner['client-request-id']).toBe('abc');
    expect(inner['date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('a ReadWrite role grants read; delegated tokens use scp; delegated-only types refuse app tokens', async () => {
    const rw = sim.issueAccessToken({ roles: ['DeviceManagementConfiguration.ReadWrite.All'] });
    expect((await call('/beta/deviceManagement/testPolicies?$top=1', { token: rw })).status).toBe(200);
    const delegated = sim.issueAccessToken({ scopes: ['Policy.Read.All'] });
    expect((await call('/v1.0/identity/conditionalAccess/policies', { token: delegated })).status).toBe(200);
    expect((await call('/beta/deviceManagement/testPolicies', { token: delegated })).status).toBe(403);
    expect((await call('/beta/policies/testDelegated', { token: sim.issueAccessToken({ roles: ['Policy.Read.All'] }) })).status).toBe(403);
    expect((await call('/beta/policies/testDelegated', { token: delegated })).status).toBe(200);
  });

  it('401 InvalidAuthenticationToken: no token, a bad signature, an expired token, expireAccessTokens()', async () => {
    const none = await call('/beta/deviceManagement/testPolicies', { token: null });
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } } });
    const good = sim.issueAccessToken();
    const [h, p] = good.split('.');
    const forged = await call('/beta/deviceManagement/testPolicies', { token: `${h}.${p}.AAAA` });
    expect(forged.status).toBe(401);
    const expired = sim.issueAccessToken({ lifetimeSeconds: -1 });
    expect((await call('/beta/deviceManagement/testPolicies', { token: expired })).body).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' },
    });
    const wrongAudience = sim.issueAccessToken({ audience: 'https://management.azure.com' });
    expect((await call('/beta/deviceManagement/testPolicies', { token: wrongAudience })).status).toBe(401);
    expect((await call('/beta/deviceManagement/testPolicies?$top=1', { token: good })).status).toBe(200);
    sim.expireAccessTokens();
    expect((await call('/beta/deviceManagement/testPolicies?$top=1', { token: good })).status).toBe(401);
    expect((await call('/beta/deviceManagement/testPolicies?$top=1', { token: sim.issueAccessToken() })).status).toBe(200);
  });
});

describe('$batch', () => {
  let sim: Simulator;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false, seed: 7 });
    call = client(sim);
  });
  afterAll(() => sim.close());

  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/deviceManagement/testPolicies/00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));

  it('answers one response per item (id, status, headers, body) in arbitrary order, each counted', async () => {
    sim.resetCounters();
    const orders: string[] = [];
    for (let round = 0; round < 5; round++) {
      const res = await call('/beta/$batch', { method: 'POST', body: { requests: items(10) } });
      expect(res.status).toBe(200);
      const responses = res.body['responses'] as Item[];
      expect(responses.map((r) => r['id']).sort((a, b) => Number(a) - Number(b))).toEqual(items(10).map((i) => i.id));
      for (const r of responses) {
        expect(r['status']).toBe(200);
        expect(r['headers']).toMatchObject({ 'Content-Type': expect.stringContaining('application/json') });
        expect((r['body'] as Item)['id']).toBe(`00000000-0000-4000-8000-${String(Number(r['id']) - 1).padStart(12, '0')}`);
      }
      orders.push(responses.map((r) => r['id']).join(','));
    }
    expect(orders.some((o) => o !== items(10).map((i) => i.id).join(','))).toBe(true);
    const c = sim.counters();
    expect(c.batches).toBe(5);
    expect(c.batchItems).toBe(50);
    expect(c.requests).toBe(50);
    expect(c.httpRequests).toBe(5);
  });

  it('refuses more than 20 requests, duplicate ids and absolute URLs with 400', async () => {
    const tooMany = await call('/v1.0/$batch', { method: 'POST', body: { requests: items(21) } });
    expect(tooMany.status).toBe(400);
    expect((tooMany.body['error'] as Item)['code']).toBe('BadRequest');
    expect((await call('/v1.0/$batch', { method: 'POST', body: { requests: [...items(2), items(1)[0]] } })).status).toBe(400);
    expect((await call('/v1.0/$batch', { method: 'POST', body: { requests: [{ id: '1', method: 'GET', url: `${sim.graphUrl}/v1.0/groups` }] } })).status).toBe(400);
    expect((await call('/beta/$batch', { method: 'POST', body: { requests: items(20) } })).status).toBe(200);
  });

  it('writes inside a batch are dispatched and recorded; dependsOn fails dependents with 424', async () => {
    sim.clearWrites();
    const res = await call('/beta/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: 'a', method: 'POST', url: '/deviceManagement/testPolicies/does-not-exist/setPriority', headers: { 'Content-Type': 'application/json' }, body: { priority: 1 } },
          { id: 'b', method: 'POST', url: '/deviceManagement/testPolicies', dependsOn: ['a'], headers: { 'Content-Type': 'application/json' }, body: { name: 'x' } },
          { id: 'c', method: 'PATCH', url: '/deviceManagement/testPolicies/00000000-0000-4000-8000-000000000001', body: { name: 'y' } },
        ],
      },
    });
    expect(res.status).toBe(400); // c has a body without Content-Type
    const ok = await call('/beta/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: 'a', method: 'POST', url: '/deviceManagement/testPolicies/does-not-exist/setPriority', headers: { 'Content-Type': 'application/json' }, body: { priority: 1 } },
          { id: 'b', method: 'POST', url: '/deviceManagement/testPolicies', dependsOn: ['a'], headers: { 'Content-Type': 'application/json' }, body: { name: 'x' } },
        ],
      },
    });
    const byId = Object.fromEntries((ok.body['responses'] as Item[]).map((r) => [r['id'], r['status']]));
    expect(byId).toEqual({ a: 404, b: 424 });
    expect(sim.writes().map((w) => [w.method, w.status, w.batched])).toEqual([['POST', 404, true]]);
  });
});

describe('throttling', () => {
  it('conditional access: 1 request per second per tenant, the second within the window gets 429 without Retry-After', async () => {
    // timeScale 0.01: the 1 s window lasts 100 s of real time, so "within the window" holds on any machine.
    const sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), timeScale: 0.01 });
    try {
      const call = client(sim);
      const first = await call('/v1.0/identity/conditionalAccess/policies');
      const second = await call('/v1.0/identity/conditionalAccess/policies');
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBeNull();
      expect(second.body).toMatchObject({ error: { code: 'TooManyRequests' } });
      // other buckets are not affected
      expect((await call('/beta/deviceManagement/testPolicies?$top=1')).status).toBe(200);
      const c = sim.counters();
      expect(c.throttled).toBe(1);
      expect(c.throttledByBucket).toEqual({ conditionalAccess: 1 });
    } finally {
      await sim.close();
    }
  });

  it('Intune: 100 writes per 20 s per app, then 429 with an integer Retry-After', async () => {
    const sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), timeScale: 0.01 });
    try {
      const call = client(sim);
      const statuses: number[] = [];
      for (let i = 0; i < 101; i++) {
        const r = await call('/beta/deviceManagement/testPolicies/00000000-0000-4000-8000-000000000001/setPriority', { method: 'POST', body: { priority: i } });
        statuses.push(r.status);
        if (r.status === 429) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      expect(statuses.filter((s) => s === 204)).toHaveLength(100);
      expect(statuses[100]).toBe(429);
      // reads still have budget (1,000 per 20 s)
      expect((await call('/beta/deviceManagement/testPolicies?$top=1')).status).toBe(200);
      expect(sim.writes().filter((w) => w.status === 429)).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('each $batch item counts; throttled items carry their own Retry-After (scaled by timeScale)', async () => {
    const sim = await startSimulator({
      resources,
      lookups: [],
      tenant: tenantData(),
      timeScale: 10,
      throttling: { intune: { perApp: { requests: 5, perMs: 20_000 }, perAppWrites: { requests: 100, perMs: 20_000 }, perTenant: { requests: 1000, perMs: 20_000 }, perTenantWrites: { requests: 100, perMs: 20_000 } } },
    });
    try {
      const call = client(sim);
      const res = await call('/beta/$batch', {
        method: 'POST',
        body: { requests: Array.from({ length: 10 }, (_, i) => ({ id: String(i), method: 'GET', url: '/deviceManagement/testPolicies?$top=1' })) },
      });
      const responses = res.body['responses'] as Item[];
      const throttled = responses.filter((r) => r['status'] === 429);
      expect(throttled).toHaveLength(5);
      for (const r of throttled) {
        const retryAfter = Number((r['headers'] as Record<string, string>)['Retry-After']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(2); // 20 s window / timeScale 10
      }
      expect(sim.counters().throttled).toBe(5);
    } finally {
      await sim.close();
    }
  });
});

describe('faults', () => {
  let sim: Simulator;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false });
    call = client(sim);
  });
  afterAll(() => sim.close());

  it('503 on the next N requests, with Retry-After when asked', async () => {
    sim.faults.add({ kind: 'status', status: 503, count: 2, retryAfterSeconds: 3 });
    const a = await call('/v1.0/identity/conditionalAccess/policies');
    const b = await call('/v1.0/identity/conditionalAccess/policies');
    const c = await call('/v1.0/identity/conditionalAccess/policies');
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.headers.get('retry-after')).toBe('3');
    expect(sim.counters().faultsInjected).toBe(2);
  });

  it('a seeded fraction of requests fails', async () => {
    const fault = sim.faults.add({ kind: 'status', status: 504, rate: 0.5, match: { type: 'testCaPolicies' } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call('/v1.0/identity/conditionalAccess/policies')).status);
    sim.faults.remove(fault.id);
    const failed = statuses.filter((s) => s === 504).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
  });

  it('a type whose reads always fail, and the Nth page of a type', async () => {
    const f1 = sim.faults.add({ kind: 'failType', type: 'testCaPolicies', status: 403 });
    expect((await call('/v1.0/identity/conditionalAccess/policies')).status).toBe(403);
    expect((await call('/beta/deviceManagement/testPolicies?$top=1')).status).toBe(200);
    sim.faults.remove(f1.id);

    sim.faults.add({ kind: 'failPage', type: 'testPolicies', page: 2, count: 1 });
    const first = await call('/beta/deviceManagement/testPolicies');
    const next = first.body['@odata.nextLink'] as string;
    expect((await call(next)).status).toBe(500);
    expect((await call(next)).status).toBe(200);
  });

  it('drops the connection mid-response', async () => {
    sim.faults.add({ kind: 'drop', count: 1 });
    await expect(call('/beta/deviceManagement/testPolicies')).rejects.toThrow();
    expect((await call('/beta/deviceManagement/testPolicies?$top=1')).status).toBe(200);
    expect(sim.counters().droppedConnections).toBe(1);
  });
});

describe('control interface over HTTP', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ resources, lookups: [], tenant: tenantData(), throttling: false });
  });
  afterAll(() => sim.close());

  const control = async (path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${sim.graphUrl}/_control${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  it('info, scenario, faults, counters, writes, state and drift', async () => {
    const info = (await control('/info')).body as Record<string, unknown>;
    expect(info).toMatchObject({ tenantId: '3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c', graphUrl: sim.graphUrl, loginUrl: sim.loginUrl });
    expect((info['env'] as Record<string, string>)['NODE_EXTRA_CA_CERTS']).toBe(sim.caCertPath);

    await control('/scenario', 'PATCH', { pageSize: 50 });
    expect(sim.scenario.pageSize).toBe(50);
    const token = sim.issueAccessToken();
    const list = await fetch(`${sim.graphUrl}/beta/deviceManagement/testPolicies`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { value: unknown[] }).value).toHaveLength(50);

    const fault = (await control('/faults', 'POST', { kind: 'status', status: 503, count: 1 })).body as { id: number };
    expect(fault.id).toBeGreaterThan(0);
    expect(((await control('/faults')).body as unknown[]).length).toBe(1);
    await control('/faults', 'DELETE');

    const drift = await control('/state/testCaPolicies/10000000-0000-4000-8000-000000000002', 'PATCH', { state: 'disabled' });
    expect(drift.status).toBe(200);
    const read = await fetch(`${sim.graphUrl}/v1.0/identity/conditionalAccess/policies/10000000-0000-4000-8000-000000000002`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await read.json()) as Record<string, unknown>)['state']).toBe('disabled');
    expect(sim.writes()).toHaveLength(0); // drift is not a Graph write

    const counters = (await control('/counters')).body as { requests: number };
    expect(counters.requests).toBe(2);
    expect(((await control('/state')).body as Record<string, number>)['testPolicies']).toBe(250);
    expect(((await control('/state/testRoles')).body as unknown[]).length).toBe(2);
    expect((await control('/device-codes')).body).toEqual([]);
    expect((await control('/nope')).status).toBe(404);

    await control('/reset', 'POST');
    expect(sim.state('testCaPolicies')[1]?.['state']).toBe('enabled');
  });
});
