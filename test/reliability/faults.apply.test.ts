/**
 * Fault matrix, part 2: faults while an approved plan is applied (a merged approval pull request,
 * the bundled action, the tenant simulator, the GitHub double). Each case proposes a change on
 * main (sync: Pending approval), merges it, injects its fault and runs the apply, then checks:
 *
 * - the outcome (final status per the design's table, the deploy record's status and items);
 * - the simulator's write log: exactly the planned writes (a POST never repeated blindly);
 * - the deploy record (the run's artifact) against that log: every write Graph accepted is in it;
 * - the state branch describes the tenant after the deploy; main is left as merged;
 * - nothing deleted because it could not be read;
 * - a rerun converges without duplicate objects.
 *
 * Cases run in four lanes side by side (serial() in the harness), two or three per lane.
 *
 * Existing engine-level cases, not repeated here (test/deploy/deploy.test.ts): a 404 right after a
 * create waited out by applyPlan, a read-back that differs (unverified), the record of a write in
 * flight when the process dies, a POST whose answer is lost (failed, not repeated; a rerun skips
 * it), stale plans.
 */
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/snapshot/index.js';
import { pullRequestEvent, scheduleEvent } from '../github/double/index.js';
import type { FaultSpec, Simulator, WriteRecord } from '../simulator/index.js';
import {
  APPROVE,
  branchesNow,
  deployRecordOf,
  expectConverges,
  expectNothingDeleted,
  expectRecordDescribesWrites,
  fileOn,
  IDLE,
  interleave,
  lanes,
  openPulls,
  PARTIAL,
  PENDING_APPROVAL,
  PLAN_FILE,
  propose,
  retriesIn,
  runAction,
  softly,
  STATE,
  statusesOf,
  tenantObject,
  until,
  type Lab,
} from './faults.harness.js';

const TIMEOUT = 240_000;
const inLane = lanes(4);

type Change = 'update' | 'create' | 'intune' | 'intune2';
type Scenario = Parameters<Simulator['setScenario']>[0];

const NL = 'namedLocations';
const COMPLIANCE = 'deviceCompliancePolicies';
const TRUSTED = 'IPv4 named location';
const IOS = 'iOS compliance';
const CONFIGURATIONS = 'deviceConfigurations';
const RESTRICTIONS = 'iOS device restrictions';
let serialNumber = 0;

/** Desired changes on main: flip a named location's isTrusted, create a named location, describe a compliance policy */
async function desiredChanges(lab: Lab, changes: Change[], label: string): Promise<{ files: Record<string, string>; created?: string; isTrusted?: boolean; description?: string; description2?: string }> {
  const files: Record<string, string> = {};
  const out: Awaited<ReturnType<typeof desiredChanges>> = { files };
  const serial = ++serialNumber;
  if (changes.includes('update')) {
    const { path, object } = await fileOn(lab, 'main', NL, TRUSTED);
    out.isTrusted = !(object['isTrusted'] as boolean);
    files[path] = renderJson({ ...object, isTrusted: out.isTrusted });
  }
  if (changes.includes('create')) {
    const { path, object } = await fileOn(lab, 'main', NL, TRUSTED);
    out.created = `Branch office ${serial}`;
    files[path.replace(/[^/]+\.json$/, `${out.created}.json`)] = renderJson({
      ...object,
      displayName: out.created,
      isTrusted: false,
      ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: `203.0.113.${serial}/32` }],
    });
  }
  if (changes.includes('intune')) {
    const { path, object } = await fileOn(lab, 'main', COMPLIANCE, IOS);
    out.description = `approved: ${label}`;
    files[path] = renderJson({ ...object, description: out.description });
  }
  if (changes.includes('intune2')) {
    const { path, object } = await fileOn(lab, 'main', CONFIGURATIONS, RESTRICTIONS);
    out.description2 = `approved too: ${label}`;
    files[path] = renderJson({ ...object, description: out.description2 });
  }
  return out;
}

const summary = (writes: readonly WriteRecord[], filter: (w: WriteRecord) => boolean = (w) => w.status < 400) =>
  writes
    .filter(filter)
    .map((w) => `${w.method} ${w.type}`)
    .sort();

