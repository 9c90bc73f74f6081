/**
 * Acting from the status: the buttons on a tenant's check run (check_run requested_action) lead to
 * the same outcome as the manual path, with the same simulator writes; protection still decides a
 * merge; only people with write access can act; Cancel sync ends a running sync clearly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkRunRequestedActionEvent, pushEvent, scheduleEvent } from '../github/double/index.js';
import { dashboardIssues, flipTrust, labelNames, runAction, spawnAction, startLifecycle, statusesOf, type Lifecycle } from './harness.js';

let lc: Lifecycle | undefined;
afterEach(async () => {
  await lc?.close();
  lc = undefined;
});

const CHECK = 'tenant-sync / contoso';
const STATE = 'tenant-sync/state/contoso';

async function pendingApproval(l: Lifecycle) {
  await runAction(l, await scheduleEvent(l.gh));
  const { path, object } = await flipTrust(l);
  const event = await pushEvent(l.gh, 'main');
  const run = await runAction(l, event);
  expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Pending approval']);
  const check = l.gh.checkRuns({ name: CHECK, headSha: event.sha }).at(-1)!;
  expect(check.actions.map((a) => a.identifier)).toEqual(['approve', 'reject', 'revert']);
  return { check, pr: l.gh.pulls().find((p) => p.state === 'open')!, path, object };
}

describe('buttons on the check run', () => {
  it('Approve merges through the API and applies exactly as a merge by hand: one PATCH, Idle', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { check, pr, object } = await pendingApproval(l);
    const run = await runAction(l, await checkRunRequestedActionEvent(l.gh, check.id, 'approve', { sender: 'reviewer' }));
    expect(run.code, run.stdout).toBe(0);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(l.gh.pull(pr.number)).toMatchObject({ merged: true });
    expect(l.sim.writes().map((w) => `${w.method} ${w.type}`)).toEqual(['PATCH namedLocations']);
    const location = l.sim.state('namedLocations').find((o) => (o as Record<string, unknown>)['displayName'] === object['displayName']) as Record<string, unknown>;
    expect(location['isTrusted']).toBe(!object['isTrusted']);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Reject closes the pull request; nothing is written', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { check, pr } = await pendingApproval(l);
    const mainBefore = await l.gh.resolve('main');
    const run = await runAction(l, await checkRunRequestedActionEvent(l.gh, check.id, 'reject', { sender: 'reviewer' }));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(l.gh.pull(pr.number)).toMatchObject({ state: 'closed', merged: false });
    expect(l.gh.comments(pr.number).at(-1)!.body).toContain('Rejected: nothing was written');
    expect(await l.gh.resolve('main')).toBe(mainBefore);
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Reject and Revert labels and closes it; main is put back to the tenant; nothing is written', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { check, pr, path } = await pendingApproval(l);
    const run = await runAction(l, await checkRunRequestedActionEvent(l.gh, check.id, 'revert', { sender: 'reviewer' }));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(labelNames(l.gh.pull(pr.number)?.labels)).toContain('tenant-sync:revert');
    expect(await l.gh.readFile('main', path)).toBe(await l.gh.readFile(STATE, path));
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Approve refused by branch protection: reported on the check run, nothing applied, the pull request stays open', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { check, pr } = await pendingApproval(l);
    l.gh.protectBranch(STATE, { requiredApprovingReviewCount: 1, blockPushes: false });
    const run = await runAction(l, await checkRunRequestedActionEvent(l.gh, check.id, 'approve', { sender: 'reviewer' }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('At least 1 approving review is required');
    expect(l.gh.pull(pr.number)).toMatchObject({ state: 'open', merged: false });
    const shown = l.gh.checkRuns({ name: CHECK, headSha: check.head_sha }).at(-1)!;
    expect(shown.output?.summary).toContain('GitHub refused to merge');
    expect(shown.actions.map((a) => a.identifier)).toEqual(['approve', 'reject', 'revert']);
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('a person without write access changes nothing', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { check, pr } = await pendingApproval(l);
    for (const identifier of ['approve', 'reject', 'revert']) {
      const run = await runAction(l, await checkRunRequestedActionEvent(l.gh, check.id, identifier, { sender: 'triager' }));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('has no write access');
    }
    expect(l.gh.pull(pr.number)).toMatchObject({ state: 'open', merged: false });
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Cancel sync cancels the running workflow run, which ends as New error (SYNC_CANCELLED) on its check run and the dashboard', async () => {
    lc = await startLifecycle();
    const l = lc;
    l.sim.faults.add({ kind: 'latency', fixedMs: 400 });
    const sync = await spawnAction(l, await scheduleEvent(l.gh));
    let running: ReturnType<typeof l.gh.checkRuns>[number] | undefined;
    for (let i = 0; i < 200 && !running; i++) {
      running = l.gh.checkRuns({ name: CHECK }).find((c) => c.status === 'in_progress' && c.actions.some((a) => a.identifier === 'cancel'));
      if (!running) await new Promise((r) => setTimeout(r, 50));
    }
    expect(running, sync.output()).toBeDefined();
    const press = await runAction(l, await checkRunRequestedActionEvent(l.gh, running!.id, 'cancel', { sender: 'reviewer' }));
    expect(press.code, press.stdout).toBe(0);
    expect(l.gh.workflowRuns().find((r) => r.id === sync.runId)).toMatchObject({ conclusion: 'cancelled' });
    sync.child.kill('SIGTERM'); // what the runner does to a cancelled job's steps
    const ended = await sync.done;
    expect(ended.code).toBe(1);
    expect(ended.stdout).toContain('SYNC_CANCELLED');
    const check = l.gh.checkRuns({ name: CHECK }).at(-1)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(check.output?.summary).toContain('SYNC_CANCELLED');
    const dashboard = dashboardIssues(l)[0]!;
    expect(dashboard.body).toMatch(/\| contoso \| \[New error\]\([^)]*"[^"]*SYNC_CANCELLED|\| contoso \| \[New error\]\(/);
    expect(dashboard.body).toContain('SYNC_CANCELLED');
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });
});
