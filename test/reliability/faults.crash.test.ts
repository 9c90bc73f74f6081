/**
 * Fault matrix, part 3: a run that does not end. The bundled action is spawned as the runner
 * spawns it and killed at a chosen point of an apply (SIGTERM, as when the job is cancelled;
 * SIGKILL, as when the runner dies), or the approval pull request is merged while another sync is
 * in flight. Each case checks what is left (the tenant, the deploy record, the branches, what
 * GitHub shows), and that the next runs converge: no duplicate create, no write applied again
 * without approval, no spurious drift adopted onto main, no delete.
 *
 * The cases run concurrently, each on its own simulator and GitHub double.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployRecordSchema, type DeployRecord } from '../../src/deploy/record.js';
import { renderJson } from '../../src/snapshot/index.js';
import { pullRequestEvent, scheduleEvent } from '../github/double/index.js';
import {
  APPROVE,
  branchesNow,
  CHECK,
  deployRecordOf,
  expectConverges,
  expectNothingDeleted,
  expectRecordDescribesWrites,
  fileOn,
  IDLE,
  openPulls,
  PENDING_APPROVAL,
  PLAN_FILE,
  propose,
  runAction,
  softly,
  spawnAction,
  STATE,
  startLab,
  statusesOf,
  tenantObject,
  until,
  type Lab,
} from './faults.harness.js';

const NL = 'namedLocations';
const TRUSTED = 'IPv4 named location';
const COUNTRY = 'Country named location';
const TIMEOUT = 240_000;

async function withLab(run: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await startLab();
  try {
    const first = await runAction(lab, await scheduleEvent(lab.gh));
    expect(statusesOf(first), first.stdout).toEqual(IDLE);
    await run(lab);
  } finally {
    await lab.close();
  }
}

/** Two named-location updates on main: trust the IPv4 range, add a country */
async function twoUpdates(lab: Lab): Promise<{ files: Record<string, string>; isTrusted: boolean; countries: string[] }> {
  const trusted = await fileOn(lab, 'main', NL, TRUSTED);
  const country = await fileOn(lab, 'main', NL, COUNTRY);
  const isTrusted = !(trusted.object['isTrusted'] as boolean);
  const countries = [...(country.object['countriesAndRegions'] as string[]), 'GB'];
  return {
    files: { [trusted.path]: renderJson({ ...trusted.object, isTrusted }), [country.path]: renderJson({ ...country.object, countriesAndRegions: countries }) },
    isTrusted,
    countries,
  };
}

/** One named-location update on main (flip isTrusted), proposed for approval */
async function proposeTrust(lab: Lab) {
  const counts = lab.sim.tenant.counts();
  const trusted = await fileOn(lab, 'main', NL, TRUSTED);
  const isTrusted = !(trusted.object['isTrusted'] as boolean);
  const { number } = await propose(lab, { [trusted.path]: renderJson({ ...trusted.object, isTrusted }) }, 'Trust the IPv4 range');
  return { counts, trusted, isTrusted, number, before: await branchesNow(lab) };
}

/** twoUpdates proposed for approval and merged by the reviewer, the tenant's writes cleared */
async function mergedTwoUpdates(lab: Lab) {
  const counts = lab.sim.tenant.counts();
  const want = await twoUpdates(lab);
  const { number, plan } = await propose(lab, want.files, 'Trust the IPv4 range, add Great Britain');
  const before = await branchesNow(lab);
  const merge = await lab.gh.mergePullAsUser(number, 'reviewer');
  lab.sim.clearWrites();
  return { counts, want, number, plan, before, merge };
}

/**
 * After the apply of mergedTwoUpdates stopped with one of its two PATCHes made: the next sync
 * writes nothing and proposes exactly the change not written; approved, it is written once; then
 * everything converges.
 */