interface ApplyFault {
  name: string;
  lane: number;
  changes: Change[];
  scenario?: Scenario;
  faults?: FaultSpec[];
  during?: (lab: Lab) => Promise<void>;
  /** Writes the tenant accepted, as 'METHOD type', sorted */
  accepted: string[];
  seen?: (lab: Lab, stdout: string, writes: readonly WriteRecord[]) => void;
}

const cases: ApplyFault[] = [
  {
    // Conditional access answers 429 without Retry-After (documented): exponential backoff; a
    // throttled request was not processed, so even the POST is repeated
    name: '429 on the writes without Retry-After (conditional access): the PATCH and the POST retried, one object created',
    lane: 0,
    changes: ['update', 'create'],
    faults: [
      { kind: 'status', status: 429, count: 2, match: { method: 'PATCH', pathIncludes: '/namedLocations/' } },
      { kind: 'status', status: 429, count: 2, match: { method: 'POST', pathIncludes: '/namedLocations' } },
    ],
    accepted: [`PATCH ${NL}`, `POST ${NL}`],
    seen: (_l, stdout, writes) => {
      expect(summary(writes, (w) => w.status === 429)).toEqual([`PATCH ${NL}`, `PATCH ${NL}`, `POST ${NL}`, `POST ${NL}`]);
      // (the simulator's own conditional-access window may add a 429 on a read)
      expect(retriesIn(stdout).filter((r) => r.includes('after 429') && !r.includes(' of GET ')).length).toBe(4);
    },
  },
  {
    // Intune answers 429 with Retry-After. Its per-app write window is cut to 1 write per 20 s on
    // a clock 20 times faster (1 per second, decimal Retry-After), so the plan's second write meets it
    name: '429 at the Intune write window, with Retry-After',
    lane: 1,
    changes: ['intune', 'intune2'],
    scenario: {
      timeScale: 20,
      retryAfterMode: 'decimal',
      throttling: {
        intune: {
          perApp: { requests: 1_000, perMs: 20_000 },
          perAppWrites: { requests: 1, perMs: 20_000 },
          perTenant: { requests: 2_000, perMs: 20_000 },
          perTenantWrites: { requests: 200, perMs: 20_000 },
        },
      },
    },
    accepted: [`PATCH ${COMPLIANCE}`, `PATCH ${CONFIGURATIONS}`],
    seen: (l, stdout, writes) => {
      expect(writes.filter((w) => w.status === 429).length).toBeGreaterThanOrEqual(1);
      expect(l.sim.counters().throttledByBucket['intune'] ?? 0).toBeGreaterThanOrEqual(1);
      expect(retriesIn(stdout).filter((r) => r.includes('after 429')).length).toBeGreaterThanOrEqual(1);
    },
  },
  {
    // A PATCH is idempotent: retried after 503 (with Retry-After); the apply's reads after 504 (backoff)
    name: '503 burst on the writes and 504 burst on the reads',
    lane: 0,
    changes: ['update', 'intune'],
    faults: [
      { kind: 'status', status: 503, count: 2, retryAfterSeconds: 1, match: { method: 'PATCH' } },
      { kind: 'status', status: 504, count: 3, match: { method: 'GET' } },
    ],
    accepted: [`PATCH ${COMPLIANCE}`, `PATCH ${NL}`],
    seen: (l, stdout) => {
      expect(l.sim.counters().byStatus['503']).toBe(2);
      expect(l.sim.counters().byStatus['504']).toBe(3);
      expect(retriesIn(stdout).length).toBeGreaterThanOrEqual(5);
    },
  },
  {
    // The PATCH reached Graph and was applied; its answer was cut. A PATCH is repeated (idempotent):
    // Graph applied it twice, and both are writes the record must show.
    name: 'the answer to a PATCH is lost after Graph applied it',
    lane: 1,
    changes: ['intune'],
    faults: [{ kind: 'drop', count: 1, phase: 'after', match: { method: 'PATCH', pathIncludes: '/deviceManagement/' } }],
    accepted: [`PATCH ${COMPLIANCE}`, `PATCH ${COMPLIANCE}`],
    seen: (l) => expect(l.sim.counters().droppedConnections).toBe(1),
  },
  {
    // Graph refuses every token issued so far, once the apply has started reading
    name: 'the access token expires in the middle of the apply',
    lane: 2,
    changes: ['update', 'intune'],
    during: async (l) => {
      await until('the apply reads the tenant', () => l.sim.counters().requests >= 1);
      l.sim.expireAccessTokens();
    },
    accepted: [`PATCH ${COMPLIANCE}`, `PATCH ${NL}`],
    seen: (l) => {
      expect(l.sim.counters().byStatus['401'] ?? 0).toBeGreaterThan(0);
      expect(l.sim.counters().tokenRequests['client_credentials'] ?? 0).toBeGreaterThanOrEqual(2);
    },
  },
  {
    // No knob in the simulator for replication lag: the read-back of the new object answers 404
    // three times (the plan has no other read of a named location by id)
    name: 'eventual consistency: the created object is not visible on read-back at first',
    lane: 3,
    changes: ['create', 'intune'],
    faults: [{ kind: 'status', status: 404, count: 3, match: { method: 'GET', pathIncludes: '/namedLocations/' } }],
    accepted: [`PATCH ${COMPLIANCE}`, `POST ${NL}`],
    seen: (l) => expect(l.sim.counters().byStatus['404']).toBe(3),
  },
];

