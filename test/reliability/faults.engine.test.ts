/**
 * Fault matrix, part 4: timeouts. The Graph client gives each attempt 60 s (GraphClientOptions
 * .timeoutMs, DEFAULT_TIMEOUT_MS); the action has no input or variable to change it, so a latency
 * fault beyond it cannot be made end to end in a test's time (documented in the report). Here the
 * engine runs in this process with the same modules and a per-attempt timeout of 400 ms, against
 * the simulator's latency faults (held before Graph handles the request, which it then does even
 * when the client has gone: the timed-out write still lands).
 *
 * test/graph/client.test.ts covers the client's timeout against a scripted server (an attempt
 * without answer aborted and retried; ETIMEDOUT after every attempt); deploy.test.ts a POST whose
 * answer is lost (not repeated, a rerun skips it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/engine/connect.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { diffObjects, type Plan } from '../../src/reconcile/index.js';
import { snapshotTree, tempRepo, tenantFor, runBackup, simEnv } from '../backup/helpers.js';
import { apply, backup, copyItem, makePlan, updateItem, type Repo } from '../deploy/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { expectRecordDescribesWrites, softly, until } from './faults.harness.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => {
  await sim?.close();
});

const TIMEOUT_MS = 400;

/** A plan from test/deploy/helpers, with each item's changes filled in as reconcile would (apply checks them) */
function consistent(plan: Plan): Plan {
  return { ...plan, items: plan.items.map((item) => ({ ...item, changes: diffObjects(item.before, item.after) })) };
}
const SLOW_MS = 1_500;

/** A latency fault on the first matching request only: removed as soon as it has fired */
async function slowOnce(match: { method: string; pathIncludes: string }): Promise<void> {
  const fault = sim.faults.add({ kind: 'latency', fixedMs: SLOW_MS, match });
  await until(`a ${match.method} ${match.pathIncludes}`, () => (sim.faults.list().find((f) => f.id === fault.id)?.fired ?? 0) > 0, 20_000, 2);
  sim.faults.remove(fault.id);
}

async function quickGraph() {
  return connect({ tenant: tenantFor(sim), log: createMemoryLogger(), sources: { env: simEnv(sim) }, graph: { rateLimits: {}, timeoutMs: TIMEOUT_MS } });
}

describe('an attempt slower than the per-attempt timeout', () => {
  it('during a backup: the read is timed out and repeated; every type read, every file written', async () => {
    sim.reset();
    const reference = await snapshotTree((await backup(sim, await tempRepo())).root);
    const root = await tempRepo();
    const slow = slowOnce({ method: 'GET', pathIncludes: '/deviceManagement/deviceConfigurations' });
    const report = await runBackup(sim, root, { graph: { rateLimits: {}, timeoutMs: TIMEOUT_MS } });
    await slow;
    expect(report.types.filter((t) => t.status === 'failed')).toEqual([]);
    expect(report.graph.retries).toBeGreaterThanOrEqual(1);
    expect([...(await snapshotTree(root))].map(([p, f]) => [p, f.hash])).toEqual([...reference].map(([p, f]) => [p, f.hash]));
    expect(sim.writes()).toEqual([]);
  });

  it('during an apply: a timed-out PATCH is repeated (both land, both recorded); a timed-out POST is not (failed, outcome unknown), and a rerun creates nothing twice', async () => {
    sim.reset();
    const repo: Repo = await backup(sim, await tempRepo());
    sim.clearWrites();
    const soft = softly();
    const plan = consistent(makePlan([
      await updateItem(repo, 'deviceCompliancePolicies', 'iOS compliance', (o) => (o.description = 'Reviewed')),
      await copyItem(repo, 'namedLocations', 'IPv4 named location', 'Branch office', (o) => {
        o.ipRanges = [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }];
      }),
    ]));
    const graph = await quickGraph();
    try {
      const slowPatch = slowOnce({ method: 'PATCH', pathIncludes: '/deviceCompliancePolicies/' });
      const slowPost = slowOnce({ method: 'POST', pathIncludes: '/namedLocations' });
      const record = await apply(sim, repo, plan, { graph, verifyTimeoutMs: 5_000 });
      await Promise.all([slowPatch, slowPost]);
      // The timed-out attempts land after their delay all the same (the client had repeated the PATCH meanwhile)
      await until('the delayed create', () => sim.state('namedLocations').some((o) => o.displayName === 'Branch office'));
      await until('the timed-out PATCH, then its repetition', () => sim.writes().filter((w) => w.method === 'PATCH').length >= 2, 10_000);
      const writes = sim.writes();
      expect(writes.map((w) => `${w.method} ${w.type} ${w.status}`).sort()).toEqual([
        'PATCH deviceCompliancePolicies 200',
        'PATCH deviceCompliancePolicies 200',
        'POST namedLocations 201',
      ]);
      const create = record.items.find((i) => i.action === 'create')!;
      expect(create).toMatchObject({ result: 'failed', requests: [{ method: 'POST', status: null }] });
      expect(create.error?.code).toMatch(/OUTCOME_UNKNOWN/);
      expect(record.items.find((i) => i.action === 'update')).toMatchObject({ result: 'applied' });
      // Every write Graph accepted is in the record (the POST without an answer as status null)
      await soft.check('the deploy record', () => expectRecordDescribesWrites(record, writes.filter((w) => w.method !== 'POST')));

      // The rerun finds the object as planned: nothing written, no second named location
      sim.clearWrites();
      const rerun = await apply(sim, repo, plan, { graph, verifyTimeoutMs: 5_000 });
      expect(rerun.items.map((i) => i.result)).toEqual(['skipped', 'skipped']);
      expect(sim.writes()).toEqual([]);
      expect(sim.state('namedLocations').filter((o) => o.displayName === 'Branch office')).toHaveLength(1);
    } finally {
      (graph as { close?: () => void }).close?.();
    }
    soft.done();
  });
});
