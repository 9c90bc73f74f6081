/**
 * Every status a person can meet on GitHub, through the bundled action: Not run, Pending
 * authentication (the code on the check run and the dashboard while it waits), Partially
 * successful, New error (with artifacts), Pending admin consent; and the approvals tenant-sync
 * must refuse (a look-alike branch, a fork, an approval branch changed after the plan, a stale plan).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configText } from '../backup/helpers.js';
import { pullRequestEvent, pushEvent, scheduleEvent } from '../github/double/index.js';
import { dashboardIssues, flipTrust, runAction, startLifecycle, statusesOf, type Lifecycle } from './harness.js';

let lc: Lifecycle | undefined;
afterEach(async () => {
  await lc?.close();
  lc = undefined;
});

const CHECK = 'tenant-sync / contoso';
const STATE = 'tenant-sync/state/contoso';
const APPROVE = 'tenant-sync/approve/contoso';

function dashboardBody(l: Lifecycle): string {
  const issues = dashboardIssues(l);
  expect(issues).toHaveLength(1);
  return issues[0]!.body;
}

/** Opens an approval pull request by changing a named location on main and syncing */
async function openApproval(l: Lifecycle): Promise<{ number: number; path: string; name: string }> {
  await runAction(l, await scheduleEvent(l.gh));
  const { path, object } = await flipTrust(l);
  const run = await runAction(l, await pushEvent(l.gh, 'main'));
  expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Pending approval']);
  const pr = l.gh.pulls().find((p) => p.state === 'open')!;
  return { number: pr.number, path, name: object['displayName'] as string };
}

