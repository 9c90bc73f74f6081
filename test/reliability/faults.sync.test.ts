/**
 * Fault matrix, part 1: faults while a sync reads the tenant, and pushes that race (the bundled
 * action, the tenant simulator, the GitHub double). Each read-fault case changes one object in the
 * tenant (so that the sync has a backup to commit and a change to adopt), injects its fault, and
 * checks:
 *
 * - the outcome: Idle (the client rode the fault out) with the fault seen and retried;
 * - the simulator's write log: nothing written (a sync never writes);
 * - the state branch: one backup commit with the tenant's change; main adopted it;
 * - nothing deleted because it could not be read;
 * - a rerun converges (no commit, no pull request, no write, no duplicate object): its backup,
 *   written over the state branch, changed nothing, so the state branch describes the tenant.
 *
 * Then: a read failure in the middle of a paged list (Partially successful), and a colleague's
 * push to main between the sync's fetch and its push (made at that exact point through the
 * double's request log). Cases run in four lanes side by side (see serial() in the harness).
 *
 * Engine-level cases that exist already and are not repeated here: test/backup/backup.test.ts
 * (429 storm on a 400-object tenant without client pacing; a failing type; a failing page; a type
 * referring to a failed type), test/graph/client.test.ts and batch.test.ts (retry rules, drops,
 * timeouts, $batch items against a scripted server), test/lifecycle/statuses.test.ts (a type
 * failing with 500: Partially successful, files kept on both branches).
 */
import { describe, expect, it } from 'vitest';
import { scheduleEvent } from '../github/double/index.js';
import type { FaultSpec, Simulator } from '../simulator/index.js';
import {
  branchesNow,
  commitNow,
  expectConverges,
  expectNothingDeleted,
  fileOn,
  IDLE,
  interleave,
  lanes,
  openPulls,
  PARTIAL,
  planOf,
  pushAttempts,
  retriesIn,
  runAction,
  STATE,
  statusesOf,
  type Lab,
} from './faults.harness.js';

const TIMEOUT = 240_000;
const inLane = lanes(4);

type Scenario = Parameters<Simulator['setScenario']>[0];

interface SyncFault {
  name: string;
  scenario?: Scenario;
  faults?: FaultSpec[];
  /** What shows that the fault happened and was ridden out */
  seen: (lab: Lab, stdout: string) => void;
}

const intuneAtAHundredth = {
  perApp: { requests: 10, perMs: 20_000 },
  perAppWrites: { requests: 100, perMs: 20_000 },
  perTenant: { requests: 20, perMs: 20_000 },
  perTenantWrites: { requests: 200, perMs: 20_000 },
};

