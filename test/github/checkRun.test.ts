/**
 * Check runs of tenant-sync against the GitHub double: the design's status table, one run per
 * tenant and commit, GitHub's output limits, and a missing permission that must not fail a sync.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRunName, tenantCheckRun } from '../../src/github/checkRun.js';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { createMemoryLogger } from '../../src/log/index.js';
import type { SyncStatus } from '../../src/status/index.js';
import { startGitHubDouble, type GitHubDouble } from './double/index.js';

let gh: GitHubDouble;
let commits = 0;

beforeAll(async () => {
  gh = await startGitHubDouble({ owner: 'contoso', repo: 'tenant-config', defaultBranch: 'main' });
});
afterAll(async () => {
  await gh.close();
});
afterEach(() => {
  expect(gh.problems()).toEqual([]);
});

/** A context on a fresh commit, so that each test starts with no check runs */
async function freshContext(runId = '4242'): Promise<RepoContext> {
  commits++;
  const sha = await gh.commitFiles('main', { [`commit-${commits}.txt`]: `${commits}\n` }, `Commit ${commits}`);
  return contextOn(sha, runId);
}

function contextOn(sha: string, runId = '4242'): RepoContext {
  return createRepoContext({
    env: { GITHUB_REPOSITORY: 'contoso/tenant-config', GITHUB_API_URL: gh.apiUrl, GITHUB_SERVER_URL: gh.serverUrl, GITHUB_RUN_ID: runId },
    token: gh.token,
    defaultBranch: 'main',
    sha,
  });
}

const runPage = (runId = '4242') => `${gh.serverUrl}/contoso/tenant-config/actions/runs/${runId}`;
const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning:'));

