import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, type DeployRecord } from '../deploy/index.js';
import { assertWritable } from '../engine/connect.js';
import { idMapFile, readIdMap } from '../engine/idMap.js';
import { syncBackup } from '../engine/sync.js';
import { isErrorCode, TenantSyncError, type ErrorCode } from '../errors/index.js';
import { planPath, type Review } from '../github/approvalPullRequest.js';
import { plannedObjects, writeTenantVersions } from '../github/branchFiles.js';
import { branches, labels } from '../github/context.js';
import { commitAndPush, publishBranch, redoOnTip, type Worktree } from '../github/git.js';
import { canWrite, commentOnPullRequest, upsertPullRequest } from '../github/pullRequests.js';
import { openStateBranch } from '../github/stateBranch.js';
import { parsePlan, planHash, renderPlanMarkdown, type Plan } from '../reconcile/index.js';
import { createStatusTracker, type Language } from '../status/index.js';
import { deployErrorLines, errorLine, errorSummary, fixLines } from './errorTexts.js';
import type { TenantOutcome } from './outcome.js';
import type { TenantRunOptions } from './sync.js';
import { textsFor } from './texts.js';

function refused(why: string, fix = 'Approve changes only through the pull request tenant-sync opens; the next sync proposes the change again.'): TenantSyncError {
  return new TenantSyncError('APPROVAL_REFUSED', why, fix);
}

/** The plan kept in a commit of the approval branch; its hash must be the one the pull request's body names */
async function planAt(options: TenantRunOptions, commit: string, expectedHash: string | undefined): Promise<Plan> {
  const { git, tenant } = options;
  const text = await git.readFile(commit, planPath(tenant.name));
  if (text === undefined) throw refused(`the approved commit ${commit.slice(0, 7)} has no ${planPath(tenant.name)}. Nothing was written to the tenant.`);
  let plan: Plan;
  try {
    plan = parsePlan(JSON.parse(text));
  } catch (e) {
    throw refused(`${planPath(tenant.name)} in ${commit.slice(0, 7)} is not a valid plan (${(e as Error).message.split('\n')[0]}). Nothing was written to the tenant.`);
  }
  if (plan.tenant !== tenant.name) throw refused(`the plan in ${commit.slice(0, 7)} is for ${plan.tenant}, not ${tenant.name}. Nothing was written to the tenant.`);
  if (expectedHash && planHash(plan) !== expectedHash) {
    throw refused(`the plan in ${commit.slice(0, 7)} is not the plan the pull request showed (it was changed after tenant-sync made it). Nothing was written to the tenant.`);
  }
  return plan;
}

/** What a reviewer's decision on an approval pull request leads to */
export async function reviewTenant(options: TenantRunOptions & { review: Review; sender?: string; approvedBy?: string }): Promise<TenantOutcome> {
  const { review } = options;
  if (review.kind === 'apply') return applyApproved(options, review);
  return rejectOrRevert(options, review);
}

/**
 * Merge = approve: the merged plan (read from the merge commit on the state branch, checked against
 * the hash in the pull request) is applied object by object, then the tenant is backed up onto the
 * state branch so the next sync starts from what the tenant really holds.
 */
