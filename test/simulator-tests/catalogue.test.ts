/**
 * The simulator serves every type of the catalogue from its fixtures, and generates tenants of
 * any size deterministically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookups, resources } from '../../src/resources/catalogue.js';
import { buildQuery } from '../simulator/util.js';
import { generateTenant, loadFixtures, startSimulator, type Simulator } from '../simulator/index.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(() => sim.close());

async function get(url: string, delegated = false): Promise<{ status: number; body: Record<string, unknown> }> {
  // Types only a signed-in user can read refuse app tokens: they are read with a delegated one.
  const token = delegated ? sim.issueAccessToken({ scopes: sim.scenario.delegatedScopes }) : sim.issueAccessToken();
  const res = await fetch(url.startsWith('https://') ? url : `${sim.graphUrl}${url}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('every catalogue type', () => {
  const fixtures = loadFixtures();

  for (const def of resources) {
    it(`${def.type}: list (with its listQuery), GET by id and child collections`, async () => {
      const query = buildQuery(Object.entries(def.listQuery));
      const root = `/${def.api}${def.path}`;
      if (def.kind === 'singleton') {
        const res = await get(root, def.delegatedOnly);
        expect(res.status).toBe(fixtures[def.type] ? 200 : 404);
        return;
      }
      const items: Record<string, unknown>[] = [];
      let url: string | undefined = query ? `${root}?${query}` : root;
      while (url) {
        const page: { status: number; body: Record<string, unknown> } = await get(url, def.delegatedOnly);
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        items.push(...(page.body['value'] as Record<string, unknown>[]));
        url = page.body['@odata.nextLink'] as string | undefined;
      }
      expect(items.length).toBe(sim.state(def.type).length);
      const first = items[0];
      if (!first) return;
      const id = String(first[def.key]);
      const detail = buildQuery(Object.entries(def.detail?.query ?? {}));
      const one = await get(`${root}/${encodeURIComponent(id)}${detail ? `?${detail}` : ''}`, def.delegatedOnly);
      expect(one.status).toBe(200);
      expect(one.body[def.key]).toBe(first[def.key]);
      for (const child of def.children) {
        const res = await get(`${root}/${encodeURIComponent(id)}/${child.path}`, def.delegatedOnly);
        expect(res.status).toBe(200);
        expect(Array.isArray(res.body['value'])).toBe(true);
      }
    });
  }

  it('lookups by id with $select and by name with $filter', async () => {
    const groups = lookups.find((l) => l.type === 'groups');
    const group = sim.state('groups')[0];
    if (!groups || !group) return;
    const byId = await get(`/${groups.api}${groups.path}/${String(group['id'])}?$select=id,displayName`);
    expect(Object.keys(byId.body).filter((k) => !k.startsWith('@')).sort()).toEqual(['displayName', 'id']);
    const byName = await get(`/${groups.api}${groups.path}?$filter=${encodeURIComponent(`displayName eq '${String(group['displayName']).replace(/'/g, "''")}'`)}`);
    expect((byName.body['value'] as unknown[]).length).toBe(1);
  });
});

describe('generateTenant', () => {
  it('is deterministic for a seed and makes the requested number of objects with unique names', () => {
    const a = generateTenant({ objects: 2_000, seed: 42 });
    const b = generateTenant({ objects: 2_000, seed: 42 });
    const c = generateTenant({ objects: 2_000, seed: 43 });
    const ids = (d: typeof a) => resources.flatMap((r) => (d[r.type] ?? []).map((o) => String(o[r.key])));
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
    expect(ids(a).length).toBe(2_000);
    for (const def of resources) {
      const names = (a[def.type] ?? []).map((o) => o[def.nameField]);
      expect(new Set(names).size, def.type).toBe(names.length);
    }
    // the mix: settings catalog policies lead, some with more settings than a page
    const settingsCatalog = a['configurationPolicies'] ?? [];
    expect(settingsCatalog.length).toBeGreaterThan((a['deviceConfigurations'] ?? []).length);
    expect(settingsCatalog.some((p) => Array.isArray(p['settings']) && p['settings'].length > 100)).toBe(true);
  });

  it('builds 50,000 objects and the simulator serves them', async () => {
    const data = generateTenant({ objects: 50_000, seed: 1 });
    expect(resources.reduce((n, r) => n + (data[r.type]?.length ?? 0), 0)).toBe(50_000);
    const big = await startSimulator({ tenant: data, throttling: false });
    try {
      const res = await fetch(`${big.graphUrl}/beta/deviceManagement/configurationPolicies?$top=999`, { headers: { Authorization: `Bearer ${big.issueAccessToken()}` } });
      const body = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      expect(body.value).toHaveLength(999);
      expect(body['@odata.nextLink']).toBeDefined();
    } finally {
      await big.close();
    }
  });
});
