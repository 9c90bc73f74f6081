/**
 * The GitHub double through the real clients: @octokit/rest and @actions/github's getOctokit.
 */
import { getOctokit } from '@actions/github';
import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './double/index.js';

let gh: GitHubDouble;
let octokit: Octokit;
const owner = 'contoso';
const repo = 'tenant-config';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  gh = await startGitHubDouble({ owner, repo, defaultBranch: 'main', initialFiles: { 'README.md': '# tenant-config\n', 'tenant-sync.yml': 'tenants: []\n' } });
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log: quiet });
});
afterAll(async () => {
  await gh.close();
});
afterEach(() => {
  // Every test leaves the double without unexpected problems unless it cleared them itself.
  expect(gh.responseViolations).toEqual([]);
  expect(gh.unimplemented).toEqual([]);
});

async function stateAndApprovalBranches(tenant: string): Promise<{ state: string; approve: string }> {
  const main = (await gh.resolve('main')) as string;
  const state = await gh.commitFiles(`tenant-sync/state/${tenant}`, { [`tenants/${tenant}/a.json`]: '{"a":1}\n' }, 'Backup', { from: main });
  const approve = await gh.commitFiles(`tenant-sync/approve/${tenant}`, { [`tenants/${tenant}/a.json`]: '{"a":2}\n' }, 'Desired change', { from: state });
  return { state, approve };
}

describe('repository, authentication, routing', () => {
  it('answers repos.get with the default branch and GitHub headers', async () => {
    const r = await octokit.rest.repos.get({ owner, repo });
    expect(r.status).toBe(200);
    expect(r.data.default_branch).toBe('main');
    expect(r.data.full_name).toBe('contoso/tenant-config');
    expect(r.headers['x-github-api-version-selected']).toBe('2022-11-28');
    expect(gh.violations).toEqual([]);
  });

  it('refuses requests without the token (401 Requires authentication / Bad credentials)', async () => {
    await expect(new Octokit({ baseUrl: gh.apiUrl, log: quiet }).rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 401, response: { data: { message: 'Requires authentication' } } });
    await expect(new Octokit({ auth: 'ghs_wrong', baseUrl: gh.apiUrl, log: quiet }).rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 401, response: { data: { message: 'Bad credentials' } } });
  });

  it('answers 404 for another repository', async () => {
    await expect(octokit.rest.repos.get({ owner, repo: 'other' })).rejects.toMatchObject({ status: 404 });
  });

  it('works through @actions/github getOctokit (Bearer/token auth, baseUrl with a path)', async () => {
    const client = getOctokit(gh.token, { baseUrl: gh.apiUrl });
    const r = await client.rest.repos.get({ owner, repo });
    expect(r.data.default_branch).toBe('main');
    expect(gh.violations).toEqual([]);
  });
});