async function mergeAndApply(lab: Lab, number: number, c: Pick<ApplyFault, 'scenario' | 'faults' | 'during'>) {
  lab.sim.resetCounters();
  lab.sim.clearWrites();
  await lab.gh.mergePullAsUser(number, 'reviewer');
  if (c.scenario) lab.sim.setScenario(c.scenario);
  for (const f of c.faults ?? []) lab.sim.faults.add(f);
  const running = runAction(lab, await pullRequestEvent(lab.gh, number));
  await c.during?.(lab);
  return running;
}

function reset(lab: Lab): void {
  lab.sim.faults.clear();
  lab.sim.setScenario({ throttling: true, timeScale: 1, retryAfterMode: 'integer', pageSizes: {} });
}

function expectTenantAsPlanned(lab: Lab, want: Awaited<ReturnType<typeof desiredChanges>>): void {
  if (want.isTrusted !== undefined) expect(tenantObject(lab, NL, TRUSTED)?.['isTrusted']).toBe(want.isTrusted);
  if (want.description !== undefined) expect(tenantObject(lab, COMPLIANCE, IOS)?.['description']).toBe(want.description);
  if (want.description2 !== undefined) expect(tenantObject(lab, CONFIGURATIONS, RESTRICTIONS)?.['description']).toBe(want.description2);
  if (want.created !== undefined) expect(lab.sim.state(NL).filter((o) => (o as { displayName: string }).displayName === want.created)).toHaveLength(1);
}

/** One apply fault: propose, merge, fault, apply (Idle, every item applied), then a converging rerun */
async function applyFault(lab: Lab, c: ApplyFault): Promise<void> {
  const counts = lab.sim.tenant.counts();
  const want = await desiredChanges(lab, c.changes, c.name);
  const { number, plan } = await propose(lab, want.files, `Change: ${c.name}`);
  expect(plan.items).toHaveLength(c.changes.length);
  const before = await branchesNow(lab);
  const soft = softly();
  try {
    const run = await mergeAndApply(lab, number, c);

    expect(statusesOf(run), run.stdout).toEqual(IDLE);
    const writes = lab.sim.writes();
    expect(summary(writes), 'writes the tenant accepted').toEqual(c.accepted);
    c.seen?.(lab, run.stdout, writes);
    expect(lab.sim.faults.list().filter((f) => f.remaining !== undefined && f.remaining > 0), 'faults that never fired').toEqual([]);
    expectTenantAsPlanned(lab, want);
    const record = deployRecordOf(lab, run);
    expect(record, 'the deploy record in the artifact').toBeDefined();
    expect(record!.status).toBe('succeeded');
    expect(record!.items.map((i) => i.result)).toEqual(record!.items.map(() => 'applied'));
    await soft.check('the deploy record', () => expectRecordDescribesWrites(record!, writes));
    expect(lab.gh.comments(number).at(-1)?.body).toContain('Deployed to **contoso**');
    expect(await lab.gh.resolve(APPROVE)).toBeUndefined();
    expect(await lab.gh.resolve('main'), 'main is left as merged').toBe(before.main);
    await expectNothingDeleted(lab, before);
  } finally {
    reset(lab);
  }
  await expectConverges(lab, { counts: { ...counts, [NL]: counts[NL]! + (want.created ? 1 : 0) } });
  soft.done();
}