const cases: SyncFault[] = [
  {
    // Conditional access is limited to 1 request per second per tenant and answers 429 WITHOUT
    // Retry-After (documented). The client paces itself to exactly that limit; with the
    // simulator's clock at half speed (the README's way to make "within the window" hold) the
    // limit bites on every other request, and one-object pages make named locations a chain of them.
    name: '429 storm at the conditional-access limit, without Retry-After',
    scenario: { timeScale: 0.5, throttling: true, pageSizes: { namedLocations: 1, conditionalAccessPolicies: 2 } },
    seen: (l, stdout) => {
      expect(l.sim.counters().throttledByBucket['conditionalAccess'] ?? 0).toBeGreaterThan(1);
      expect(retriesIn(stdout).filter((r) => r.includes('/identity/conditionalAccess/') && r.includes('after 429')).length).toBeGreaterThan(1);
    },
  },
  {
    // Intune answers 429 WITH Retry-After (and x-ms-throttle-scope), per $batch item too. Its
    // per-app window is cut to a hundredth (10 requests per 20 s) on a clock 20 times faster, so
    // that this small tenant meets it; Retry-After carries the scaled wait in decimals.
    name: '429 storm at the Intune per-app window, with Retry-After (plain and $batch items)',
    scenario: { timeScale: 20, retryAfterMode: 'decimal', throttling: { intune: intuneAtAHundredth } },
    seen: (l, stdout) => {
      expect(l.sim.counters().throttledByBucket['intune'] ?? 0).toBeGreaterThan(1);
      expect(retriesIn(stdout).filter((r) => r.includes('after 429')).length).toBeGreaterThan(1);
    },
  },
  {
    name: '503 burst with Retry-After and 504 burst without',
    faults: [
      { kind: 'status', status: 503, count: 4, retryAfterSeconds: 1, match: { method: 'GET', pathIncludes: '/deviceManagement/' } },
      { kind: 'status', status: 504, count: 4, match: { method: 'GET', pathIncludes: '/policies/' } },
    ],
    seen: (l, stdout) => {
      expect(l.sim.counters().byStatus['503']).toBe(4);
      expect(l.sim.counters().byStatus['504']).toBe(4);
      expect(retriesIn(stdout).length).toBeGreaterThanOrEqual(8);
    },
  },
  {
    // The first page of a paged list is cut in the middle of its body (Graph processed the GET)
    name: 'connections dropped in the middle of a page (and before any answer)',
    scenario: { pageSizes: { deviceConfigurations: 2, roleScopeTags: 1 } },
    faults: [
      { kind: 'drop', count: 1, phase: 'after', match: { method: 'GET', pathIncludes: '/deviceManagement/deviceConfigurations' } },
      { kind: 'drop', count: 1, phase: 'after', match: { method: 'GET', pathIncludes: '/deviceManagement/roleScopeTags' } },
      { kind: 'drop', count: 2, phase: 'before', match: { method: 'GET', pathIncludes: '/policies/' } },
    ],
    seen: (l, stdout) => {
      expect(l.sim.counters().droppedConnections).toBe(4);
      expect(retriesIn(stdout).length).toBeGreaterThanOrEqual(4);
    },
  },
  {
    // Two $batch envelopes (GETs only: safe to repeat) cut in the middle of their bodies
    name: 'a connection dropped in the middle of a $batch answer',
    faults: [{ kind: 'drop', count: 2, phase: 'after', match: { method: 'POST', pathIncludes: '/$batch' } }],
    seen: (l, stdout) => {
      expect(l.sim.counters().droppedConnections).toBe(2);
      expect(retriesIn(stdout).filter((r) => r.includes('$batch')).length).toBeGreaterThanOrEqual(2);
    },
  },
];

/** One read fault: a change made in the portal, the fault, a sync (Idle), then a converging rerun */
async function readFault(lab: Lab, c: SyncFault): Promise<void> {
  const counts = lab.sim.tenant.counts();
  const target = lab.sim.state('deviceConfigurations')[0] as { id: string; displayName: string };
  const description = `changed in the portal before: ${c.name}`;
  lab.sim.tenant.update('deviceConfigurations', target.id, { description });
  const before = await branchesNow(lab);
  lab.sim.resetCounters();
  lab.sim.clearWrites();
  try {
    if (c.scenario) lab.sim.setScenario(c.scenario);
    for (const f of c.faults ?? []) lab.sim.faults.add(f);

    const run = await runAction(lab, await scheduleEvent(lab.gh));

    expect(statusesOf(run), run.stdout).toEqual(IDLE);
    expect(run.code).toBe(0);
    c.seen(lab, run.stdout);
    expect(lab.sim.faults.list().filter((f) => f.remaining !== undefined && f.remaining > 0), 'faults that never fired').toEqual([]);
    expect(lab.sim.writes()).toEqual([]);
    await expectNothingDeleted(lab, before);
    // One backup commit, carrying the change; main adopted it byte for byte
    expect(await lab.gh.log(STATE, before.state)).toHaveLength(1);
    const state = await fileOn(lab, STATE, 'deviceConfigurations', target.displayName);
    expect(state.object['description']).toBe(description);
    expect(await lab.gh.readFile('main', state.path)).toBe(await lab.gh.readFile(STATE, state.path));
    expect(await lab.gh.log('main', before.main)).toHaveLength(1);
  } finally {
    lab.sim.faults.clear();
    lab.sim.setScenario({ throttling: true, timeScale: 1, retryAfterMode: 'integer', pageSizes: {} });
  }
  await expectConverges(lab, { counts });
}