describe('statuses on GitHub', () => {
  it('Not run for a tenant never synced; Pending authentication shows the code on the check run and the dashboard while it waits; then Idle', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'tenant-sync-cache-'));
    lc = await startLifecycle({ sim: { throttling: false, deviceCode: { intervalSeconds: 1 } }, config: '' });
    const l = lc;
    const contoso = configText(l.sim, `    delegated:\n      enabled: true\n      timeout-minutes: 1\n      cache-file: ${join(cacheDir, 'contoso.cache')}\n`);
    const fabrikam = contoso.split('\n').slice(2).join('\n').replace('name: contoso', 'name: fabrikam').replace(/    delegated:[\s\S]*$/, '');
    await l.gh.commitFiles('main', { 'tenant-sync.yml': `${contoso}${fabrikam}` }, 'Two tenants');
    const running = runAction(l, await scheduleEvent(l.gh), { tenant: 'contoso' }, { TENANT_SYNC_TOKEN_CACHE_KEY: 'cache-key-canary-0123456789abcdefghijklmnopqrstuvwxyz' });
    const pending = await l.sim.deviceCodes.waitForPending(30_000);
    // While the sync waits: the code is on the check run (in progress) and on the dashboard
    for (let i = 0; i < 100 && !dashboardSafe(l).includes(pending.userCode); i++) await new Promise((r) => setTimeout(r, 100));
    const waiting = l.gh.checkRuns({ name: CHECK }).at(-1)!;
    expect(waiting.status).toBe('in_progress');
    expect(waiting.output?.summary).toContain(pending.userCode);
    expect(dashboardBody(l)).toMatch(new RegExp(`\\| contoso \\| Pending authentication \\|.*${pending.userCode}`));
    expect(dashboardBody(l)).toMatch(/\| fabrikam \| Not run \|/);
    l.sim.deviceCodes.approve({ userCode: pending.userCode });
    const run = await running;
    expect(run.code, run.stdout).toBe(0);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Pending authentication', 'In progress', 'Idle']);
    expect(dashboardBody(l)).toMatch(/\| contoso \| Idle \|/);
    expect(dashboardBody(l)).toMatch(/\| fabrikam \| Not run \|/);
    expect(Object.keys(await l.gh.readTree(STATE)).some((p) => p.includes('/teamsAppSettings/'))).toBe(true);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Partially successful: a type that fails to read keeps its files on both branches and is never taken as deleted', async () => {
    lc = await startLifecycle();
    const l = lc;
    await runAction(l, await scheduleEvent(l.gh));
    const before = { state: await l.gh.readTree(STATE), main: await l.gh.resolve('main') };
    const [id] = l.sim.state('namedLocations').map((o) => (o as { id: string }).id);
    l.sim.tenant.remove('namedLocations', id!);
    l.sim.faults.add({ kind: 'failType', type: 'namedLocations', status: 500 });
    const run = await runAction(l, await scheduleEvent(l.gh));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Partially successful']);
    expect(run.code).toBe(0);
    const state = await l.gh.readTree(STATE);
    for (const [path, text] of Object.entries(before.state)) if (path.includes('/namedLocations/')) expect(state[path], path).toBe(text);
    expect(await l.gh.resolve('main')).toBe(before.main);
    expect(l.gh.pulls()).toEqual([]);
    const check = l.gh.checkRuns({ name: CHECK }).at(-1)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    // what did not succeed is an annotation on the type's folder
    const { Octokit } = await import('@octokit/rest');
    const api = new Octokit({ auth: l.gh.token, baseUrl: l.gh.apiUrl });
    const { data: annotations } = await api.rest.checks.listAnnotations({ owner: 'contoso', repo: 'tenant-config', check_run_id: check.id });
    expect(annotations).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'tenants/contoso/entra/namedLocations', annotation_level: 'warning', title: expect.stringContaining('not backed up') })]));
    expect(annotations.map((a) => a.path).sort()).toEqual(check.output?.summary?.match(/\| (\w+\/\w+) \| failed \|/g)?.map((m) => `tenants/contoso/${m.split(' ')[1]}`).sort());
    expect(dashboardBody(l)).toMatch(/\| contoso \| Partially successful/);
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('New error: the failure with its code on the check run, the dashboard, the summary and the artifacts; the secret nowhere', async () => {
    lc = await startLifecycle();
    const l = lc;
    const canary = 'canary-secret-7b1f0c9e5a3d4e2f8a6b';
    const run = await runAction(l, await scheduleEvent(l.gh), {}, { TENANT_SYNC_CLIENT_SECRET: canary });
    expect(run.code).toBe(1);
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'New error']);
    const check = l.gh.checkRuns({ name: CHECK }).at(-1)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(check.output?.summary).toContain('AUTH_BAD_SECRET');
    expect(check.output?.summary).toContain('docs/troubleshooting/AUTH_BAD_SECRET.md');
    expect(dashboardBody(l)).toMatch(/\| contoso \| \[New error\]\(/);
    expect(dashboardBody(l)).toContain('AUTH_BAD_SECRET');
    expect(run.summary).toContain('AUTH_BAD_SECRET');
    const artifact = l.gh.artifacts({ runId: run.runId, name: 'tenant-sync-contoso' })[0]!;
    const files = artifact.files();
    expect(JSON.parse(files.get('report.json')!.toString())).toMatchObject({ status: 'New error', error: { code: 'AUTH_BAD_SECRET' } });
    expect(check.output?.summary).toContain(`/actions/runs/${run.runId}/artifacts/${artifact.id}`);
    // The secret is masked where it was printed and appears nowhere a person or a machine can read
    expect(run.stdout).toContain(`::add-mask::${canary}`);
    const shown = [
      run.stdout.split('\n').filter((x) => !x.startsWith('::add-mask::')).join('\n'),
      run.stderr,
      run.summary,
      ...[...files.values()].map((b) => b.toString()),
      ...l.gh.checkRuns().map((c) => JSON.stringify(c)),
      ...l.gh.issues({ includePulls: true }).map((i) => JSON.stringify(i)),
      ...Object.values(await l.gh.readTree('main')),
    ].join('\n');
    expect(shown).not.toContain(canary);
    expect(shown).not.toContain(l.gh.token);
    expect(l.gh.problems()).toEqual([]);
  });

  it('Pending admin consent: the consent link on the check run and the dashboard, no approval asked, nothing written', async () => {
    lc = await startLifecycle();
    const l = lc;
    await runAction(l, await scheduleEvent(l.gh));
    l.sim.setScenario({ appRoles: l.sim.scenario.appRoles.filter((r) => r !== 'Policy.ReadWrite.ConditionalAccess') });
    await flipTrust(l);
    const run = await runAction(l, await pushEvent(l.gh, 'main'));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Pending admin consent']);
    expect(run.code).toBe(1);
    const check = l.gh.checkRuns({ name: CHECK }).at(-1)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'action_required' });
    expect(check.output?.summary).toContain('Policy.ReadWrite.ConditionalAccess');
    expect(check.output?.summary).toContain(`/${l.sim.tenantId}/v2.0/adminconsent?client_id=${l.sim.apps.secret.clientId}`);
    expect(dashboardBody(l)).toContain('adminconsent');
    expect(l.gh.pulls()).toEqual([]);
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('a protected default branch: the tenant\'s changes come as a pull request from tenant-sync/adopt/<tenant>, updated in place', async () => {
    lc = await startLifecycle();
    const l = lc;
    l.gh.protectBranch('main');
    const first = await runAction(l, await scheduleEvent(l.gh));
    expect(statusesOf(first)).toEqual(['Starting', 'In progress', 'Idle']);
    const prs = l.gh.pulls();
    expect(prs).toHaveLength(1);
    expect(prs[0]).toMatchObject({ head: 'tenant-sync/adopt/contoso', base: 'main', state: 'open' });
    const head = await l.gh.resolve('tenant-sync/adopt/contoso');
    await runAction(l, await scheduleEvent(l.gh));
    expect(l.gh.pulls()).toHaveLength(1);
    expect(await l.gh.resolve('tenant-sync/adopt/contoso')).toBe(head);
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });
});

