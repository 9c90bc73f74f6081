import { join } from 'node:path';
import { unsettledSchema, type Unsettled } from '../reconcile/index.js';
import { renderJson } from '../snapshot/index.js';
import { readRepoFile, removeRepoFile, writeRepoFile } from './branchFiles.js';
import { planPath } from './approvalPullRequest.js';
import { branches } from './context.js';
import type { GitRepository, Worktree } from './git.js';

/**
 * The newest commit on the state branch's first-parent line that records the tenant, i.e. is not
 * a merged approval (those carry plan.json until the apply commits the tenant's state after it).
 */
export async function lastRecordedState(git: GitRepository, tip: string, tenant: string): Promise<string> {
  const commits = (await git.out(['rev-list', '--first-parent', '--max-count=50', tip])).split('\n').filter(Boolean);
  for (const commit of commits) if ((await git.readFile(commit, planPath(tenant))) === undefined) return commit;
  return tip;
}

export interface StateBranch {
  /** A worktree at the branch's tip holding the tenant as last recorded */
  worktree: Worktree;
  /** The branch's tip; undefined when the branch does not exist yet */
  tip: string | undefined;
  /** The commit the worktree's tenant files come from (the tip, or the commit before a merged plan) */
  recorded: string | undefined;
}

/**
 * Checks the tenant's state branch out into `<parent>/tree`. When the branch ends in a merged
 * approval whose apply never recorded the tenant, the merge holds what was wanted, not what the
 * tenant has: the tenant's files and id map are put back to the last recorded state, so they are
 * the base of the comparison and what a type that cannot be read keeps.
 */
export async function openStateBranch(git: GitRepository, tenant: string, parent: string): Promise<StateBranch> {
  const tip = await git.fetchBranch(branches.state(tenant));
  const worktree = await git.worktreeAt(parent, tip);
  const recorded = tip && (await lastRecordedState(git, tip, tenant));
  if (recorded && recorded !== tip) await worktree.restore(recorded, [`tenants/${tenant}`, `.tenant-sync/${tenant}`]);
  return { worktree, tip, recorded: recorded || undefined };
}

/** `<parent>/tree`: where openStateBranch puts the worktree (the engine writes the backup there) */
export function stateTreeDir(parent: string): string {
  return join(parent, 'tree');
}

/** `.tenant-sync/<tenant>/unsettled.json`: the objects not settled at the last sync (src/reconcile/unsettled.ts) */
export function unsettledPath(tenant: string): string {
  return `.tenant-sync/${tenant}/unsettled.json`;
}

/** The unsettled objects recorded in a state worktree; {} when none (or the file cannot be used) */
export async function readUnsettled(dir: string, tenant: string): Promise<Unsettled> {
  const text = await readRepoFile(dir, unsettledPath(tenant));
  if (text === undefined) return {};
  const parsed = unsettledSchema.safeParse((() => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  })());
  return parsed.success ? parsed.data : {};
}

/** Records the unsettled objects in a state worktree; the file is removed when there are none */
export async function writeUnsettled(dir: string, tenant: string, unsettled: Unsettled): Promise<void> {
  if (Object.keys(unsettled).length === 0) await removeRepoFile(dir, unsettledPath(tenant));
  else await writeRepoFile(dir, unsettledPath(tenant), renderJson(unsettled));
}
