import { getOctokit } from '@actions/github';
import { TenantSyncError } from '../errors/index.js';

export type Octokit = ReturnType<typeof getOctokit>;

/**
 * The repository a run works on, read once from the runner's environment (never from
 * `github.context`, which is read at import time). Everything that talks to GitHub takes this.
 */
export interface RepoContext {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** GITHUB_SERVER_URL, for links only */
  serverUrl: string;
  /** The commit the run is about: its check runs are attached to it */
  sha: string;
  /** The repository's default branch (the desired configuration) */
  defaultBranch: string;
  runId?: string;
  runAttempt: number;
}

export interface RepoContextOptions {
  env: NodeJS.ProcessEnv;
  token: string;
  defaultBranch: string;
  sha: string;
}

export function createRepoContext({ env, token, defaultBranch, sha }: RepoContextOptions): RepoContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo) {
    throw new TenantSyncError('USAGE', 'GITHUB_REPOSITORY is not set', 'Run the action in a GitHub Actions workflow, or use the command line (tenant-sync backup, plan, validate) locally.');
  }
  const baseUrl = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '');
  return {
    octokit: getOctokit(token, { baseUrl }),
    owner,
    repo,
    serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, ''),
    sha,
    defaultBranch,
    runId: env.GITHUB_RUN_ID || undefined,
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT || '1') || 1,
  };
}

/** The run's page (its logs), or undefined outside Actions */
export function runUrl(ctx: Pick<RepoContext, 'serverUrl' | 'owner' | 'repo' | 'runId'>): string | undefined {
  return ctx.runId ? `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/actions/runs/${ctx.runId}` : undefined;
}

/** Branch names of the design */
export const branches = {
  state: (tenant: string) => `tenant-sync/state/${tenant}`,
  approve: (tenant: string) => `tenant-sync/approve/${tenant}`,
  adopt: (tenant: string) => `tenant-sync/adopt/${tenant}`,
  revert: (tenant: string) => `tenant-sync/revert/${tenant}`,
};

/** Labels of the design */
export const labels = {
  revert: 'tenant-sync:revert',
  dashboard: 'tenant-sync:dashboard',
  tenant: (tenant: string) => `tenant:${tenant}`,
  status: (status: string) => `status:${status.toLowerCase().replace(/ /g, '-')}`,
};