async function applyApproved(options: TenantRunOptions & { approvedBy?: string }, review: Extract<Review, { kind: 'apply' }>): Promise<TenantOutcome> {
  const { ctx, git, tenant, log } = options;
  const { pr } = review;
  // The person who merged; or who pressed Approve, when the action merged on their behalf
  const merger = options.approvedBy ?? pr.merged_by?.login;
  const work = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'tenant-sync-'));
  const stateDir = join(work, 'state', 'tree');
  const worktrees: Worktree[] = [];
  const notes: string[] = [];
  let plan: Plan | undefined;
  let record: DeployRecord | undefined;
  /** The last commit of the state branch that records the tenant (before the merge) */
  let recorded: string | undefined;

  try {
    const run = await syncBackup({
      tenant,
      root: stateDir,
      log,
      sources: options.sources,
      onStatus: options.onStatus,
      graph: options.graph,
      prepare: async () => {
        if (!(await canWrite(ctx, merger))) throw refused(`#${pr.number} was merged by ${merger ?? 'nobody known'}, who has no write access to ${ctx.owner}/${ctx.repo}. Nothing was written to the tenant.`, 'Only people with write access approve changes; check the repository\'s collaborators.');
        const stateBranch = branches.state(tenant.name);
        const opened = await openStateBranch(git, tenant.name, join(work, 'state'));
        worktrees.push(opened.worktree);
        const merge = pr.merge_commit_sha;
        if (!opened.tip || !merge || !(await git.isAncestor(merge, opened.tip).catch(() => false))) {
          throw refused(`the merge of #${pr.number} (${merge?.slice(0, 7) ?? 'none'}) is not on ${stateBranch}. Nothing was written to the tenant.`);
        }
        plan = await planAt(options, merge, review.marker.planHash);
        recorded = opened.recorded;
      },
      beforeBackup: async (connection) => {
        assertWritable(connection, tenant.name);
        record = await applyPlan({
          plan: plan!,
          tenant,
          graph: connection.app,
          log,
          recordFile: options.recordFile ?? join(work, 'deploy-record.json'),
          approval: { kind: 'pull-request', reference: pr.html_url, approvedBy: merger },
          signal: options.signal,
        });
        if (record.status === 'cancelled') {
          // The runner kills the process seconds after its signal: no backup or state commit now.
          // The state branch still ends in the merge, so the next sync reads the tenant and proposes
          // what was not written.
          await commentOnPullRequest(ctx, pr.number, deployComment(tenant.name, record, tenant.language)).catch((e: Error) => log.warn(`${tenant.name}: ${e.message}`));
          throw deployFailure(record)!;
        }
      },
      afterBackup: async ({ report }) => {
        // Only the plan's objects are recorded as the deploy left them; any other change the backup
        // saw was made in the tenant meanwhile and stays for the next sync to report as drift.
        if (recorded && record) {
          // Objects are told apart by their id (a file can be renamed by the deploy itself). Only
          // those the deploy wrote (or tried to): a stale item was refused, nothing written, so a
          // change the portal made to it stays for the next sync to report.
          const wrote = (i: DeployRecord['items'][number]) => i.requests.length > 0 || i.result === 'applied' || i.result === 'unverified' || (i.result === 'skipped' && record!.status !== 'refused');
          const planned = new Set(record.items.filter(wrote).map((i) => i.id).filter((id): id is string => id !== null));
          const idsNow = (await readIdMap(idMapFile(stateDir, tenant.name))) ?? {};
          const idsBefore = JSON.parse((await git.readFile(recorded, `.tenant-sync/${tenant.name}/ids.json`)) ?? '{}') as Record<string, Record<string, string>>;
          const idOf = (path: string): string | undefined => {
            const parts = path.split('/');
            const type = parts[3];
            const file = parts.slice(4).join('/').replace(/\.json$/, '');
            return (type && (idsNow[type]?.[file] ?? idsBefore[type]?.[file])) || undefined;
          };
          await git.run(['add', '--all', '.'], { cwd: stateDir });
          const changed = (await git.out(['diff', '--cached', '--name-only', '--no-renames', recorded, '--', `tenants/${tenant.name}/`], { cwd: stateDir })).split('\n').filter(Boolean);
          await worktrees[0]!.restore(recorded, changed.filter((path) => !planned.has(idOf(path) ?? '')));
        }
        const pushed = await commitAndPush(git, worktrees[0]!, {
          branch: branches.state(tenant.name),
          message: `tenant-sync: state of ${tenant.name} after deploying #${pr.number}\n\n${report.totals.written} files written, ${report.totals.deleted} removed\n`,
        });
        if (pushed.result === 'pushed') notes.push(textsFor(tenant.language).stateAfterDeploy(branches.state(tenant.name), pushed.commit!.slice(0, 7)));
        await commentOnPullRequest(ctx, pr.number, deployComment(tenant.name, record!, tenant.language));
        await git.deleteBranch(branches.approve(tenant.name), pr.head.sha);
        return { partial: record!.status === 'partial', error: deployFailure(record!) };
      },
    });
    return { tenant, command: 'apply', final: run.final, history: run.details, report: run.report, error: run.error, plan, planMarkdown: plan && renderPlanMarkdown(plan, { language: tenant.language }), deploy: record, pullRequest: { number: pr.number, url: pr.html_url }, notes };
  } finally {
    for (const w of worktrees) await w.remove();
    await rm(work, { recursive: true, force: true });
  }
}

