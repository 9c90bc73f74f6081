import { TenantSyncError } from '../errors/index.js';
import { GITHUB_BODY_LIMIT } from '../reconcile/index.js';
import type { RepoContext } from './context.js';

export interface PullRequestRef {
  number: number;
  url: string;
  body: string;
  headSha: string;
}

/** GitHub's error as a TenantSyncError that says which permission or setting to look at */
export function githubError(what: string, e: unknown): TenantSyncError {
  const status = (e as { status?: number })?.status;
  const message = (e as Error)?.message ?? String(e);
  const fix =
    status === 403
      ? 'Give the workflow the permissions it needs (contents: write, pull-requests: write, issues: write, checks: write); for pull requests made with GITHUB_TOKEN, allow "GitHub Actions to create and approve pull requests" in the repository settings, or use a GitHub App token.'
      : status === 401
        ? 'The token was refused: check the `token` input (a GitHub App token or github.token).'
        : 'Run the workflow again; if it keeps failing, see the troubleshooting page.';
  return new TenantSyncError('GITHUB_REQUEST_FAILED', `${what}: GitHub answered ${status ?? 'nothing'}: ${message}`, fix);
}

function cutBody(body: string): string {
  if (body.length <= GITHUB_BODY_LIMIT) return body;
  const note = '\n\n… (cut to fit GitHub\'s limit; the whole plan is in the run\'s artifacts)\n';
  return body.slice(0, GITHUB_BODY_LIMIT - note.length) + note;
}

/** The open pull request from `head` (a branch of this repository) into `base`, if there is one */
export async function findOpenPullRequest(ctx: RepoContext, head: string, base: string): Promise<PullRequestRef | undefined> {
  try {
    const { data } = await ctx.octokit.rest.pulls.list({ owner: ctx.owner, repo: ctx.repo, state: 'open', head: `${ctx.owner}:${head}`, base, per_page: 10 });
    const pr = data.find((p) => p.head.ref === head && p.base.ref === base && p.head.repo?.full_name === `${ctx.owner}/${ctx.repo}`);
    return pr && { number: pr.number, url: pr.html_url, body: pr.body ?? '', headSha: pr.head.sha };
  } catch (e) {
    throw githubError(`listing the pull requests from ${head}`, e);
  }
}

/** The most recently closed pull request from `head` into `base`, if any */
export async function lastClosedPullRequest(ctx: RepoContext, head: string, base: string): Promise<(PullRequestRef & { merged: boolean }) | undefined> {
  try {
    const { data } = await ctx.octokit.rest.pulls.list({
      owner: ctx.owner,
      repo: ctx.repo,
      state: 'closed',
      head: `${ctx.owner}:${head}`,
      base,
      sort: 'updated',
      direction: 'desc',
      per_page: 1,
    });
    const pr = data[0];
    return pr && { number: pr.number, url: pr.html_url, body: pr.body ?? '', headSha: pr.head.sha, merged: pr.merged_at !== null };
  } catch (e) {
    throw githubError(`listing the closed pull requests from ${head}`, e);
  }
}

/**
 * One open pull request per head and base, updated in place: found and edited when it exists
 * (only what differs), created otherwise. Labels are added, never removed.
 */
export async function upsertPullRequest(
  ctx: RepoContext,
  options: { head: string; base: string; title: string; body: string; labels: string[] },
): Promise<PullRequestRef & { created: boolean }> {
  const body = cutBody(options.body);
  const existing = await findOpenPullRequest(ctx, options.head, options.base);
  try {
    let ref: PullRequestRef & { created: boolean };
    if (existing) {
      const { data: current } = await ctx.octokit.rest.pulls.get({ owner: ctx.owner, repo: ctx.repo, pull_number: existing.number });
      if (current.title !== options.title || (current.body ?? '') !== body) {
        await ctx.octokit.rest.pulls.update({ owner: ctx.owner, repo: ctx.repo, pull_number: existing.number, title: options.title, body });
      }
      ref = { ...existing, headSha: current.head.sha, body, created: false };
      const have = new Set(current.labels.map((l) => l.name));
      const missing = options.labels.filter((l) => !have.has(l));
      if (missing.length > 0) await ctx.octokit.rest.issues.addLabels({ owner: ctx.owner, repo: ctx.repo, issue_number: existing.number, labels: missing });
    } else {
      const { data } = await ctx.octokit.rest.pulls.create({
        owner: ctx.owner,
        repo: ctx.repo,
        head: options.head,
        base: options.base,
        title: options.title,
        body,
        maintainer_can_modify: false,
      });
      ref = { number: data.number, url: data.html_url, body, headSha: data.head.sha, created: true };
      if (options.labels.length > 0) await ctx.octokit.rest.issues.addLabels({ owner: ctx.owner, repo: ctx.repo, issue_number: data.number, labels: options.labels });
    }
    return ref;
  } catch (e) {
    throw githubError(`opening the pull request from ${options.head} into ${options.base}`, e);
  }
}

export async function commentOnPullRequest(ctx: RepoContext, number: number, body: string): Promise<void> {
  try {
    await ctx.octokit.rest.issues.createComment({ owner: ctx.owner, repo: ctx.repo, issue_number: number, body: cutBody(body) });
  } catch (e) {
    throw githubError(`commenting on #${number}`, e);
  }
}

/** Closes the pull request with a comment saying why, and labels it so the closed event is recognised as ours */
export async function closePullRequest(ctx: RepoContext, number: number, comment: string, label: string): Promise<void> {
  try {
    await ctx.octokit.rest.issues.addLabels({ owner: ctx.owner, repo: ctx.repo, issue_number: number, labels: [label] });
    await ctx.octokit.rest.issues.createComment({ owner: ctx.owner, repo: ctx.repo, issue_number: number, body: comment });
    await ctx.octokit.rest.pulls.update({ owner: ctx.owner, repo: ctx.repo, pull_number: number, state: 'closed' });
  } catch (e) {
    throw githubError(`closing #${number}`, e);
  }
}

/**
 * Whether a person may change the repository: admin, maintain or write. Labels and closing are
 * open to the triage role, so a revert (which commits to the default branch) checks who asked.
 */
export async function canWrite(ctx: RepoContext, login: string | undefined): Promise<boolean> {
  if (!login) return false;
  try {
    const { data } = await ctx.octokit.rest.repos.getCollaboratorPermissionLevel({ owner: ctx.owner, repo: ctx.repo, username: login });
    return data.permission === 'admin' || data.permission === 'write' || (data as { role_name?: string }).role_name === 'maintain';
  } catch (e) {
    if ((e as { status?: number }).status === 404) return false;
    throw githubError(`reading ${login}'s permission`, e);
  }
}
