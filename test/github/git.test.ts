/**
 * The double's repository through the real git CLI: clone, push and fetch over smart HTTP
 * (`git http-backend`), protected branches and refused pushes, and the API seeing what was pushed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './double/index.js';

const exec = promisify(execFile);
let gh: GitHubDouble;
let work: string;

const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'tenant-sync',
  GIT_AUTHOR_EMAIL: 'tenant-sync@example.com',
  GIT_COMMITTER_NAME: 'tenant-sync',
  GIT_COMMITTER_EMAIL: 'tenant-sync@example.com',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await exec('git', args, { cwd, env })).stdout;
}

beforeAll(async () => {
  gh = await startGitHubDouble({ owner: 'contoso', repo: 'tenant-config' });
  work = mkdtempSync(join(tmpdir(), 'gh-double-git-'));
});
afterAll(async () => {
  await gh.close();
  rmSync(work, { recursive: true, force: true });
});

describe('git over smart HTTP', () => {
  it('clones, pushes a new branch and the API and the bare repository see it', async () => {
    const clone = join(work, 'clone');
    await git(work, 'clone', '--quiet', gh.remoteUrl, clone);
    expect(await git(clone, 'log', '--format=%s')).toBe('Initial commit\n');
    await git(clone, 'switch', '--quiet', '-c', 'tenant-sync/state/contoso');
    writeFileSync(join(clone, 'state.json'), '{"a":1}\n');
    await git(clone, 'add', '.');
    await git(clone, 'commit', '--quiet', '-m', 'Backup of contoso');
    await git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/tenant-sync/state/contoso');
    const sha = (await git(clone, 'rev-parse', 'HEAD')).trim();

    expect(await gh.resolve('tenant-sync/state/contoso')).toBe(sha);
    expect(await gh.readFile('tenant-sync/state/contoso', 'state.json')).toBe('{"a":1}\n');
    expect(gh.pushes().at(-1)).toMatchObject({ ref: 'refs/heads/tenant-sync/state/contoso', after: sha });
    const octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });
    const ref = await octokit.rest.git.getRef({ owner: 'contoso', repo: 'tenant-config', ref: 'heads/tenant-sync/state/contoso' });
    expect(ref.data.object.sha).toBe(sha);
    expect(gh.requests.some((r) => r.kind === 'git' && r.path.endsWith('/git-receive-pack') && r.status === 200)).toBe(true);
  });

  it('fetches what someone else committed', async () => {
    const clone = join(work, 'clone');
    const sha = await gh.commitFiles('main', { 'tenants/contoso/x.json': '{}\n' }, 'Edited on github.com');
    await git(clone, 'fetch', '--quiet', 'origin', 'main');
    expect((await git(clone, 'rev-parse', 'FETCH_HEAD')).trim()).toBe(sha);
  });

  it('refuses a non fast-forward push and a push without credentials', async () => {
    const clone = join(work, 'clone');
    await git(clone, 'switch', '--quiet', '-c', 'diverged', 'origin/main~1');
    await git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'diverged');
    await expect(git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main')).rejects.toThrow(/rejected|non-fast-forward|fetch first/);
    await expect(git(clone, 'push', '--quiet', gh.remoteUrlWithoutCredentials, 'HEAD:refs/heads/anon')).rejects.toThrow(/Authentication failed|could not read Username|401/);
  });

  it('refuses pushes to a protected branch (GH006) and an injected refusal once', async () => {
    const clone = join(work, 'clone');
    await git(clone, 'fetch', '--quiet', 'origin');
    await git(clone, 'switch', '--quiet', '-C', 'mainwork', 'origin/main');
    await git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'direct');
    gh.protectBranch('main');
    await expect(git(clone, 'push', 'origin', 'HEAD:refs/heads/main')).rejects.toThrow(/GH006: Protected branch update failed for refs\/heads\/main/);
    gh.unprotectBranch('main');
    gh.rejectNextPush('GH013: Repository rule violations found for refs/heads/main.');
    await expect(git(clone, 'push', 'origin', 'HEAD:refs/heads/main')).rejects.toThrow(/GH013/);
    await git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    expect(await gh.resolve('main')).toBe((await git(clone, 'rev-parse', 'HEAD')).trim());
  });

  it('deletes a branch by push and the bare repository is also a file remote', async () => {
    const clone = join(work, 'clone');
    await git(clone, 'push', '--quiet', 'origin', ':refs/heads/tenant-sync/state/contoso');
    expect(await gh.resolve('tenant-sync/state/contoso')).toBeUndefined();
    const viaFile = join(work, 'file-clone');
    await git(work, 'clone', '--quiet', `file://${gh.bareRepoPath}`, viaFile);
    expect((await git(viaFile, 'rev-parse', 'HEAD')).trim()).toBe(await gh.resolve('main'));
  });
});