/** Adopting a change made in the portal while someone pushes to main between the sync's fetch and its push */
async function raceOnMain(lab: Lab, sameFile: boolean): Promise<{ run: Awaited<ReturnType<typeof runAction>>; target: { id: string; displayName: string }; path: string; before: Awaited<ReturnType<typeof branchesNow>> }> {
  const target = lab.sim.state('deviceConfigurations')[sameFile ? 2 : 1] as { id: string; displayName: string };
  const { path, object } = await fileOn(lab, 'main', 'deviceConfigurations', target.displayName);
  lab.sim.tenant.update('deviceConfigurations', target.id, { description: 'changed in the portal' });
  const before = await branchesNow(lab);
  // The sync reads main (ls-remote, fetch), then asks GitHub for a pending adoption pull request
  // (pulls/list, head tenant-sync/adopt/contoso), then pushes the adoption to main. A colleague's
  // commit lands on main right when that request has been answered.
  let raced = false;
  const off = lab.onGitHub((line) => {
    if (raced || !line.includes('(pulls/list)') || !decodeURIComponent(line).includes('head=contoso:tenant-sync/adopt/contoso')) return;
    raced = true;
    if (sameFile) commitNow(lab, 'main', { [path]: `${JSON.stringify({ ...object, description: 'changed in the repository' }, null, 2)}\n` }, 'Colleague describes the policy');
    else commitNow(lab, 'main', { 'README.md': '# tenant configuration\n\nOwners: the identity team\n' }, 'Colleague edits the README');
  });
  try {
    const run = await runAction(lab, await scheduleEvent(lab.gh));
    expect(raced, 'the race was set up').toBe(true);
    expect(statusesOf(run), run.stdout).toEqual(IDLE);
    expect(lab.sim.writes()).toEqual([]);
    return { run, target, path, before };
  } finally {
    off();
  }
}

interface Row {
  name: string;
  lane: number;
  run: (lab: Lab) => Promise<void>;
}