describe('tenantCheckRun', () => {
  it('gives every status the check run of the design, and none for Not run', async () => {
    const expected: [SyncStatus, string, string | null][] = [
      ['Starting', 'queued', null],
      ['In progress', 'in_progress', null],
      ['Pending authentication', 'in_progress', null],
      ['Pending approval', 'completed', 'action_required'],
      ['Idle', 'completed', 'success'],
      ['Partially successful', 'completed', 'neutral'],
      ['New error', 'completed', 'failure'],
      ['Pending admin consent', 'completed', 'action_required'],
    ];
    const ctx = await freshContext();
    const log = createMemoryLogger();
    for (const [status, checkStatus, conclusion] of expected) {
      const tenant = `map-${status.replace(/ /g, '-').toLowerCase()}`;
      const run = tenantCheckRun(ctx, tenant, log);
      await run.update(status, { title: status, summary: `The sync is ${status}.` });
      const [c, ...more] = gh.checkRuns({ name: `tenant-sync / ${tenant}` });
      expect(more).toEqual([]);
      expect(c).toMatchObject({ head_sha: ctx.sha, status: checkStatus, conclusion, external_id: tenant, details_url: runPage() });
      expect(c?.output).toMatchObject({ title: status, summary: `The sync is ${status}.` });
      expect(c?.completed_at === null).toBe(checkStatus !== 'completed');
      expect(run.id).toBe(c?.id);
      expect(run.url).toMatch(/^http:\/\/github\.localhost:\d+\/contoso\/tenant-config\/runs\/\d+$/);
    }

    const before = gh.requests.length;
    const notRun = tenantCheckRun(ctx, 'never', log);
    await notRun.update('Not run', { title: 'Not run', summary: '' });
    expect(gh.requests.length).toBe(before);
    expect(notRun.id).toBeUndefined();
    expect(log.lines).toEqual([]);
  });

  it('names the run after the tenant', () => {
    expect(checkRunName('contoso')).toBe('tenant-sync / contoso');
  });

  it('moves one run through a sync, with the approval pull request as details URL', async () => {
    const ctx = await freshContext();
    const run = tenantCheckRun(ctx, 'contoso', createMemoryLogger());
    await run.update('Starting', { title: 'Starting', summary: 'Starting' });
    await run.update('In progress', { title: 'Reading', summary: 'Reading the tenant' });
    await run.update('Pending authentication', { title: 'Sign in', summary: 'Enter ABCD-EFGH at https://microsoft.com/devicelogin' });
    await run.update('In progress', { title: 'Reading', summary: 'Reading the tenant', text: 'details' });
    const pull = `${gh.serverUrl}/contoso/tenant-config/pull/7`;
    await run.update('Pending approval', { title: '3 changes await approval', summary: 'See the pull request', detailsUrl: pull });

    const runs = gh.checkRuns({ name: 'tenant-sync / contoso', headSha: ctx.sha });
    expect(runs).toHaveLength(1);
    const c = runs[0]!;
    expect(c.history.map((h) => h['status'] ?? h['conclusion'])).toEqual(['queued', 'in_progress', 'in_progress', 'in_progress', 'action_required']);
    expect(c).toMatchObject({ status: 'completed', conclusion: 'action_required', details_url: pull });
    expect(c.output).toMatchObject({ title: '3 changes await approval', summary: 'See the pull request' });
    const named = (operationId: string) =>
      gh.calls(operationId).filter((r) => (r.body as { name?: string } | undefined)?.name === 'tenant-sync / contoso' || new URLSearchParams(r.query).get('check_name') === 'tenant-sync / contoso');
    expect(named('checks/create')).toHaveLength(1);
    expect(named('checks/list-for-ref')).toHaveLength(1);
  });

  it('sends updates one at a time, so quick updates make one run', async () => {
    const ctx = await freshContext();
    const run = tenantCheckRun(ctx, 'quick', createMemoryLogger());
    await Promise.all([run.update('Starting', { title: 'a', summary: 'a' }), run.update('In progress', { title: 'b', summary: 'b' }), run.update('Idle', { title: 'c', summary: 'c' })]);
    const runs = gh.checkRuns({ name: 'tenant-sync / quick' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'c' } });
  });

  it('takes over the run another job left unfinished on the same commit', async () => {
    const ctx = await freshContext('100');
    const first = tenantCheckRun(ctx, 'fabrikam', createMemoryLogger());
    await first.update('In progress', { title: 'Reading', summary: 'Reading' });
    // The job dies; a rerun of the workflow (another run id) syncs the same commit.
    const rerun = contextOn(ctx.sha, '101');
    const second = tenantCheckRun(rerun, 'fabrikam', createMemoryLogger());
    await second.update('Starting', { title: 'Starting', summary: 'Starting again' });
    await second.update('Idle', { title: 'No change', summary: 'Nothing changed' });

    const runs = gh.checkRuns({ name: 'tenant-sync / fabrikam' });
    expect(runs).toHaveLength(1);
    expect(second.id).toBe(first.id);
    expect(runs[0]).toMatchObject({ status: 'completed', conclusion: 'success', details_url: runPage('101'), output: { summary: 'Nothing changed' } });
    // The run's start is that of the sync that took it over.
    expect(runs[0]?.history[1]?.['started_at']).toEqual(expect.any(String));
  });

  it('a rerun with nothing new on a finished commit leaves its run as it is', async () => {
    const ctx = await freshContext();
    const content = { title: 'No change', summary: '12 objects, nothing changed' };
    const first = tenantCheckRun(ctx, 'northwind', createMemoryLogger());
    await first.update('Starting', { title: 'Starting', summary: 'Starting' });
    await first.update('Idle', content);
    const updatesBefore = gh.calls('checks/update').length;

    const again = tenantCheckRun(ctx, 'northwind', createMemoryLogger());
    await again.update('Starting', { title: 'Starting', summary: 'Starting' });
    await again.update('In progress', { title: 'Reading', summary: 'Reading' });
    await again.update('Idle', content);

    const runs = gh.checkRuns({ name: 'tenant-sync / northwind' });
    expect(runs).toHaveLength(1);
    expect(again.id).toBe(first.id);
    expect(runs[0]?.history).toHaveLength(2);
    expect(gh.calls('checks/update')).toHaveLength(updatesBefore);
  });

  it('on a finished commit, updates the output for the same conclusion and adds a run for another (a completed run cannot change)', async () => {
    const ctx = await freshContext();
    const first = tenantCheckRun(ctx, 'litware', createMemoryLogger());
    await first.update('Idle', { title: 'No change', summary: 'took 3 s' });

    const same = tenantCheckRun(ctx, 'litware', createMemoryLogger());
    await same.update('Idle', { title: 'No change', summary: 'took 4 s' });
    let runs = gh.checkRuns({ name: 'tenant-sync / litware' });
    expect(runs).toHaveLength(1);
    const patch = runs[0]?.history[1] ?? {};
    expect(patch).not.toHaveProperty('status');
    expect(patch).not.toHaveProperty('conclusion');
    expect(runs[0]?.output.summary).toBe('took 4 s');

    const failed = tenantCheckRun(ctx, 'litware', createMemoryLogger());
    await failed.update('Starting', { title: 'Starting', summary: 'Starting' });
    expect(gh.checkRuns({ name: 'tenant-sync / litware' })).toHaveLength(1);
    await failed.update('New error', { title: 'AUTH_BAD_SECRET', summary: 'The client secret was rejected' });
    runs = gh.checkRuns({ name: 'tenant-sync / litware' });
    expect(runs.map((r) => r.conclusion)).toEqual(['success', 'failure']);
    expect(failed.id).toBe(runs[1]?.id);
    // GitHub shows the latest run of the name: the failure.
    const octokit = ctx.octokit;
    const listed = await octokit.rest.checks.listForRef({ owner: 'contoso', repo: 'tenant-config', ref: ctx.sha, check_name: 'tenant-sync / litware', filter: 'latest' });
    expect(listed.data.check_runs.map((r) => r.conclusion)).toEqual(['failure']);
  });

  it('cuts a summary and a text over 65,535 characters at a line, closing an open code fence, with a note', async () => {
    const ctx = await freshContext();
    const line = (i: number) => `| type ${String(i).padStart(5, '0')} | 12 objects | written |`;
    const summary = Array.from({ length: 3000 }, (_, i) => line(i)).join('\n');
    const text = ['```diff', ...Array.from({ length: 3000 }, (_, i) => `+ ${line(i)}`)].join('\n');
    expect(summary.length).toBeGreaterThan(65_535);
    expect(text.length).toBeGreaterThan(65_535);
    const run = tenantCheckRun(ctx, 'big', createMemoryLogger());
    await run.update('Idle', { title: 'Backup', summary, text });

    const out = gh.checkRuns({ name: 'tenant-sync / big' })[0]?.output;
    const note = "… (cut; the full report is in the run's artifacts)";
    for (const sent of [out?.summary, out?.text]) {
      expect(sent?.length).toBeLessThanOrEqual(65_535);
      expect(sent?.length).toBeGreaterThan(60_000);
      expect(sent?.endsWith(`\n${note}`)).toBe(true);
    }
    const keptSummary = out!.summary!.slice(0, -(note.length + 1));
    expect(summary.startsWith(`${keptSummary}\n`)).toBe(true);
    const keptText = out!.text!.slice(0, -(note.length + 1));
    expect(keptText.endsWith('\n```')).toBe(true);
    expect(text.startsWith(`${keptText.slice(0, -4)}\n`)).toBe(true);

    // Short output goes as it is.
    const small = tenantCheckRun(ctx, 'small', createMemoryLogger());
    await small.update('Idle', { title: 'Backup', summary: 'a\nb', text: '```\nx\n```' });
    expect(gh.checkRuns({ name: 'tenant-sync / small' })[0]?.output).toMatchObject({ summary: 'a\nb', text: '```\nx\n```' });
  });

  it('without checks: write, warns once with the fix, never throws, and stops asking', async () => {
    const ctx = await freshContext();
    const log = createMemoryLogger();
    const failure = gh.failNext({ operationId: 'checks/create', status: 403, message: 'Resource not accessible by integration', times: 10 });
    const run = tenantCheckRun(ctx, 'denied', log);
    await expect(run.update('Starting', { title: 'Starting', summary: 'Starting' })).resolves.toBeUndefined();
    const requests = gh.requests.length;
    await expect(run.update('In progress', { title: 'Reading', summary: 'Reading' })).resolves.toBeUndefined();
    await expect(run.update('New error', { title: 'Failed', summary: 'Failed' })).resolves.toBeUndefined();
    gh.removeFailure(failure);

    expect(gh.requests.length).toBe(requests);
    expect(gh.checkRuns({ name: 'tenant-sync / denied' })).toEqual([]);
    expect(run.id).toBeUndefined();
    const warned = warnings(log.lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('403');
    expect(warned[0]).toContain('Resource not accessible by integration');
    expect(warned[0]).toContain('permissions: checks: write');
    expect(warned[0]).not.toContain(gh.token);
  });

  it('a failure later in the sync is also only a warning', async () => {
    const ctx = await freshContext();
    const log = createMemoryLogger();
    const run = tenantCheckRun(ctx, 'flaky', log);
    await run.update('Starting', { title: 'Starting', summary: 'Starting' });
    gh.failNext({ operationId: 'checks/update', status: 500, message: 'Server Error' });
    await expect(run.update('Idle', { title: 'Done', summary: 'Done' })).resolves.toBeUndefined();
    await run.update('Idle', { title: 'Done', summary: 'Done' });
    expect(warnings(log.lines)).toHaveLength(1);
    expect(gh.checkRuns({ name: 'tenant-sync / flaky' })[0]?.status).toBe('queued');
  });
});
