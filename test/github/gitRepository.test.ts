/**
 * src/github/git.ts against real repositories: a bare "remote", the action's checkout, and a
 * colleague's clone that pushes in between (a lost race).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commitAndPush, GitRepository, redoOnTip, type Worktree } from '../../src/github/git.js';
import { createMemoryLogger } from '../../src/log/index.js';

const exec = promisify(execFile);
const identity = ['-c', 'user.name=Colleague', '-c', 'user.email=colleague@example.test'];

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'tenant-sync-git-'));
  const remote = join(dir, 'remote.git');
  await exec('git', ['init', '-q', '--bare', '-b', 'main', remote]);
  const colleague = join(dir, 'colleague');
  await exec('git', ['clone', '-q', remote, colleague]);
  await writeFile(join(colleague, 'a.json'), '{"a":1}\n');
  await writeFile(join(colleague, 'b.json'), '{"b":1}\n');
  await exec('git', [...identity, '-C', colleague, 'add', '-A']);
  await exec('git', [...identity, '-C', colleague, 'commit', '-q', '-m', 'first']);
  await exec('git', ['-C', colleague, 'push', '-q', 'origin', 'main']);
  const checkout = join(dir, 'checkout');
  await exec('git', ['clone', '-q', '--depth', '1', `file://${remote}`, checkout]);
  const git = new GitRepository(checkout, createMemoryLogger(), { ...process.env, RUNNER_TEMP: dir });
  const colleaguePush = async (file: string, content: string) => {
    await exec('git', ['-C', colleague, 'pull', '-q', '--rebase', 'origin', 'main']);
    await writeFile(join(colleague, file), content);
    await exec('git', [...identity, '-C', colleague, 'commit', '-q', '-am', `colleague changes ${file}`]);
    await exec('git', ['-C', colleague, 'push', '-q', 'origin', 'main']);
  };
  const show = async (path: string) => (await exec('git', ['--git-dir', remote, 'show', `main:${path}`])).stdout;
  const log = async () => (await exec('git', ['--git-dir', remote, 'log', '--format=%s', 'main'])).stdout.trim().split('\n');
  return { git, colleaguePush, show, log };
}

describe('GitRepository', () => {
  it('tells an absent branch from a present one, and fails loudly on a broken remote', async () => {
    const { git } = await setup();
    expect(await git.remoteBranch('main')).toMatch(/^[0-9a-f]{40}$/);
    expect(await git.remoteBranch('tenant-sync/state/contoso')).toBeUndefined();
    const broken = new GitRepository(join(tmpdir(), 'no-such-repo-here'), createMemoryLogger());
    await expect(broken.remoteBranch('main')).rejects.toMatchObject({ code: 'GIT_FAILED' });
  });

  it('commits nothing when the tree is unchanged, and starts a new branch without a parent', async () => {
    const { git } = await setup();
    const tip = (await git.fetchBranch('main'))!;
    const same = await git.worktree(tip);
    expect(await same.commit('no change')).toBeUndefined();
    await same.remove();
    const empty = await git.worktree(undefined);
    await writeFile(join(empty.dir, 'state.json'), '{}\n');
    const result = await commitAndPush(git, empty, { branch: 'tenant-sync/state/contoso', message: 'first backup' });
    expect(result.result).toBe('pushed');
    expect((await git.out(['rev-list', '--count', result.commit!]))).toBe('1');
    await empty.remove();
  });

  it('a lost race on the default branch: the change is made again on the winner\'s commit, whose change is kept', async () => {
    const { git, colleaguePush, show, log } = await setup();
    const tip = (await git.fetchBranch('main'))!;
    const worktrees: Worktree[] = [];
    const mine = await git.worktree(tip);
    worktrees.push(mine);
    const write = (dir: string) => writeFile(join(dir, 'a.json'), '{"a":2}\n');
    await write(mine.dir);
    await colleaguePush('b.json', '{"b":2}\n'); // someone pushes first
    const result = await commitAndPush(git, mine, { branch: 'main', message: 'adopt a', onRace: redoOnTip(git, tip, ['a.json'], worktrees, undefined, write) });
    expect(result.result).toBe('pushed');
    expect(await show('a.json')).toBe('{"a":2}\n');
    expect(await show('b.json')).toBe('{"b":2}\n');
    expect(await log()).toEqual(['adopt a', 'colleague changes b.json', 'first']);
    for (const w of worktrees) await w.remove();
  });

  it('a lost race on the same file: gives up rather than overwrite the winner', async () => {
    const { git, colleaguePush, show } = await setup();
    const tip = (await git.fetchBranch('main'))!;
    const worktrees: Worktree[] = [];
    const mine = await git.worktree(tip);
    worktrees.push(mine);
    const write = (dir: string) => writeFile(join(dir, 'a.json'), '{"a":2}\n');
    await write(mine.dir);
    await colleaguePush('a.json', '{"a":3}\n');
    const result = await commitAndPush(git, mine, { branch: 'main', message: 'adopt a', onRace: redoOnTip(git, tip, ['a.json'], worktrees, undefined, write) });
    expect(result.result).toBe('gave-up');
    expect(await show('a.json')).toBe('{"a":3}\n');
    for (const w of worktrees) await w.remove();
  });

  it('a force push only lands while the branch is where it was read (lease)', async () => {
    const { git, colleaguePush } = await setup();
    const tip = (await git.fetchBranch('main'))!;
    const w = await git.worktree(tip);
    await writeFile(join(w.dir, 'a.json'), '{"a":9}\n');
    const commit = (await w.commit('mine'))!;
    await colleaguePush('b.json', '{"b":5}\n');
    expect(await git.push(commit, 'main', { force: true, expected: tip })).toBe('rejected');
    expect(await readFile(join(w.dir, 'a.json'), 'utf8')).toBe('{"a":9}\n');
    await w.remove();
  });
});