async function nextSyncProposesTheRest(
  lab: Lab,
  { want, before, counts }: Awaited<ReturnType<typeof mergedTwoUpdates>>,
  soft: ReturnType<typeof softly>,
): Promise<void> {
  expect(lab.sim.writes()).toHaveLength(1);
  const written = lab.sim.writes()[0]!.id === (tenantObject(lab, NL, TRUSTED) as { id: string }).id ? TRUSTED : COUNTRY;
  const next = await runAction(lab, await scheduleEvent(lab.gh));
  expect(statusesOf(next), next.stdout).toEqual(PENDING_APPROVAL);
  expect(lab.sim.writes()).toHaveLength(1);
  expect(await lab.gh.resolve('main'), 'nothing adopted onto main').toBe(before.main);
  expect(await lab.gh.readFile(STATE, PLAN_FILE)).toBeUndefined();
  const open = openPulls(lab);
  expect(open).toHaveLength(1);
  const again = JSON.parse((await lab.gh.readFile(APPROVE, PLAN_FILE))!) as { items: { action: string; name: string }[]; conflicts: unknown[] };
  expect(again.items.map((i) => `${i.action} ${i.name}`)).toEqual([`update ${written === TRUSTED ? COUNTRY : TRUSTED}`]);
  expect(again.conflicts).toEqual([]);
  await expectNothingDeleted(lab, before);

  lab.sim.clearWrites();
  await lab.gh.mergePullAsUser(open[0]!.number, 'reviewer');
  const apply = await runAction(lab, await pullRequestEvent(lab.gh, open[0]!.number));
  expect(statusesOf(apply), apply.stdout).toEqual(IDLE);
  expect(lab.sim.writes().map((w) => `${w.method} ${w.type} ${w.status}`)).toEqual([`PATCH ${NL} 204`]);
  await soft.check('the deploy record', () => expectRecordDescribesWrites(deployRecordOf(lab, apply)!, lab.sim.writes()));
  expect(tenantObject(lab, NL, TRUSTED)?.['isTrusted']).toBe(want.isTrusted);
  expect(tenantObject(lab, NL, COUNTRY)?.['countriesAndRegions']).toEqual(want.countries);
  await expectConverges(lab, { counts });
}

function recordLeftIn(temp: string, leftovers: string[]): DeployRecord | undefined {
  const file = leftovers.find((f) => f.endsWith('deploy-record.json'));
  return file ? deployRecordSchema.parse(JSON.parse(readFileSync(join(temp, file), 'utf8'))) : undefined;
}