/** What to do after a cancelled apply, wherever the cancel is seen (the signal handler or the record) */
export const AFTER_CANCEL_FIX = 'Sync again: the next sync reads the tenant as it is now and proposes what is still missing; nothing is re-applied blindly.';

function deployFailure(record: DeployRecord): TenantSyncError | undefined {
  if (record.status === 'cancelled') {
    const c = record.counts;
    return new TenantSyncError(
      'SYNC_CANCELLED',
      `the apply was cancelled after ${c.applied} of ${c.items} change(s); the others were not started`,
      AFTER_CANCEL_FIX,
    );
  }
  if (record.status !== 'failed' && record.status !== 'refused') return undefined;
  const first = record.error ?? record.items.find((i) => i.error)?.error;
  const code: ErrorCode = first && isErrorCode(first.code) ? first.code : 'DEPLOY_WRITE_FAILED';
  return new TenantSyncError(code, `the approved plan was not applied: ${first?.message ?? record.status}`, first?.fix ?? 'See the deploy record in the run\'s artifacts.');
}

export function deployComment(tenant: string, record: DeployRecord, language: Language = 'en'): string {
  const t = textsFor(language);
  const c = record.counts;
  const failed = record.status !== 'succeeded' && record.status !== 'partial' && record.status !== 'cancelled';
  const head =
    record.status === 'succeeded'
      ? t.deployed(tenant)
      : record.status === 'partial'
        ? t.deployedPartly(tenant, c.applied, c.failed, c.stale, c.unverified)
        : record.status === 'cancelled'
          ? t.deployCancelled(tenant, c.applied, c.items)
          : t.deployedNothing(tenant, errorSummary(record.error, language));
  const lines = [head, ...(failed ? deployErrorLines(record.error, language) : []), ''];
  if (record.items.length > 0) {
    lines.push(`| ${t.deployTable().join(' | ')} |`, '|---|---|---|---|');
    for (const item of record.items) {
      const note = item.error ? errorLine(item.error, language).replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300) : '';
      lines.push(`| ${item.result} | ${item.action} | ${item.type} / ${item.name.replace(/\|/g, '\\|')} | ${note} |`);
    }
    const fixes = fixLines(record.items.map((i) => i.error?.code), language);
    if (fixes.length > 0) lines.push('', ...fixes.slice(0, -1));
  }
  if (record.status !== 'succeeded') lines.push('', t.deployRest());
  return `${lines.join('\n')}\n`;
}

/**
 * Close = reject: nothing is written anywhere. Close with the revert label: the default branch gets
 * the tenant's version of every object in the plan (a commit, or a pull request where the branch
 * is protected). Neither signs in to the tenant.
 */
async function rejectOrRevert(options: TenantRunOptions & { sender?: string }, review: Extract<Review, { kind: 'reject' | 'revert' }>): Promise<TenantOutcome> {
  const { ctx, tenant } = options;
  const { pr } = review;
  const notes: string[] = [];
  const t = textsFor(tenant.language);
  const tracker = createStatusTracker('Not run', options.onStatus);
  await tracker.move('Starting');
  await tracker.move('In progress');
  const worktrees: Worktree[] = [];
  let plan: Plan | undefined;
  let error: TenantSyncError | undefined;
  try {
    if (pr.labels.some((l) => l.name === 'tenant-sync:outdated')) {
      notes.push(t.closedByUs(pr.number));
    } else if (review.kind === 'reject') {
      await commentOnPullRequest(
        ctx,
        pr.number,
        t.rejectedComment(tenant.name, ctx.defaultBranch, labels.revert),
      );
      notes.push(t.rejected(pr.number));
    } else if (!(await canWrite(ctx, options.sender))) {
      // Closing and labelling are open to the triage role; changing the default branch is not
      await commentOnPullRequest(ctx, pr.number, t.revertNotAllowedComment(tenant.name, labels.revert, options.sender ?? '?', ctx.defaultBranch));
      notes.push(t.revertNotAllowed(pr.number, options.sender ?? '?'));
    } else {
      plan = await revertPlan(options, review, worktrees, notes);
    }
    // The closed pull request keeps its commits; the branch itself is not needed any more
    if (!pr.labels.some((l) => l.name === 'tenant-sync:outdated')) await options.git.deleteBranch(branches.approve(tenant.name), pr.head.sha);
  } catch (e) {
    if (!(e instanceof TenantSyncError)) throw e;
    error = e;
  } finally {
    for (const w of worktrees) await w.remove();
  }
  const final = error ? 'New error' : 'Idle';
  await tracker.move(final, error ? { error: { code: error.code, message: error.message, docs: error.docs } } : {});
  return { tenant, command: review.kind, final, history: [...tracker.history], error, plan, planMarkdown: plan && renderPlanMarkdown(plan, { language: tenant.language }), pullRequest: { number: pr.number, url: pr.html_url }, notes };
}