describe('git refs, commits, compare', () => {
  it('creates, reads, fast-forwards, refuses a non fast-forward (422) unless forced, deletes', async () => {
    const main = (await gh.resolve('main')) as string;
    const created = await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/feature/x', sha: main });
    expect(created.status).toBe(201);
    await expect(octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/feature/x', sha: main })).rejects.toMatchObject({ status: 422, response: { data: { message: 'Reference already exists' } } });
    const got = await octokit.rest.git.getRef({ owner, repo, ref: 'heads/feature/x' });
    expect(got.data.object.sha).toBe(main);

    const next = await gh.commitFiles('side', { 'x.txt': 'x\n' }, 'Side', { from: main });
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/feature/x', sha: next, force: false });
    expect(await gh.resolve('feature/x')).toBe(next);
    const other = await gh.commitFiles('other', { 'y.txt': 'y\n' }, 'Other', { from: main });
    await expect(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/feature/x', sha: other, force: false })).rejects.toMatchObject({ status: 422, response: { data: { message: 'Update is not a fast forward' } } });
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/feature/x', sha: other, force: true });
    expect(await gh.resolve('feature/x')).toBe(other);

    expect((await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/feature/x' })).status).toBe(204);
    await expect(octokit.rest.git.getRef({ owner, repo, ref: 'heads/feature/x' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/feature/x' })).rejects.toMatchObject({ status: 422 });
    expect(gh.violations).toEqual([]);
  });

  it('injects a 409 on a ref update once', async () => {
    const main = (await gh.resolve('main')) as string;
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/inject', sha: main });
    gh.failNext({ operationId: 'git/update-ref', status: 409, message: 'Reference update failed' });
    await expect(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/inject', sha: main })).rejects.toMatchObject({ status: 409, response: { data: { message: 'Reference update failed' } } });
    expect((await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/inject', sha: main })).status).toBe(200);
  });

  it('reads commits and compares branches from the bare repository', async () => {
    const { state, approve } = await stateAndApprovalBranches('cmp');
    const commit = await octokit.rest.repos.getCommit({ owner, repo, ref: approve });
    expect(commit.data.sha).toBe(approve);
    expect(commit.data.parents.map((p) => p.sha)).toEqual([state]);
    expect(commit.data.files?.map((f) => [f.filename, f.status])).toEqual([['tenants/cmp/a.json', 'modified']]);
    const gitCommit = await octokit.rest.git.getCommit({ owner, repo, commit_sha: approve });
    expect(gitCommit.data.message).toBe('Desired change');

    const cmp = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: 'tenant-sync/state/cmp...tenant-sync/approve/cmp' });
    expect(cmp.data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(cmp.data.files?.[0]).toMatchObject({ filename: 'tenants/cmp/a.json', additions: 1, deletions: 1 });
    expect(cmp.data.files?.[0]?.patch).toContain('+{"a":2}');

    const list = await octokit.rest.repos.listCommits({ owner, repo, sha: 'tenant-sync/approve/cmp', per_page: 2 });
    expect(list.data.map((c) => c.sha)).toEqual([approve, state]);
    expect(list.headers.link).toContain('rel="next"');
    expect(gh.violations).toEqual([]);
  });
});

describe('pull requests', () => {
  it('creates one approval pull request, refuses a duplicate (422), lists by head/base, updates', async () => {
    await stateAndApprovalBranches('t1');
    const created = await octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/t1', base: 'tenant-sync/state/t1', title: 'Approve changes to t1', body: 'plan' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ state: 'open', merged: false, head: { ref: 'tenant-sync/approve/t1' }, base: { ref: 'tenant-sync/state/t1' } });
    const number = created.data.number;

    const dup = octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/t1', base: 'tenant-sync/state/t1', title: 'again' });
    await expect(dup).rejects.toMatchObject({
      status: 422,
      response: { data: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for contoso:tenant-sync/approve/t1.' }] } },
    });

    const listed = await octokit.rest.pulls.list({ owner, repo, head: 'contoso:tenant-sync/approve/t1', base: 'tenant-sync/state/t1', state: 'open' });
    expect(listed.data.map((p) => p.number)).toEqual([number]);
    const none = await octokit.rest.pulls.list({ owner, repo, head: 'contoso:tenant-sync/approve/nobody' });
    expect(none.data).toEqual([]);

    const updated = await octokit.rest.pulls.update({ owner, repo, pull_number: number, body: 'plan v2', title: 'Approve changes to t1 (2)' });
    expect(updated.data.body).toBe('plan v2');
    expect(gh.pull(number)).toMatchObject({ title: 'Approve changes to t1 (2)', body: 'plan v2', state: 'open' });

    const closed = await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
    expect(closed.data.state).toBe('closed');
    expect(closed.data.merged).toBe(false);
    expect(gh.violations).toEqual([]);
  });

  it('refuses a pull request without commits between base and head', async () => {
    const main = (await gh.resolve('main')) as string;
    await gh.commitFiles('tenant-sync/state/same', { 'a.txt': 'a\n' }, 'x', { from: main });
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/tenant-sync/approve/same', sha: (await gh.resolve('tenant-sync/state/same')) as string });
    await expect(octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/same', base: 'tenant-sync/state/same', title: 't' })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'No commits between tenant-sync/state/same and tenant-sync/approve/same' }] } },
    });
  });

  it('merges: merged, merge_commit_sha, the base branch moved in the bare repository', async () => {
    const { state, approve } = await stateAndApprovalBranches('t2');
    const pr = await octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/t2', base: 'tenant-sync/state/t2', title: 'Approve t2' });
    const merged = await octokit.rest.pulls.merge({ owner, repo, pull_number: pr.data.number, sha: approve });
    expect(merged.data).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    const base = await gh.resolve('tenant-sync/state/t2');
    expect(base).toBe(merged.data.sha);
    const commit = await gh.commit(merged.data.sha);
    expect(commit?.parents).toEqual([state, approve]);
    expect(commit?.message).toBe(`Merge pull request #${pr.data.number} from contoso/tenant-sync/approve/t2\n\nApprove t2`);
    expect(await gh.readFile('tenant-sync/state/t2', 'tenants/t2/a.json')).toBe('{"a":2}\n');
    const after = await octokit.rest.pulls.get({ owner, repo, pull_number: pr.data.number });
    expect(after.data).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha });
    await expect(octokit.rest.pulls.merge({ owner, repo, pull_number: pr.data.number })).rejects.toMatchObject({ status: 405, response: { data: { message: 'Pull Request is not mergeable' } } });
    expect(gh.violations).toEqual([]);
  });

  it('refuses to merge into a protected branch without approving reviews (405), merges after approval', async () => {
    await stateAndApprovalBranches('t3');
    gh.protectBranch('tenant-sync/state/t3', { requiredApprovingReviewCount: 1 });
    const pr = await octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/t3', base: 'tenant-sync/state/t3', title: 'Approve t3' });
    expect((await octokit.rest.pulls.get({ owner, repo, pull_number: pr.data.number })).data.mergeable_state).toBe('blocked');
    await expect(octokit.rest.pulls.merge({ owner, repo, pull_number: pr.data.number })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: 'At least 1 approving review is required by reviewers with write access.', documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request' } },
    });
    await expect(octokit.rest.pulls.createReview({ owner, repo, pull_number: pr.data.number, event: 'APPROVE' })).rejects.toMatchObject({ status: 422 });
    await gh.approvePull(pr.data.number, 'alice');
    const merged = await octokit.rest.pulls.merge({ owner, repo, pull_number: pr.data.number });
    expect(merged.data.merged).toBe(true);
    gh.unprotectBranch('tenant-sync/state/t3');
  });

  it('answers 409 when the head moved since the sha given to merge', async () => {
    const { approve } = await stateAndApprovalBranches('t4');
    const pr = await octokit.rest.pulls.create({ owner, repo, head: 'tenant-sync/approve/t4', base: 'tenant-sync/state/t4', title: 'Approve t4' });
    await gh.commitFiles('tenant-sync/approve/t4', { 'tenants/t4/b.json': '{}\n' }, 'later');
    await expect(octokit.rest.pulls.merge({ owner, repo, pull_number: pr.data.number, sha: approve })).rejects.toMatchObject({ status: 409 });
  });
});

describe('issues, comments, labels, search', () => {
  it('creates the dashboard issue, finds it by label, updates its body; pull requests are listed as issues too', async () => {
    const created = await octokit.rest.issues.create({ owner, repo, title: 'tenant-sync dashboard', body: 'v1', labels: ['tenant-sync:dashboard'] });
    expect(created.status).toBe(201);
    const byLabel = await octokit.rest.issues.listForRepo({ owner, repo, labels: 'tenant-sync:dashboard', state: 'open' });
    expect(byLabel.data.map((i) => i.number)).toEqual([created.data.number]);
    const all = await octokit.rest.issues.listForRepo({ owner, repo, state: 'all', per_page: 100 });
    expect(all.data.some((i) => i.pull_request)).toBe(true);

    const patched = await octokit.rest.issues.update({ owner, repo, issue_number: created.data.number, body: 'v2' });
    expect(patched.data.body).toBe('v2');
    expect(gh.issue(created.data.number)?.body).toBe('v2');

    const found = await octokit.rest.search.issuesAndPullRequests({ q: `repo:${owner}/${repo} is:issue is:open label:"tenant-sync:dashboard"` } as never);
    expect((found.data as { items: { number: number }[] }).items.map((i) => i.number)).toEqual([created.data.number]);
  });

  it('adds and removes labels (creating unknown ones), creates and updates comments', async () => {
    const issue = await octokit.rest.issues.create({ owner, repo, title: 'labels' });
    await octokit.rest.issues.createLabel({ owner, repo, name: 'tenant-sync:revert', color: 'b60205', description: 'Reject and revert' });
    await expect(octokit.rest.issues.createLabel({ owner, repo, name: 'tenant-sync:revert', color: 'b60205' })).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ code: 'already_exists' }] } } });
    const added = await octokit.rest.issues.addLabels({ owner, repo, issue_number: issue.data.number, labels: ['tenant-sync:revert', 'new-label'] });
    expect(added.data.map((l) => l.name)).toEqual(['tenant-sync:revert', 'new-label']);
    expect(gh.labels().map((l) => l.name)).toContain('new-label');
    const removed = await octokit.rest.issues.removeLabel({ owner, repo, issue_number: issue.data.number, name: 'new-label' });
    expect(removed.data.map((l) => l.name)).toEqual(['tenant-sync:revert']);
    await expect(octokit.rest.issues.removeLabel({ owner, repo, issue_number: issue.data.number, name: 'new-label' })).rejects.toMatchObject({ status: 404, response: { data: { message: 'Label does not exist' } } });

    const c = await octokit.rest.issues.createComment({ owner, repo, issue_number: issue.data.number, body: 'first' });
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: c.data.id, body: 'edited' });
    const comments = await octokit.rest.issues.listComments({ owner, repo, issue_number: issue.data.number });
    expect(comments.data.map((x) => x.body)).toEqual(['edited']);
    expect(gh.comments(issue.data.number).map((x) => x.body)).toEqual(['edited']);
    expect(gh.violations).toEqual([]);
  });

  it('pages with Link headers that octokit.paginate follows', async () => {
    for (let i = 0; i < 5; i++) await octokit.rest.issues.create({ owner, repo, title: `page ${i}`, labels: ['paged'] });
    const all = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, labels: 'paged', per_page: 2 });
    expect(all.map((i) => i.title).sort()).toEqual(['page 0', 'page 1', 'page 2', 'page 3', 'page 4']);
  });
});