describe.concurrent('a run that does not end', () => {
  it(
    'SIGTERM in the middle of an apply (job cancelled after the first PATCH): the record left names the write; the next sync proposes only what was not written',
    () =>
      withLab(async (lab) => {
        const soft = softly();
        const approved = await mergedTwoUpdates(lab);
        const { number, plan, merge } = approved;
        expect(plan.items.map((i) => i.name).sort()).toEqual([COUNTRY, TRUSTED]);

        const action = await spawnAction(lab, await pullRequestEvent(lab.gh, number));
        try {
          // Named locations are paced to 1 request per second: the kill lands before the next request
          await until('the first PATCH', () => lab.sim.writes().some((w) => w.method === 'PATCH'));
          action.child.kill('SIGTERM');
          const exit = await action.exited;
          // The action handles the signal (SYNC_CANCELLED, exit 1) or dies of it; either way no further write
          expect([1, 'SIGTERM'], action.stdout()).toContain(exit.signal ?? exit.code);
          const writes = lab.sim.writes();
          expect(writes.map((w) => `${w.method} ${w.type} ${w.status}`)).toEqual([`PATCH ${NL} 204`]);
          const firstName = (lab.sim.state(NL) as { id: string; displayName: string }[]).find((o) => o.id === writes[0]!.id)!.displayName;
          const second = firstName === TRUSTED ? COUNTRY : TRUSTED;

          // The apply stopped before the second object and reported itself: the record it finished
          // is published with the run (artifact), and nothing is left in RUNNER_TEMP
          expect(action.stdout()).toContain('the run was cancelled; 1 change(s) were not started');
          const published = lab.gh.artifacts({ runId: action.runner.run.id, name: 'tenant-sync-contoso' })[0]?.files().get('deploy-record.json');
          expect(published, `no record published; files left in RUNNER_TEMP: ${action.leftovers().join(', ')}`).toBeDefined();
          expect(recordLeftIn(action.runner.env.RUNNER_TEMP!, action.leftovers())).toBeUndefined();
          const record = deployRecordSchema.parse(JSON.parse(published!.toString()));
          expect(record).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
          expect(record!.items.map((i) => [i.name, i.result])).toEqual([
            [firstName, expect.stringMatching(/^(in-progress|applied)$/)],
            [second, 'pending'],
          ]);
          // The first item was marked in progress before its PATCH went out; the PATCH itself is in
          // the record unless the signal came before its answer was written down
          expect(['', 'PATCH 204']).toContain(record!.items[0]!.requests.map((r) => `${r.method} ${r.status}`).join());
          expect(record!.items[1]!.requests).toEqual([]);
          await soft.check('the cancelled apply\'s deploy record', () => expectRecordDescribesWrites(record!, writes, { inFlight: true }));
          // What a person sees: the apply's check run concluded with the cancel, saying a change was written
          const check = lab.gh.checkRuns({ name: CHECK }).at(-1);
          await soft.check('the cancelled apply\'s check run', () => {
            expect(check?.status).toBe('completed');
            expect(check?.conclusion).toBe('failure');
          });
          await soft.check('what the cancelled apply says was written', () =>
            expect(action.stdout(), 'the log of the cancelled apply').not.toMatch(/the deploy had applied 0 of 2 change/),
          );
          // The reviewer is told on the pull request they merged
          expect(lab.gh.comments(number).at(-1)?.body).toContain('The deploy to **contoso** was cancelled: 1 of 2 change(s) applied');
          // No backup after a cancelled apply: the state branch still ends in the merge (the next
          // sync starts from the last recorded state)
          expect(await lab.gh.resolve(STATE)).toBe(merge);
        } finally {
          action.cleanup();
        }

        await nextSyncProposesTheRest(lab, approved, soft);
        soft.done();
      }),
    TIMEOUT,
  );

  it(
    'SIGTERM while a write\'s answer has not come: the run cannot stop in time, so the cancel is reported from the record, the write in flight named as such',
    () =>
      withLab(async (lab) => {
        const soft = softly();
        const approved = await mergedTwoUpdates(lab);
        const { number, merge } = approved;
        // The first PATCH is held past the time the run has to stop by itself
        const held = lab.sim.faults.add({ kind: 'latency', fixedMs: 15_000, match: { method: 'PATCH', type: NL } });

        const action = await spawnAction(lab, await pullRequestEvent(lab.gh, number));
        try {
          await until('the first PATCH held', () => (lab.sim.faults.list().find((f) => f.id === held.id)?.fired ?? 0) > 0);
          lab.sim.faults.remove(held.id);
          action.child.kill('SIGTERM');
          const exit = await action.exited;
          expect(exit.code, action.stdout()).toBe(1);
          expect(lab.sim.writes(), 'no write answered before the process ended').toEqual([]);
          const published = lab.gh.artifacts({ runId: action.runner.run.id, name: 'tenant-sync-contoso' })[0]?.files().get('deploy-record.json');
          expect(published, 'the cancelled apply\'s deploy record (artifact)').toBeDefined();
          const record = deployRecordSchema.parse(JSON.parse(published!.toString()));
          // Finished by the cancel: the write in flight is in progress (made or not), the other pending
          expect(record).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String), counts: { inProgress: 1, pending: 1, applied: 0 } });
          expect(record.items.map((i) => i.result).sort()).toEqual(['in-progress', 'pending']);
          expect(record.items.flatMap((i) => i.requests)).toEqual([]);
          expect(action.stdout()).toContain('the deploy had applied 0 of 2 change(s) and had 1 write(s) in flight (made or not: see the deploy record)');
          const check = lab.gh.checkRuns({ name: CHECK }).at(-1);
          expect(check).toMatchObject({ status: 'completed', conclusion: 'failure' });
          expect(check?.output?.summary).toContain('SYNC_CANCELLED');
          expect(await lab.gh.resolve(STATE)).toBe(merge);
        } finally {
          action.cleanup();
        }

        // The held PATCH reaches the tenant after the run is gone: Graph applies it all the same
        await until('the held PATCH applied', () => lab.sim.writes().length === 1, 30_000);
        await nextSyncProposesTheRest(lab, approved, soft);
        soft.done();
      }),
    TIMEOUT,
  );

  it(
    'SIGTERM in the middle of an apply of unpaced (Intune) writes: nothing is written after the signal, and the published record names every write',
    () =>
      withLab(async (lab) => {
        const counts = lab.sim.tenant.counts();
        const soft = softly();
        const files: Record<string, string> = {};
        for (const [type, name] of [['deviceCompliancePolicies', 'iOS compliance'], ['deviceConfigurations', 'iOS device restrictions']] as const) {
          const { path, object } = await fileOn(lab, 'main', type, name);
          files[path] = renderJson({ ...object, description: `approved, then cancelled: ${name}` });
        }
        const { number } = await propose(lab, files, 'Describe two Intune policies');
        const before = await branchesNow(lab);
        await lab.gh.mergePullAsUser(number, 'reviewer');
        lab.sim.clearWrites();

        const action = await spawnAction(lab, await pullRequestEvent(lab.gh, number));
        let atSignal: string[] = [];
        try {
          await until('the first PATCH', () => lab.sim.writes().some((w) => w.method === 'PATCH'));
          action.child.kill('SIGTERM');
          atSignal = lab.sim.writes().map((w) => `${w.method} ${w.type} ${w.status}`);
          await action.exited;
          const writes = lab.sim.writes();
          await soft.check('writes after the signal', () => expect(writes.map((w) => `${w.method} ${w.type} ${w.status}`), 'writes when the process ended vs when it was signalled').toEqual(atSignal));
          const published = lab.gh.artifacts({ runId: action.runner.run.id, name: 'tenant-sync-contoso' })[0]?.files().get('deploy-record.json');
          expect(published, 'the cancelled apply\'s deploy record (artifact)').toBeDefined();
          const record = deployRecordSchema.parse(JSON.parse(published!.toString()));
          await soft.check('the published record against the writes', () => expectRecordDescribesWrites(record, writes, { inFlight: true }));
          await soft.check('the items the published record leaves pending were not written', () => {
            for (const item of record.items.filter((i) => i.result === 'pending')) expect(writes.filter((w) => item.id && w.path.includes(item.id)).map((w) => w.path), `${item.type} '${item.name}' (pending)`).toEqual([]);
          });
        } finally {
          action.cleanup();
        }

        // Whatever was written, the next syncs converge without writing it again
        lab.sim.clearWrites();
        const next = await runAction(lab, await scheduleEvent(lab.gh));
        expect(lab.sim.writes()).toEqual([]);
        expect(await lab.gh.resolve('main'), 'nothing adopted onto main').toBe(before.main);
        const open = openPulls(lab);
        if (statusesOf(next).includes('Pending approval')) {
          expect(open).toHaveLength(1);
          await lab.gh.mergePullAsUser(open[0]!.number, 'reviewer');
          const apply = await runAction(lab, await pullRequestEvent(lab.gh, open[0]!.number));
          expect(statusesOf(apply), apply.stdout).toEqual(IDLE);
          expect(lab.sim.writes().filter((w) => w.status < 400)).toHaveLength(1);
        } else expect(statusesOf(next), next.stdout).toEqual(IDLE);
        await expectNothingDeleted(lab, before);
        await expectConverges(lab, { counts });
        soft.done();
      }),
    TIMEOUT,
  );

  it(
    'a crash (SIGKILL) after the writes, before the state is committed: the next sync records the tenant from the last recorded state, adopts nothing, writes nothing',
    () =>
      withLab(async (lab) => {
        const { counts, trusted, isTrusted, number, before } = await proposeTrust(lab);
        const merge = await lab.gh.mergePullAsUser(number, 'reviewer');
        lab.sim.clearWrites();
        // The apply reads only named locations; the backup after it reads every type: hold it there
        const hold = lab.sim.faults.add({ kind: 'latency', fixedMs: 10_000, match: { method: 'GET', pathIncludes: '/deviceManagement/deviceConfigurations' } });

        const action = await spawnAction(lab, await pullRequestEvent(lab.gh, number));
        let record: DeployRecord | undefined;
        try {
          await until('the write, then the backup after it', () => lab.sim.writes().length > 0 && (lab.sim.faults.list().find((f) => f.id === hold.id)?.fired ?? 0) > 0);
          action.child.kill('SIGKILL');
          await action.exited;
          lab.sim.faults.remove(hold.id);
          record = recordLeftIn(action.runner.env.RUNNER_TEMP!, action.leftovers());
        } finally {
          action.cleanup();
        }
        const writes = lab.sim.writes();
        expect(writes.map((w) => `${w.method} ${w.type} ${w.status}`)).toEqual([`PATCH ${NL} 204`]);
        expect(tenantObject(lab, NL, TRUSTED)?.['isTrusted']).toBe(isTrusted);
        expect(record, 'the deploy record left in RUNNER_TEMP').toMatchObject({ status: 'succeeded', items: [{ name: TRUSTED, result: 'applied' }] });
        const soft = softly();
        await soft.check('the record left in RUNNER_TEMP', () => expectRecordDescribesWrites(record!, writes));
        // The state branch still ends in the merged plan (what was wanted, not what the tenant has)
        expect(await lab.gh.resolve(STATE)).toBe(merge);
        expect(await lab.gh.readFile(STATE, PLAN_FILE)).toBeDefined();

        // The next sync: no write, no drift adopted onto main, no pull request; one commit recording the tenant
        const next = await runAction(lab, await scheduleEvent(lab.gh));
        expect(statusesOf(next), next.stdout).toEqual(IDLE);
        expect(next.stdout).toContain('ends in a merged plan that was not applied');
        expect(lab.sim.writes()).toHaveLength(1);
        expect(await lab.gh.resolve('main'), 'spurious drift adopted onto main').toBe(before.main);
        expect(openPulls(lab)).toEqual([]);
        expect(await lab.gh.log(STATE, merge)).toHaveLength(1);
        expect(await lab.gh.readFile(STATE, PLAN_FILE)).toBeUndefined();
        expect(JSON.parse((await lab.gh.readFile(STATE, trusted.path))!)['isTrusted']).toBe(isTrusted);
        await expectNothingDeleted(lab, before);
        await expectConverges(lab, { counts });
        soft.done();
      }),
    TIMEOUT,
  );

  it(
    'the approval pull request merged while a new sync runs: the sync writes nothing and keeps the merge; the apply writes the plan once; the end state is consistent',
    () =>
      withLab(async (lab) => {
        const { counts, trusted, isTrusted, number, before } = await proposeTrust(lab);
        lab.sim.resetCounters();
        lab.sim.clearWrites();

        const sync = runAction(lab, await scheduleEvent(lab.gh));
        await until('the sync\'s first Graph request', () => lab.sim.counters().requests > 0);
        const merge = await lab.gh.mergePullAsUser(number, 'reviewer');
        const during = await sync;
        const soft = softly();
        // Nothing failed: the plan it would propose was just approved (merged) and awaits its apply
        await soft.check('the sync during which the approval was merged', () => {
          const errors = during.stdout.split('\n').filter((l) => l.startsWith('::error::')).join('\n');
          expect(statusesOf(during), errors).not.toContain('New error');
          expect(during.code, errors).toBe(0);
        });
        expect(lab.sim.writes()).toEqual([]);
        // The sync pushed its backup after the merge without dropping it
        expect(await lab.gh.log(STATE, before.state)).toContain(merge);

        const apply = await runAction(lab, await pullRequestEvent(lab.gh, number));
        expect(statusesOf(apply), apply.stdout).toEqual(IDLE);
        const writes = lab.sim.writes();
        expect(writes.map((w) => `${w.method} ${w.type} ${w.status}`)).toEqual([`PATCH ${NL} 204`]);
        const record = deployRecordOf(lab, apply)!;
        expect(record.status).toBe('succeeded');
        await soft.check('the deploy record', () => expectRecordDescribesWrites(record, writes));
        expect(tenantObject(lab, NL, TRUSTED)?.['isTrusted']).toBe(isTrusted);
        expect(JSON.parse((await lab.gh.readFile(STATE, trusted.path))!)['isTrusted']).toBe(isTrusted);
        expect(await lab.gh.readFile('main', trusted.path)).toBe(await lab.gh.readFile(STATE, trusted.path));
        // No approval left open for a plan already applied
        expect(openPulls(lab)).toEqual([]);
        await expectNothingDeleted(lab, before);
        await expectConverges(lab, { counts });
        soft.done();
      }),
    TIMEOUT,
  );
});