async function revertPlan(options: TenantRunOptions, review: Extract<Review, { kind: 'reject' | 'revert' }>, worktrees: Worktree[], notes: string[]): Promise<Plan> {
  const { ctx, git, tenant } = options;
  const { pr } = review;
  const t = textsFor(tenant.language);
  const approveTip = await git.fetchBranch(branches.approve(tenant.name));
  const head = approveTip === pr.head.sha ? approveTip : await git.fetchRef(`refs/pull/${pr.number}/head`);
  if (head !== pr.head.sha) throw refused(`the commit of #${pr.number} (${pr.head.sha.slice(0, 7)}) cannot be fetched, so its plan cannot be reverted. Nothing was changed.`, `Revert the files on ${ctx.defaultBranch} by hand, or sync again.`);
  const plan = await planAt(options, head, review.marker?.planHash);
  const stateTip = await git.fetchBranch(branches.state(tenant.name));
  const defaultTip = await git.fetchBranch(ctx.defaultBranch);
  if (!stateTip || !defaultTip) throw new TenantSyncError('GIT_FAILED', `${stateTip ? ctx.defaultBranch : branches.state(tenant.name)} was not found on the remote`, 'Sync the tenant once before reverting.');
  const stateFile = (path: string) => git.readFile(stateTip, path);
  const desired = await git.worktree(defaultTip, options.tempRoot);
  worktrees.push(desired);
  const objects = plannedObjects(plan);
  const paths = await writeTenantVersions(desired.dir, tenant.name, objects, stateFile);
  const names = [...[...plan.items, ...plan.held.flatMap((h) => h.items), ...plan.conflicts].map((i) => `- ${i.type}: ${i.name}`), ...plan.errors.map((e) => `- ${e.type}: ${e.name ?? e.files.join(', ')}`)];
  const message = `tenant-sync: revert ${tenant.name} to the tenant's state (#${pr.number})\n\n${names.join('\n')}\n`;
  const pushed = await commitAndPush(git, desired, {
    branch: ctx.defaultBranch,
    message,
    onRace: redoOnTip(git, defaultTip, paths, worktrees, options.tempRoot, async (dir) => void (await writeTenantVersions(dir, tenant.name, objects, stateFile))),
  });
  let where: string;
  if (pushed.result === 'pushed') where = t.reverted(ctx.defaultBranch, objects.length, pushed.commit!.slice(0, 7));
  else if (pushed.result === 'unchanged') where = t.revertUnchanged(ctx.defaultBranch);
  else if (pushed.result === 'protected') {
    const branch = branches.revert(tenant.name);
    await publishBranch(git, branch, pushed.commit!);
    const revertPr = await upsertPullRequest(ctx, {
      head: branch,
      base: ctx.defaultBranch,
      title: `tenant-sync: revert ${tenant.name} to the tenant's state (#${pr.number})`,
      body: `#${pr.number} was closed with \`${labels.revert}\`. ${ctx.defaultBranch} is protected, so the revert comes as this pull request: merge it to put these objects back to the tenant's state.\n\n${message.split('\n').slice(2).join('\n')}`,
      labels: [labels.tenant(tenant.name)],
    });
    where = t.revertProposed(ctx.defaultBranch, revertPr.number);
  } else {
    throw new TenantSyncError('GIT_FAILED', `${ctx.defaultBranch} changed the same files while the revert was pushed`, `Close #${pr.number} with ${labels.revert} again once ${ctx.defaultBranch} is quiet, or revert the files by hand.`);
  }
  notes.push(where);
  await commentOnPullRequest(ctx, pr.number, t.revertedComment(tenant.name, where));
  return plan;
}
