import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/deploy/index.js';
import { ITEMS_AT_ONCE } from '../../src/deploy/levels.js';
import type { GraphClient, GraphRequest } from '../../src/graph/types.js';
import { findResource } from '../../src/resources/catalogue.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { tempRepo, tenantFor } from '../backup/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { apply, backup, graphFor, makePlan, updateItem, type Repo } from './helpers.js';

// A generated tenant with enough objects of one type for a level of many changes.
let sim: Simulator;
let repo: Repo;
const TYPE = 'deviceConfigurations';

beforeAll(async () => {
  sim = await startSimulator({ throttling: false, tenant: { objects: 400, seed: 8 } });
  repo = await backup(sim, await tempRepo());
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  sim.reset();
  sim.clearWrites();
});

async function updates(n: number): Promise<ReturnType<typeof makePlan>> {
  const folder = join(repo.root, 'tenants', 'contoso', findResource(TYPE)!.workload, TYPE);
  const files = (await readdir(folder)).filter((f) => f.endsWith('.json')).sort().slice(0, n);
  expect(files).toHaveLength(n);
  return makePlan(await Promise.all(files.map((f) => updateItem(repo, TYPE, f.slice(0, -5), (o) => (o.description = `changed ${f}`)))));
}

/** The production client, counting the writes under way at once and calling `onWrite` after each */
async function watchedGraph(onWrite: (req: GraphRequest) => void = () => {}): Promise<{ graph: GraphClient & { close?: () => void }; most: () => number }> {
  const inner = await graphFor(sim);
  let now = 0;
  let most = 0;
  const graph: GraphClient & { close?: () => void } = {
    stats: inner.stats,
    get: (url, bucket) => inner.get(url, bucket),
    list: (url, bucket) => inner.list(url, bucket),
    listPages: (url, onPage, bucket) => inner.listPages(url, onPage, bucket),
    getMany: (urls, bucket) => inner.getMany(urls, bucket),
    listMany: (urls, bucket) => inner.listMany(urls, bucket),
    async request(req) {
      now++;
      most = Math.max(most, now);
      try {
        return await inner.request(req);
      } finally {
        now--;
        onWrite(req);
      }
    },
    close: () => inner.close?.(),
  };
  return { graph, most: () => most };
}

const sent = (sim: Simulator) => sim.writes().map((w) => `${w.method} ${w.path} ${w.status} ${w.requestId}`).sort();

describe('the changes of one level are applied several at once', () => {
  it('every change is applied once, and every write the tenant received is in the record', async () => {
    const plan = await updates(40);
    const { graph, most } = await watchedGraph();
    const record = await apply(sim, repo, plan, { graph });
    graph.close?.();
    expect(record.status).toBe('succeeded');
    expect(record.counts).toMatchObject({ items: 40, applied: 40, pending: 0, inProgress: 0, requests: 40 });
    expect(most()).toBeGreaterThan(1);
    expect(most()).toBeLessThanOrEqual(ITEMS_AT_ONCE);
    // One PATCH per object, each object's own
    expect(new Set(sim.writes().map((w) => w.path)).size).toBe(40);
    expect(record.items.flatMap((i) => i.requests.map((r) => `${r.method} ${r.path} ${r.status} ${r.requestId}`)).sort()).toEqual(sent(sim));
    for (const item of record.items) expect(item.requests.map((r) => r.path)).toEqual([`/beta/deviceManagement/deviceConfigurations/${item.id}`]);
  });

  it('a cancelled run starts no further write: the changes not begun stay pending, and every write made is recorded', async () => {
    const plan = await updates(60);
    const controller = new AbortController();
    const { graph } = await watchedGraph(() => controller.abort());
    const tenantWrites = (): number => sim.writes().length;
    const record = await applyPlan({
      plan,
      tenant: tenantFor(sim),
      graph,
      log: createMemoryLogger(),
      recordFile: join(repo.root, '.tenant-sync', 'contoso', 'cancelled-record.json'),
      approval: { kind: 'cli', reference: 'test' },
      signal: controller.signal,
      verifyTimeoutMs: 2_000,
    });
    graph.close?.();
    // Only the writes already under way when the first answer came: at most one per change in flight
    expect(tenantWrites()).toBeGreaterThan(0);
    expect(tenantWrites()).toBeLessThanOrEqual(ITEMS_AT_ONCE);
    expect(record.items.flatMap((i) => i.requests.map((r) => `${r.method} ${r.path} ${r.status} ${r.requestId}`)).sort()).toEqual(sent(sim));
    const pending = record.items.filter((i) => i.result === 'pending');
    expect(pending.length).toBeGreaterThanOrEqual(60 - ITEMS_AT_ONCE);
    for (const item of pending) expect(item.requests).toEqual([]);
    expect(record.counts.inProgress).toBe(0);
    expect(record.items.filter((i) => i.requests.length > 0).every((i) => i.result === 'applied')).toBe(true);
  });
});
