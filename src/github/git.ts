import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantSyncError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/** Who tenant-sync's commits are by, unless the workflow sets GIT_AUTHOR_* / GIT_COMMITTER_* */
export const DEFAULT_IDENTITY = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

export type PushResult = 'pushed' | 'rejected' | 'protected';

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are answers, not failures (e.g. 2 from ls-remote --exit-code) */
  okCodes?: number[];
  /** Written to the command's standard input */
  input?: string;
}

/** Credentials in a remote URL never reach a message */
function scrub(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}

/**
 * The repository checkout the action runs in, driven through the git CLI. It is only a handle on
 * `origin`: tenant-sync never touches the checkout's own work tree, it works in temporary worktrees
 * (one per branch it reads or writes), so the user's checkout stays as the workflow left it.
 */
export class GitRepository {
  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    readonly remote = 'origin',
  ) {}

  async run(args: string[], options: RunOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    const env: NodeJS.ProcessEnv = {
      ...this.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: this.env.GIT_AUTHOR_NAME || DEFAULT_IDENTITY.name,
      GIT_AUTHOR_EMAIL: this.env.GIT_AUTHOR_EMAIL || DEFAULT_IDENTITY.email,
      GIT_COMMITTER_NAME: this.env.GIT_COMMITTER_NAME || DEFAULT_IDENTITY.name,
      GIT_COMMITTER_EMAIL: this.env.GIT_COMMITTER_EMAIL || DEFAULT_IDENTITY.email,
      ...options.env,
    };
    this.log.debug(`git ${scrub(args.join(' '))}`);
    return new Promise((resolve, reject) => {
      const child = execFile('git', args, { cwd: options.cwd ?? this.dir, env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && !(options.okCodes ?? []).includes(code)) {
          reject(
            new TenantSyncError(
              'GIT_FAILED',
              `git ${args[0]} failed: ${scrub(stderr.trim() || error.message).split('\n').slice(-6).join(' ')}`,
              'Check that the workflow checks the repository out with actions/checkout (persist-credentials left on) and has `permissions: contents: write`.',
            ),
          );
          return;
        }
        resolve({ stdout, stderr, code });
      });
      // A command that does not read its input may exit before it is written
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
  }

  async out(args: string[], options?: RunOptions): Promise<string> {
    return (await this.run(args, options)).stdout.trim();
  }

  /** The branch's commit on the remote: a sha, or undefined when the branch does not exist. A failure throws. */
  async remoteBranch(branch: string): Promise<string | undefined> {
    const { stdout, code } = await this.run(['ls-remote', '--exit-code', this.remote, `refs/heads/${branch}`], { okCodes: [2] });
    if (code === 2) return undefined;
    return stdout.split(/\s/)[0] || undefined;
  }

  /** Fetches the branch; returns its commit, or undefined when the remote has no such branch */
  async fetchBranch(branch: string): Promise<string | undefined> {
    const sha = await this.remoteBranch(branch);
    if (!sha) return undefined;
    await this.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', this.remote, `+refs/heads/${branch}:refs/tenant-sync/${branch}`]);
    return sha;
  }

  /**
   * A temporary worktree at `sha` (detached), or an empty one when `sha` is undefined (the first
   * commit of a new branch). Remove it with `remove()`.
   */
  async worktree(sha: string | undefined, tempRoot = this.env.RUNNER_TEMP || tmpdir()): Promise<Worktree> {
    const parent = await mkdtemp(join(tempRoot, 'tenant-sync-'));
    return this.worktreeAt(parent, sha);
  }

  /** As `worktree`, in `<parent>/tree`; `parent` is removed with it */
  async worktreeAt(parent: string, sha: string | undefined): Promise<Worktree> {
    const dir = join(parent, 'tree');
    if (sha) {
      await this.run(['worktree', 'add', '--quiet', '--detach', dir, sha]);
    } else {
      await this.run(['worktree', 'add', '--quiet', '--detach', '--no-checkout', dir, 'HEAD']);
      await this.run(['read-tree', '--empty'], { cwd: dir });
    }
    return new Worktree(this, dir, parent, sha);
  }

  /** Pushes `sha` to the branch. Without `force` only a fast-forward lands; with it, only when the branch is still at `expected`. */
  async push(sha: string, branch: string, options: { force?: boolean; expected?: string | undefined } = {}): Promise<PushResult> {
    const args = ['push', '--porcelain', this.remote];
    if (options.force) args.push(`--force-with-lease=refs/heads/${branch}:${options.expected ?? ''}`);
    args.push(`${sha}:refs/heads/${branch}`);
    const result = await this.run(args, { okCodes: [1] });
    if (result.code === 0) return 'pushed';
    const text = `${result.stdout}\n${result.stderr}`;
    if (/GH006|protected branch|GH013|repository rule/i.test(text)) return 'protected';
    if (/\[rejected\]|non-fast-forward|fetch first|stale info|\[remote rejected\].*(?:failed to update ref|cannot lock ref)/i.test(text)) return 'rejected';
    throw new TenantSyncError(
      'GIT_FAILED',
      `git push to ${branch} failed: ${scrub(text.trim()).split('\n').slice(-6).join(' ')}`,
      'Check that the workflow has `permissions: contents: write` and that checkout kept its credentials (persist-credentials).',
    );
  }

  /** Fetches any ref (e.g. refs/pull/7/head); returns its commit, or undefined when there is none */
  async fetchRef(ref: string): Promise<string | undefined> {
    const { stdout, code } = await this.run(['ls-remote', '--exit-code', this.remote, ref], { okCodes: [2] });
    if (code === 2) return undefined;
    await this.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', this.remote, `+${ref}:refs/tenant-sync/fetched/${ref.replace(/^refs\//, '')}`]);
    return stdout.split(/\s/)[0] || undefined;
  }

  /** Deletes the branch only while it is still at `expected` (a newer push to it is left alone) */
  async deleteBranch(branch: string, expected: string): Promise<'deleted' | 'moved' | 'absent'> {
    const { code, stdout, stderr } = await this.run(['push', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected}`, this.remote, `:refs/heads/${branch}`], { okCodes: [1] });
    if (code === 0) return 'deleted';
    return /stale info|rejected/i.test(`${stdout}${stderr}`) ? 'moved' : 'absent';
  }

  /** The tree of a commit */
  async treeOf(commit: string): Promise<string> {
    return this.out(['rev-parse', `${commit}^{tree}`]);
  }

  /** A file at a commit: its text, or undefined when the commit has no such file */
  async readFile(commit: string, path: string): Promise<string | undefined> {
    const { stdout, code } = await this.run(['cat-file', '-p', `${commit}:${path}`], { okCodes: [128] });
    return code === 0 ? stdout : undefined;
  }

  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    const { code } = await this.run(['merge-base', '--is-ancestor', ancestor, commit], { okCodes: [1, 128] });
    return code === 0;
  }

}

export class Worktree {
  constructor(
    private readonly git: GitRepository,
    readonly dir: string,
    private readonly parent: string,
    /** The commit it was made from; undefined for an empty one */
    readonly base: string | undefined,
  ) {}

  /**
   * Stages everything in the worktree and makes a commit of it on `parent` (default: the commit
   * the worktree came from). Returns undefined when the tree is the same as the parent's: nothing
   * changed, no commit.
   */
  async commit(message: string, parent: string | undefined = this.base): Promise<string | undefined> {
    const tree = await this.tree();
    if (parent && (await this.git.treeOf(parent)) === tree) return undefined;
    const args = ['commit-tree', tree, '-F', '-'];
    if (parent) args.push('-p', parent);
    return this.git.out(args, { cwd: this.dir, input: message });
  }

  /**
   * Puts these paths (files or folders) back to their version at `commit`, and removes those the
   * commit does not have: how the state branch keeps an object's or a type's recorded version.
   */
  async restore(commit: string, paths: Iterable<string>): Promise<void> {
    for (const path of new Set(paths)) {
      await rm(join(this.dir, path), { recursive: true, force: true });
      if ((await this.git.readFile(commit, path)) !== undefined) await this.git.run(['checkout', commit, '--', path], { cwd: this.dir });
    }
  }

  /** The tree of the staged worktree, without committing */
  async tree(): Promise<string> {
    await this.git.run(['add', '--all', '.'], { cwd: this.dir });
    return this.git.out(['write-tree'], { cwd: this.dir });
  }

  async remove(): Promise<void> {
    await this.git.run(['worktree', 'remove', '--force', this.dir]).catch(() => undefined);
    await rm(this.parent, { recursive: true, force: true });
    await this.git.run(['worktree', 'prune']).catch(() => undefined);
  }
}

/**
 * Commits the worktree on top of the branch and pushes it, never forcing. When someone else pushed
 * first, `onRace` gets the new tip and returns a worktree at that tip with this run's change made
 * again (or undefined to give up: the next run re-reads). Without `onRace` the same tree is put on
 * the new tip, which is right only where this run's tree is the whole truth (the state branch).
 */
export async function commitAndPush(
  git: GitRepository,
  worktree: Worktree,
  options: {
    branch: string;
    message: string;
    onRace?: (newTip: string) => Promise<Worktree | undefined>;
    attempts?: number;
  },
): Promise<{ result: 'pushed' | 'unchanged' | 'protected' | 'gave-up'; commit?: string }> {
  let current = worktree;
  let parent = worktree.base;
  for (let attempt = 0; attempt < (options.attempts ?? 4); attempt++) {
    const commit = await current.commit(options.message, parent);
    if (!commit) return { result: 'unchanged' };
    const pushed = await git.push(commit, options.branch);
    if (pushed === 'pushed') return { result: 'pushed', commit };
    if (pushed === 'protected') return { result: 'protected', commit };
    const tip = await git.fetchBranch(options.branch);
    if (options.onRace && tip) {
      const again = await options.onRace(tip);
      if (!again) return { result: 'gave-up' };
      current = again;
      parent = again.base;
    } else {
      parent = tip;
    }
  }
  return { result: 'gave-up' };
}

/**
 * An `onRace` for the default branch: the change is made again on the new tip, but only when the
 * commits that won the race left this change's files as they were at `base`.
 */
export function redoOnTip(
  git: GitRepository,
  base: string,
  paths: readonly string[],
  worktrees: Worktree[],
  tempRoot: string | undefined,
  write: (dir: string) => Promise<void>,
): (tip: string) => Promise<Worktree | undefined> {
  return async (tip) => {
    for (const path of paths) {
      if ((await git.readFile(tip, path)) !== (await git.readFile(base, path))) return undefined;
    }
    const again = await git.worktree(tip, tempRoot);
    worktrees.push(again);
    await write(again.dir);
    return again;
  };
}

/**
 * Makes a branch tenant-sync owns (approve, adopt, revert) hold `commit`'s content: pushed with a
 * lease on what the remote had, and not pushed at all when the remote already has the same tree.
 * Returns the commit the branch now points at.
 */
export async function publishBranch(git: GitRepository, branch: string, commit: string): Promise<string> {
  const remote = await git.fetchBranch(branch);
  if (remote && (await git.treeOf(remote)) === (await git.treeOf(commit))) return remote;
  const result = await git.push(commit, branch, { force: true, expected: remote });
  if (result !== 'pushed') {
    throw new TenantSyncError('GIT_FAILED', `could not update ${branch} (${result})`, 'Make sure only one run per tenant runs at a time, and that tenant-sync/* branches are not protected.');
  }
  return commit;
}

/** Deletes a branch tenant-sync owns, whatever it points at now; a branch already gone is fine */
export async function dropBranch(git: GitRepository, branch: string): Promise<void> {
  const tip = await git.remoteBranch(branch);
  if (tip) await git.deleteBranch(branch, tip);
}
