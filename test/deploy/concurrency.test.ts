import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/deploy/index.js';
import { ITEMS_AT_ONCE } from '../../src/deploy/levels.js';
import type { GraphClient, GraphRequest } from '../../src/graph/types.js';
import type { PlanItem } from '../../src/reconcile/plan.js';
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

async function updatesOf(type: string, n: number): Promise<PlanItem[]> {
  const folder = join(repo.root, 'tenants', 'contoso', findResource(type)!.workload, type);
  const files = (await readdir(folder)).filter((f) => f.endsWith('.json')).sort().slice(0, n);
  expect(files).toHaveLength(n);
  return Promise.all(files.map((f) => updateItem(repo, type, f.slice(0, -5), (o) => (o.description = `changed ${f}`))));
}

async function updates(n: number): Promise<ReturnType<typeof makePlan>> {
  return makePlan(await updatesOf(TYPE, n));
}

/**
 * The production client, counting the writes under way at once and calling `onWrite` after each;
 * a list whose URL `holdList` accepts waits for it to resolve
 */
async function watchedGraph(
  onWrite: (req: GraphRequest) => void = () => {},
  holdList: (url: string) => Promise<void> | undefined = () => undefined,
): Promise<{ graph: GraphClient & { close?: () => void }; most: () => number }> {
  const inner = await graphFor(sim);
  let now = 0;
  let most = 0;
  const graph: GraphClient & { close?: () => void } = {
    stats: inner.stats,
    get: (url, bucket) => inner.get(url, bucket),
    list: async (url, bucket) => {
      await holdList(url);
      return inner.list(url, bucket);
    },
    listPages: async (url, onPage, bucket) => {
      await holdList(url);
      return inner.listPages(url, onPage, bucket);
    },
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

  it('a cancelled run does not wait for the types still being read: it ends with its record while a later level\'s type is unread', async () => {
    const LATER = 'configurationPolicies';
    const plan = makePlan([...(await updatesOf(TYPE, 3)), ...(await updatesOf(LATER, 3))]);
    const controller = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let released = false;
    const { graph } = await watchedGraph(
      () => controller.abort(),
      (url) => (url.includes(`/${LATER}`) ? held : undefined),
    );
    // Released long after any apply would have ended: a run that waited for the read ends only then
    const timer = setTimeout(() => {
      released = true;
      release();
    }, 30_000);
    try {
      const record = await applyPlan({
        plan,
        tenant: tenantFor(sim),
        graph,
        log: createMemoryLogger(),
        recordFile: join(repo.root, '.tenant-sync', 'contoso', 'cancelled-while-reading.json'),
        approval: { kind: 'cli', reference: 'test' },
        signal: controller.signal,
        verifyTimeoutMs: 2_000,
      });
      expect(released, `the cancelled apply waited for the read of ${LATER}`).toBe(false);
      expect(record.status).toBe('cancelled');
      expect(record.items.filter((i) => i.type === LATER).map((i) => i.result)).toEqual(['pending', 'pending', 'pending']);
      expect(sim.writes().every((w) => w.type === TYPE)).toBe(true);
    } finally {
      clearTimeout(timer);
      release();
      graph.close?.();
    }
  }, 60_000);
});