async function createRefused(lab: Lab): Promise<void> {
  const counts = lab.sim.tenant.counts();
  const want = await desiredChanges(lab, ['create', 'intune'], 'a create refused with 503');
  const { number } = await propose(lab, want.files, 'A branch office and a description');
  const before = await branchesNow(lab);

  const run = await mergeAndApply(lab, number, { faults: [{ kind: 'status', status: 503, count: 1, match: { method: 'POST', pathIncludes: '/namedLocations' } }] });
  reset(lab);

  expect(statusesOf(run), run.stdout).toEqual(PARTIAL);
  const writes = lab.sim.writes();
  expect(summary(writes, () => true)).toEqual([`PATCH ${COMPLIANCE}`, `POST ${NL}`]);
  expect(writes.find((w) => w.method === 'POST')?.status).toBe(503);
  expect(lab.sim.state(NL).filter((o) => (o as { displayName: string }).displayName === want.created)).toEqual([]);
  const record = deployRecordOf(lab, run)!;
  expect(record.status).toBe('partial');
  expect(record.items.find((i) => i.action === 'create')).toMatchObject({ result: 'failed', requests: [{ method: 'POST', status: 503 }] });
  expect(record.items.find((i) => i.action === 'update')).toMatchObject({ result: 'applied' });
  expectRecordDescribesWrites(record, writes);
  expect(lab.gh.comments(number).at(-1)?.body).toContain('in part');
  await expectNothingDeleted(lab, before);

  // The next sync writes nothing and proposes exactly the create again, for approval; the state
  // branch the apply left described the tenant (this sync commits nothing)
  const stateAfterApply = (await lab.gh.resolve(STATE))!;
  lab.sim.clearWrites();
  const next = await runAction(lab, await scheduleEvent(lab.gh));
  expect(statusesOf(next), next.stdout).toEqual(PENDING_APPROVAL);
  expect(lab.sim.writes()).toEqual([]);
  expect(await lab.gh.resolve('main'), 'main is left as merged').toBe(before.main);
  expect(await lab.gh.log(STATE, stateAfterApply)).toEqual([]);
  const again = openPulls(lab);
  expect(again).toHaveLength(1);
  const plan = JSON.parse((await lab.gh.readFile(APPROVE, PLAN_FILE))!) as { items: { action: string; name: string }[] };
  expect(plan.items.map((i) => `${i.action} ${i.name}`)).toEqual([`create ${want.created}`]);

  // Approved again, it is created once
  const second = await mergeAndApply(lab, again[0]!.number, {});
  expect(statusesOf(second), second.stdout).toEqual(IDLE);
  expect(summary(lab.sim.writes())).toEqual([`POST ${NL}`]);
  expectRecordDescribesWrites(deployRecordOf(lab, second)!, lab.sim.writes());
  await expectConverges(lab, { counts: { ...counts, [NL]: counts[NL]! + 1 } });
}

/**
 * A write refused (500, not retried) and the type's read failing after it: the type keeps its
 * files as they were, i.e. as last recorded from the tenant. The merge commit the state branch
 * ends in holds the approved files, not the tenant's: those must not be taken for the tenant's.
 */