function dashboardSafe(l: Lifecycle): string {
  return dashboardIssues(l)[0]?.body ?? '';
}

describe('approvals tenant-sync refuses (nothing is written to the tenant)', () => {
  it('a merged look-alike: approval branch into main', async () => {
    lc = await startLifecycle();
    const l = lc;
    await runAction(l, await scheduleEvent(l.gh));
    await l.gh.commitFiles(APPROVE, { 'tenants/contoso/entra/namedLocations/Evil.json': '{"displayName":"Evil"}\n' }, 'look-alike', { from: 'main' });
    const octokit = (await import('@octokit/rest')).Octokit;
    const api = new octokit({ auth: l.gh.token, baseUrl: l.gh.apiUrl });
    const { data: pr } = await api.rest.pulls.create({ owner: 'contoso', repo: 'tenant-config', head: APPROVE, base: 'main', title: 'Looks like an approval' });
    await l.gh.mergePullAsUser(pr.number, 'mallory');
    const run = await runAction(l, await pullRequestEvent(l.gh, pr.number));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('APPROVAL_REFUSED');
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('a fork whose branch is named like the approval branch', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { number } = await openApproval(l);
    await l.gh.mergePullAsUser(number, 'reviewer');
    const event = await pullRequestEvent(l.gh, number);
    const pr = event.payload['pull_request'] as { head: { repo: { full_name: string } } };
    pr.head.repo.full_name = 'mallory/tenant-config';
    const run = await runAction(l, event);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/APPROVAL_REFUSED.*mallory\/tenant-config/);
    expect(l.sim.writes()).toEqual([]);
  });

  it('an approval branch changed after the plan: refused; the next sync does not take the merged files for the tenant\'s', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { number, path } = await openApproval(l);
    await l.gh.commitFiles(APPROVE, { '.tenant-sync/contoso/plan.json': '{"tampered":true}\n' }, 'sneaky');
    await l.gh.mergePullAsUser(number, 'reviewer');
    const mainBefore = await l.gh.readFile('main', path);
    const run = await runAction(l, await pullRequestEvent(l.gh, number));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('APPROVAL_REFUSED');
    expect(run.stdout).toContain('changed after the plan was made');
    expect(l.sim.writes()).toEqual([]);
    // The state branch now ends in the merge; the next sync compares from the last recorded state
    const next = await runAction(l, await scheduleEvent(l.gh));
    expect(statusesOf(next)).toEqual(['Starting', 'In progress', 'Pending approval']);
    expect(await l.gh.readFile('main', path)).toBe(mainBefore);
    expect(await l.gh.readFile(STATE, '.tenant-sync/contoso/plan.json')).toBeUndefined();
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('a revert label from someone with only the triage role: rejected, main left as it is, nothing written', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { number, path } = await openApproval(l);
    await l.gh.closePullAsUser(number, { user: 'triager', labels: ['tenant-sync:revert'] });
    const mainBefore = await l.gh.readFile('main', path);
    const run = await runAction(l, await pullRequestEvent(l.gh, number, { sender: 'triager' }));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
    expect(await l.gh.readFile('main', path)).toBe(mainBefore);
    expect(l.gh.comments(number).at(-1)!.body).toContain('has no write access');
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.problems()).toEqual([]);
  });

  it('a stale plan: the tenant changed the object after the plan was made; merge applies nothing and says why', async () => {
    lc = await startLifecycle();
    const l = lc;
    const { number, name } = await openApproval(l);
    const target = l.sim.state('namedLocations').find((o) => (o as { displayName: string }).displayName === name) as { id: string };
    l.sim.tenant.update('namedLocations', target.id, { displayName: `${name} (edited in the portal)` });
    await l.gh.mergePullAsUser(number, 'reviewer');
    const run = await runAction(l, await pullRequestEvent(l.gh, number));
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'New error']);
    expect(run.stdout).toContain('DEPLOY_STALE');
    expect(l.sim.writes()).toEqual([]);
    expect(l.gh.comments(number).at(-1)!.body).toContain('Nothing was deployed');
    expect(l.gh.checkRuns({ name: CHECK }).at(-1)).toMatchObject({ conclusion: 'failure' });
    expect(l.gh.problems()).toEqual([]);
  });
});