describe('check runs', () => {
  it('creates and updates a check run with actions; lists it for the ref', async () => {
    const sha = (await gh.resolve('main')) as string;
    const created = await octokit.rest.checks.create({
      owner,
      repo,
      name: 'tenant-sync: contoso',
      head_sha: sha,
      status: 'in_progress',
      output: { title: 'In progress', summary: 'Reading the tenant' },
    });
    expect(created.data).toMatchObject({ status: 'in_progress', conclusion: null, name: 'tenant-sync: contoso', app: { slug: 'github-actions' } });
    const updated = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: created.data.id,
      conclusion: 'action_required',
      details_url: 'http://github.localhost/contoso/tenant-config/pull/1',
      output: { title: 'Pending approval', summary: 'Review the pull request' },
      actions: [
        { label: 'Sync now', description: 'Run a sync for this tenant', identifier: 'sync' },
        { label: 'Cancel', description: 'Cancel the running sync', identifier: 'cancel' },
      ],
    });
    expect(updated.data).toMatchObject({ status: 'completed', conclusion: 'action_required' });
    expect(gh.checkRuns({ name: 'tenant-sync: contoso' })[0]?.actions.map((a) => a.identifier)).toEqual(['sync', 'cancel']);
    const listed = await octokit.rest.checks.listForRef({ owner, repo, ref: 'main', check_name: 'tenant-sync: contoso' });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.check_runs[0]?.output.title).toBe('Pending approval');
    expect(gh.violations).toEqual([]);
  });

  it('refuses 4 actions, a label over 20 characters and a summary over 65535 (422, recorded as violations)', async () => {
    const sha = (await gh.resolve('main')) as string;
    const action = (i: number) => ({ label: `A${i}`, description: 'd', identifier: `a${i}` });
    const before = gh.violations.length;
    await expect(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: sha, actions: [action(1), action(2), action(3), action(4)] })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: sha, actions: [{ label: 'x'.repeat(21), description: 'd', identifier: 'i' }] })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: sha, output: { title: 't', summary: 'x'.repeat(65536) } })).rejects.toMatchObject({ status: 422 });
    expect(gh.violations.length - before).toBe(3);
    expect(gh.violations.at(-3)?.errors.join(' ')).toContain('actions');
    const ok = await octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: sha, output: { title: 't', summary: 'x'.repeat(65535) } });
    expect(ok.status).toBe(201);
    expect(gh.violations.length - before).toBe(3);
    gh.clearLog();
  });

  it('refuses completed without a conclusion and an unknown sha', async () => {
    const sha = (await gh.resolve('main')) as string;
    await expect(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: sha, status: 'completed' })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: 'f'.repeat(40) })).rejects.toMatchObject({ status: 422 });
    gh.clearLog();
  });
});