async function writeAndReadFail(lab: Lab): Promise<void> {
  const counts = lab.sim.tenant.counts();
  const want = await desiredChanges(lab, ['update', 'intune'], 'a refused write, then a failed read');
  const { number } = await propose(lab, want.files, 'Trust and describe');
  const before = await branchesNow(lab);
  const { path } = await fileOn(lab, STATE, NL, TRUSTED);
  const wasTrusted = !want.isTrusted;
  const soft = softly();

  const run = await mergeAndApply(lab, number, {
    faults: [{ kind: 'status', status: 500, count: 1, match: { method: 'PATCH', pathIncludes: '/namedLocations/' } }],
    during: async (l) => {
      // Once the named location's write was refused, every list of named locations fails (reads by id still work)
      await until('the PATCH of the named location', () => l.sim.writes().some((w) => w.method === 'PATCH' && w.type === NL));
      l.sim.faults.add({ kind: 'failPage', type: NL, page: 1, status: 500 });
    },
  });
  reset(lab);

  expect(statusesOf(run), run.stdout).toEqual(PARTIAL);
  const writes = lab.sim.writes();
  expect(summary(writes)).toEqual([`PATCH ${COMPLIANCE}`]);
  expect(tenantObject(lab, NL, TRUSTED)?.['isTrusted']).toBe(wasTrusted);
  const record = deployRecordOf(lab, run)!;
  expect(record.status).toBe('partial');
  expect(record.items.find((i) => i.type === NL)).toMatchObject({ result: 'failed', requests: [{ method: 'PATCH', status: 500 }] });
  expectRecordDescribesWrites(record, writes);
  expect(await lab.gh.resolve('main')).toBe(before.main);
  await expectNothingDeleted(lab, before);
  // The named locations were not read: their files stay as last recorded from the tenant
  const stateNow = await lab.gh.readTree(STATE);
  await soft.check('the state branch after the apply', () => {
    expect(JSON.parse(stateNow[path]!)['isTrusted'], `${path} shows the refused change as if the tenant had it`).toBe(wasTrusted);
    for (const p of Object.keys(before.stateTree).filter((x) => x.includes(`/${NL}/`))) expect(stateNow[p], p).toBe(before.stateTree[p]);
  });

  // The next sync must neither adopt the tenant's old value onto main (reverting the approved
  // change without anyone asking) nor drop the change: it proposes it again
  lab.sim.clearWrites();
  const next = await runAction(lab, await scheduleEvent(lab.gh));
  expect(lab.sim.writes()).toEqual([]);
  const mainNow = await lab.gh.readFile('main', path);
  const said = next.stdout.split('\n').filter((l) => l.startsWith('contoso: ')).join('\n');
  await soft.check('the next sync, on main', () =>
    expect(JSON.parse(mainNow ?? '{}')['isTrusted'], `isTrusted in ${path} on main after the next sync (the approved change reverted?)\n${said}`).toBe(want.isTrusted),
  );
  await soft.check('the next sync, its status', () => expect(statusesOf(next), said).toEqual(PENDING_APPROVAL));
  const open = openPulls(lab);

  // Back to a converged state either way: approve what is proposed
  if (open.length === 1) {
    const apply = await mergeAndApply(lab, open[0]!.number, {});
    expect(statusesOf(apply), apply.stdout).toEqual(IDLE);
    expectRecordDescribesWrites(deployRecordOf(lab, apply)!, lab.sim.writes());
  }
  await expectConverges(lab, { counts });
  soft.done();
}

const rows = interleave<{ name: string; lane: number; run: (lab: Lab) => Promise<void> }>(
  ...[0, 1, 2, 3].map((lane) => [
    ...cases.filter((c) => c.lane === lane).map((c) => ({ name: c.name, lane, run: (lab: Lab) => applyFault(lab, c) })),
    ...(lane === 2
      ? [{ name: 'a refused write and a read failure after it: Partially successful; the type\'s files kept as last recorded; the next sync reverts nothing and proposes the change again', lane, run: writeAndReadFail }]
      : []),
    ...(lane === 3
      ? [{ name: '503 on a create: the POST is not repeated, the rest is applied (Partially successful); the next sync proposes the create again and nothing else', lane, run: createRefused }]
      : []),
  ]),
);

describe('faults while an approved plan is applied: the planned writes exactly, recorded, the state branch exact, the rerun converges', () => {
  it.concurrent.each(rows)('$name', inLane, TIMEOUT);
});