const [stormNoRetryAfter, stormRetryAfter, bursts, midPage, midBatch] = cases;
const rows: Row[] = interleave<Row>(
  [stormNoRetryAfter!, bursts!, midBatch!].map((c) => ({ name: c.name, lane: 0, run: (lab) => readFault(lab, c) })),
  [stormRetryAfter!, midPage!].map((c) => ({ name: c.name, lane: 1, run: (lab) => readFault(lab, c) })),
  [
    {
      name: 'push race on main, another file: the adoption is made again on the colleague\'s commit, both kept',
      lane: 2,
      run: async (lab) => {
        const counts = lab.sim.tenant.counts();
        const { run, path, before } = await raceOnMain(lab, false);
        expect(pushAttempts(run.stdout, 'main'), 'pushes to main (the first lost the race)').toBe(2);
        const log = await lab.gh.log('main', before.main);
        expect(log).toHaveLength(2);
        expect((await lab.gh.commit(log[0]!))?.message.trim()).toBe('Colleague edits the README');
        expect(await lab.gh.readFile('main', 'README.md')).toContain('Owners: the identity team');
        expect(JSON.parse((await lab.gh.readFile('main', path))!)['description']).toBe('changed in the portal');
        expect(await lab.gh.readFile('main', path)).toBe(await lab.gh.readFile(STATE, path));
        await expectNothingDeleted(lab, before);
        await expectConverges(lab, { counts });
      },
    },
    {
      // The adoption gives up (it never overwrites a colleague's commit) and says "the next sync
      // adopts them again". The state branch took the tenant's change already, though: the next
      // sync must still see both sides' change of that object as a conflict.
      name: 'push race on main, the same file: the adoption gives up; the next sync shows the conflict, it does not propose to overwrite the tenant\'s change',
      lane: 2,
      run: async (lab) => {
        const { run, target, path, before } = await raceOnMain(lab, true);
        expect(pushAttempts(run.stdout, 'main')).toBe(1);
        expect(run.stdout).toContain('the next sync adopts them again');
        expect(JSON.parse((await lab.gh.readFile('main', path))!)['description']).toBe('changed in the repository');
        expect(JSON.parse((await lab.gh.readFile(STATE, path))!)['description']).toBe('changed in the portal');

        const next = await runAction(lab, await scheduleEvent(lab.gh));
        expect(lab.sim.writes()).toEqual([]);
        const plan = planOf(lab, next)!;
        expect(
          plan.items.filter((i) => i.type === 'deviceConfigurations' && i.name === target.displayName).map((i) => `${i.action}: ${i.changes.map((c) => `${c.path} ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`).join(', ')}`),
          'the portal\'s change proposed for overwrite, as if only the repository had changed',
        ).toEqual([]);
        expect(plan.conflicts.map((c) => `${c.kind} ${c.type} ${c.name}`)).toEqual([`both-changed deviceConfigurations ${target.displayName}`]);
        await expectNothingDeleted(lab, before);
      },
    },
  ],
  [
    {
      // A partial list must never stand for the whole: page 2 of device configurations fails
      // (500, not retried) while an object of the type was deleted in the portal
      name: 'a read failure in the middle of a paged list (page 2 of 2): Partially successful, every file of the type kept on both branches; the deletion adopted only once read',
      lane: 3,
      run: async (lab) => {
        const counts = lab.sim.tenant.counts();
        const gone = lab.sim.state('deviceConfigurations')[0] as { id: string; displayName: string };
        const gonePath = (await fileOn(lab, STATE, 'deviceConfigurations', gone.displayName)).path;
        lab.sim.tenant.remove('deviceConfigurations', gone.id);
        const before = await branchesNow(lab);
        lab.sim.setScenario({ pageSizes: { deviceConfigurations: 2 } });
        lab.sim.faults.add({ kind: 'failPage', type: 'deviceConfigurations', page: 2, status: 500 });
        const run = await runAction(lab, await scheduleEvent(lab.gh));
        expect(statusesOf(run), run.stdout).toEqual(PARTIAL);
        expect(run.code).toBe(0);
        expect(lab.sim.counters().byStatus['500'] ?? 0).toBeGreaterThan(0);
        for (const path of Object.keys(before.stateTree).filter((p) => p.includes('/deviceConfigurations/'))) {
          expect(await lab.gh.readFile(STATE, path), `state: ${path}`).toBe(before.stateTree[path]);
          expect(await lab.gh.readFile('main', path), `main: ${path}`).toBe(before.mainTree[path]);
        }
        expect(await lab.gh.resolve('main')).toBe(before.main);
        expect(openPulls(lab)).toEqual([]);
        expect(planOf(lab, run)?.skippedTypes.map((t) => t.type)).toEqual(['deviceConfigurations']);
        expect(lab.sim.writes()).toEqual([]);
        await expectNothingDeleted(lab, before);

        // Read again, the deletion is real: adopted onto main (that one file), then nothing more
        lab.sim.faults.clear();
        lab.sim.setScenario({ pageSizes: {} });
        const next = await runAction(lab, await scheduleEvent(lab.gh));
        expect(statusesOf(next), next.stdout).toEqual(IDLE);
        await expectNothingDeleted(lab, before, [gonePath]);
        expect(await lab.gh.readFile(STATE, gonePath)).toBeUndefined();
        expect(await lab.gh.readFile('main', gonePath)).toBeUndefined();
        await expectConverges(lab, { counts: { ...counts, deviceConfigurations: counts['deviceConfigurations']! - 1 } });
      },
    },
  ],
);


describe('faults while a sync reads the tenant, and pushes that race: the outcome, nothing written, the branches exact, the rerun converges', () => {
  it.concurrent.each(rows)('$name', inLane, TIMEOUT);
});
