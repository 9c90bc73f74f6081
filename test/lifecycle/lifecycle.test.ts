/**
 * The product as a team meets it, end to end: the bundled action against the tenant simulator and
 * the GitHub double, one story from the first sync to approve, reject and revert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestEvent, scheduleEvent, pushEvent } from '../github/double/index.js';
import { dashboardIssues, flipTrust, labelNames, runAction, startLifecycle, statusesOf, type Lifecycle } from './harness.js';

let lc: Lifecycle;
const STATE = 'tenant-sync/state/contoso';
const APPROVE = 'tenant-sync/approve/contoso';

beforeAll(async () => {
  lc = await startLifecycle();
});
afterAll(async () => {
  await lc?.close();
});

/** A desired change by a person: flip isTrusted of the first IP named location on the default branch */
const changeDesired = (message: string) => flipTrust(lc, message, { name: 'Alex Admin', email: 'alex@contoso.example' });

function tenantLocation(name: string): Record<string, unknown> | undefined {
  return lc.sim.state('namedLocations').find((o) => (o as Record<string, unknown>)['displayName'] === name) as Record<string, unknown> | undefined;
}

describe('the lifecycle on GitHub (dist/index.js, simulator, GitHub double)', () => {
  it('first sync: Starting → In progress → Idle; the backup lands on the state branch and, adopted, on main; nothing is written to the tenant', async () => {
    const run = await runAction(lc, await scheduleEvent(lc.gh));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(run.outputs['status-contoso']).toBe('Idle');
    const state = await lc.gh.readTree(STATE);
    const main = await lc.gh.readTree('main');
    const tenantFiles = Object.keys(state).filter((p) => p.startsWith('tenants/contoso/'));
    expect(tenantFiles.length).toBe(56);
    expect(state['.tenant-sync/contoso/ids.json']).toBeDefined();
    // main took every object (drift policy adopt on a first sync), byte for byte, and keeps its own files
    for (const path of tenantFiles) expect(main[path], path).toBe(state[path]);
    expect(main['tenant-sync.yml']).toBeDefined();
    expect(main['.tenant-sync/contoso/ids.json']).toBeUndefined();
    expect(lc.sim.writes()).toEqual([]);
    // status everywhere: check run, dashboard, job summary, artifact
    const checks = lc.gh.checkRuns({ name: 'tenant-sync / contoso' });
    expect(checks.at(-1)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(dashboardIssues(lc)).toHaveLength(1);
    expect(dashboardIssues(lc)[0]!.body).toMatch(/\| contoso \| Idle \|/);
    expect(run.summary).toContain('contoso: Idle');
    const artifact = lc.gh.artifacts({ runId: run.runId, name: 'tenant-sync-contoso' })[0]!;
    const files = artifact.files();
    expect([...files.keys()].sort()).toEqual(['log.txt', 'plan.json', 'plan.md', 'report.json', 'report.md']);
    expect(JSON.parse(files.get('report.json')!.toString())).toMatchObject({ status: 'Idle', command: 'sync' });
    expect(run.summary).toContain(`${lc.gh.serverUrl}/contoso/tenant-config/actions/runs/${run.runId}/artifacts/${artifact.id}`);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('a rerun with nothing new converges: no commit, no pull request, no second dashboard, no new check run on the same commit', async () => {
    const before = { main: await lc.gh.resolve('main'), state: await lc.gh.resolve(STATE) };
    const event = await scheduleEvent(lc.gh);
    const first = await runAction(lc, event);
    const checksAfterFirst = lc.gh.checkRuns({ name: 'tenant-sync / contoso', headSha: event.sha }).length;
    const dashboardBody = dashboardIssues(lc)[0]!.body;
    const second = await runAction(lc, event);
    expect(statusesOf(first)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(statusesOf(second)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(await lc.gh.resolve('main')).toBe(before.main);
    expect(await lc.gh.resolve(STATE)).toBe(before.state);
    expect(lc.gh.pulls()).toEqual([]);
    expect(dashboardIssues(lc)).toHaveLength(1);
    // The same rows: only times and the links to this run and its artifacts differ
    const normal = (body: string) => body.replace(/\d{4}-\d\d-\d\d(T| )[\d:.]+Z?( UTC)?/g, 'T').replace(/(runs|artifacts)\/\d+/g, '$1/N');
    expect(normal(dashboardIssues(lc)[0]!.body)).toBe(normal(dashboardBody));
    expect(lc.gh.checkRuns({ name: 'tenant-sync / contoso', headSha: event.sha })).toHaveLength(checksAfterFirst);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('a change on main → Pending approval: one pull request from the approval branch into the state branch, the plan as its body; nothing written', async () => {
    const change = await changeDesired('Trust the office range');
    const event = await pushEvent(lc.gh, 'main');
    const run = await runAction(lc, event);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Pending approval']);
    expect(run.code).toBe(0);
    const prs = lc.gh.pulls();
    expect(prs).toHaveLength(1);
    const pr = prs[0]!;
    expect(pr).toMatchObject({ state: 'open', head: APPROVE, base: STATE });
    expect(pr.body).toContain(change.name);
    expect(pr.body).toContain('isTrusted');
    expect(labelNames(pr.labels as never).sort()).toEqual(['status:pending-approval', 'tenant:contoso']);
    // the pull request's diff is exactly the change (plus the plan it approves)
    const approve = await lc.gh.readTree(APPROVE);
    const state = await lc.gh.readTree(STATE);
    const changed = Object.keys({ ...approve, ...state }).filter((p) => approve[p] !== state[p]).sort();
    expect(changed).toEqual(['.tenant-sync/contoso/plan.json', change.path]);
    const check = lc.gh.checkRuns({ name: 'tenant-sync / contoso', headSha: event.sha }).at(-1)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'action_required' });
    expect(check.details_url).toBe(`${lc.gh.serverUrl}/contoso/tenant-config/pull/${pr.number}`);
    expect(dashboardIssues(lc)[0]!.body).toContain(`#${pr.number}`);
    expect(lc.sim.writes()).toEqual([]);

    // a rerun keeps the same pull request and branch
    const approveSha = await lc.gh.resolve(APPROVE);
    const rerun = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statusesOf(rerun)).toEqual(['Starting', 'In progress', 'Pending approval']);
    expect(lc.gh.pulls()).toHaveLength(1);
    expect(await lc.gh.resolve(APPROVE)).toBe(approveSha);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('merge = approve: the merged plan is applied, the tenant changes exactly as planned, the state branch records it → Idle', async () => {
    const pr = lc.gh.pulls()[0]!;
    const planned = JSON.parse((await lc.gh.readFile(APPROVE, '.tenant-sync/contoso/plan.json'))!) as { items: { name: string; after: Record<string, unknown> }[] };
    expect(planned.items).toHaveLength(1);
    await lc.gh.mergePullAsUser(pr.number, 'reviewer');
    const run = await runAction(lc, await pullRequestEvent(lc.gh, pr.number));
    expect(run.code, run.stdout).toBe(0);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    const writes = lc.sim.writes();
    expect(writes.map((w) => `${w.method} ${w.type}`)).toEqual(['PATCH namedLocations']);
    const item = planned.items[0]!;
    expect(tenantLocation(item.name)?.['isTrusted']).toBe(item.after['isTrusted']);
    // the state branch holds the tenant as it now is, without the plan
    const stateAfter = await lc.gh.readTree(STATE);
    expect(stateAfter['.tenant-sync/contoso/plan.json']).toBeUndefined();
    const main = await lc.gh.readTree('main');
    for (const [path, text] of Object.entries(stateAfter)) if (path.startsWith('tenants/')) expect(main[path], path).toBe(text);
    expect(lc.gh.comments(pr.number).map((c) => c.body).join('\n')).toContain('Deployed to **contoso**');
    const artifact = lc.gh.artifacts({ runId: run.runId, name: 'tenant-sync-contoso' })[0]!;
    expect(JSON.parse(artifact.files().get('deploy-record.json')!.toString())).toMatchObject({ status: 'succeeded', approval: { kind: 'pull-request', approvedBy: 'reviewer' } });

    // the next sync finds nothing to do
    lc.sim.clearWrites();
    const next = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statusesOf(next)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(lc.gh.pulls().filter((p) => p.state === 'open')).toEqual([]);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('close = reject: nothing is written, the pull request says so, and the same plan is not proposed again', async () => {
    lc.sim.clearWrites();
    await changeDesired('Another change');
    await runAction(lc, await pushEvent(lc.gh, 'main'));
    const pr = lc.gh.pulls().find((p) => p.state === 'open')!;
    await lc.gh.closePullAsUser(pr.number, { user: 'reviewer' });
    const mainBefore = await lc.gh.resolve('main');
    const run = await runAction(lc, await pullRequestEvent(lc.gh, pr.number));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.sim.counters().tokenRequests).toBeDefined();
    expect(await lc.gh.resolve('main')).toBe(mainBefore);
    expect(lc.gh.comments(pr.number).at(-1)!.body).toContain('Rejected: nothing was written');

    const next = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statusesOf(next)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(lc.gh.pulls().filter((p) => p.state === 'open')).toEqual([]);
    expect(next.stdout).toContain(`This plan was rejected in #${pr.number}`);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('close with tenant-sync:revert = reject and revert: main is put back to the tenant for the plan\'s objects; nothing is written', async () => {
    lc.sim.clearWrites();
    // Rename the location whose isTrusted change was rejected: the new plan carries both changes
    const change = await changeDesired('A third change');
    const renamed = change.path.replace(/\.json$/, ' (HQ).json');
    const object = JSON.parse((await lc.gh.readFile('main', change.path))!) as Record<string, unknown>;
    await lc.gh.commitFiles('main', { [change.path]: null, [renamed]: `${JSON.stringify({ ...object, isTrusted: !change.isTrusted, displayName: `${change.name} (HQ)` }, null, 2)}\n` }, 'Rename HQ');
    await runAction(lc, await pushEvent(lc.gh, 'main'));
    const pr = lc.gh.pulls().find((p) => p.state === 'open')!;
    expect(pr.body).toContain(`${change.name} (HQ)`);
    await lc.gh.closePullAsUser(pr.number, { user: 'reviewer', labels: ['tenant-sync:revert'] });
    const run = await runAction(lc, await pullRequestEvent(lc.gh, pr.number));
    expect(run.code, run.stdout).toBe(0);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(lc.sim.writes()).toEqual([]);
    expect(await lc.gh.readFile('main', change.path)).toBe(await lc.gh.readFile(STATE, change.path));
    expect(await lc.gh.readFile('main', renamed)).toBeUndefined();
    expect(lc.gh.comments(pr.number).at(-1)!.body).toContain('Rejected and reverted');
    const next = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statusesOf(next)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(lc.gh.pulls().filter((p) => p.state === 'open')).toEqual([]);
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('a change made in the tenant is adopted onto main with a commit that names it', async () => {
    const [id, location] = lc.sim.state('namedLocations').map((o) => [(o as { id: string }).id, o as Record<string, unknown>] as const)[0]!;
    lc.sim.tenant.update('namedLocations', id, { displayName: `${location['displayName'] as string} (renamed in the portal)` });
    const before = await lc.gh.resolve('main');
    const run = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    const log = await lc.gh.log('main', before);
    expect(log).toHaveLength(1);
    expect((await lc.gh.commit((await lc.gh.resolve('main'))!))?.message).toContain('renamed in the portal');
    expect(lc.sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });
});