describe('collaborators, workflow runs', () => {
  it('reads a collaborator permission', async () => {
    gh.setCollaborator('alice', 'write');
    gh.setCollaborator('mallory', 'read');
    const alice = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'alice' });
    expect(alice.data).toMatchObject({ permission: 'write', role_name: 'write', user: { login: 'alice' } });
    const mallory = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'mallory' });
    expect(mallory.data.permission).toBe('read');
    const stranger = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'stranger' });
    expect(stranger.data.permission).toBe('none');
  });

  it('gets and cancels a workflow run (202, then 409 once completed)', async () => {
    const run = gh.addWorkflowRun({ head_sha: (await gh.resolve('main')) as string });
    const got = await octokit.rest.actions.getWorkflowRun({ owner, repo, run_id: run.id });
    expect(got.data).toMatchObject({ id: run.id, status: 'in_progress' });
    expect((await octokit.rest.actions.cancelWorkflowRun({ owner, repo, run_id: run.id })).status).toBe(202);
    expect((await octokit.rest.actions.getWorkflowRun({ owner, repo, run_id: run.id })).data).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    await expect(octokit.rest.actions.cancelWorkflowRun({ owner, repo, run_id: run.id })).rejects.toMatchObject({ status: 409 });
  });
});

describe('OpenAPI checks', () => {
  it('records a body that does not fit the description and answers 422 with the reason', async () => {
    gh.clearLog();
    const bad = octokit.request('POST /repos/{owner}/{repo}/issues', { owner, repo, title: 'x', labels: 'not-an-array' } as never);
    await expect(bad).rejects.toMatchObject({ status: 422 });
    expect(gh.violations).toHaveLength(1);
    expect(gh.violations[0]).toMatchObject({ operationId: 'issues/create' });
    expect(gh.violations[0]?.errors.join('\n')).toContain("For 'properties/labels'");
    gh.clearLog();
  });

  it('records an unknown query parameter, a wrong path parameter type and an unknown route', async () => {
    await expect(octokit.request('GET /repos/{owner}/{repo}/pulls', { owner, repo, labels: 'x' } as never)).rejects.toMatchObject({ status: 422 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: 'abc' } as never)).rejects.toMatchObject({ status: 422 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo })).rejects.toMatchObject({ status: 404 });
    expect(gh.violations.map((v) => v.errors[0])).toEqual([
      "Query parameter 'labels' is not a parameter of pulls/list.",
      expect.stringContaining("Path parameter 'pull_number'"),
      'GET /repos/contoso/tenant-config/no-such-thing is not an operation of GitHub\'s REST API.',
    ]);
    gh.clearLog();
  });

  it('answers 501 for an operation GitHub has and the double does not implement, and says so', async () => {
    await expect(octokit.rest.repos.listReleases({ owner, repo })).rejects.toMatchObject({ status: 501 });
    expect(gh.unimplemented.map((u) => u.operationId)).toEqual(['repos/list-releases']);
    gh.clearLog();
  });
});
