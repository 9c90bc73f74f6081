import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialSources } from '../auth/credentials.js';
import type { TenantConfig } from '../config/load.js';
import type { ConnectTenantOptions } from '../engine/connect.js';
import { readDesired } from '../engine/plan.js';
import { syncBackup, type AfterBackup } from '../engine/sync.js';
import { TenantSyncError } from '../errors/index.js';
import { approvalBody, approvalTitle, planPath, readApprovalMarker } from '../github/approvalPullRequest.js';
import { adoptionPaths, removeRepoFile, writeAdoption, writePlanItems, writeRepoFile } from '../github/branchFiles.js';
import { branches, labels, type RepoContext } from '../github/context.js';
import { commitAndPush, dropBranch, publishBranch, redoOnTip, type GitRepository, type Worktree } from '../github/git.js';
import { openStateBranch, readUnsettled, writeUnsettled } from '../github/stateBranch.js';
import { idMapFile, readIdMap, writeIdMap } from '../engine/idMap.js';
import { closePullRequest, findOpenPullRequest, lastClosedPullRequest, upsertPullRequest } from '../github/pullRequests.js';
import type { Logger } from '../log/index.js';
import { baseWithUnsettled, isEmptyPlan, nextUnsettled, planHash, reconcile, renderPlanMarkdown, treeFromTenantTree, type IdMap, type Plan, type Reconciliation, type Tree, type Unsettled } from '../reconcile/index.js';
import { resources } from '../resources/catalogue.js';
import { readTenantTree, renderJson, typeFolder } from '../snapshot/index.js';
import type { StatusListener } from '../status/index.js';
import type { TenantOutcome } from './outcome.js';
import { textsFor } from './texts.js';

export interface TenantRunOptions {
  ctx: RepoContext;
  git: GitRepository;
  tenant: TenantConfig;
  log: Logger;
  sources: CredentialSources;
  onStatus: StatusListener;
  tempRoot?: string;
  graph?: ConnectTenantOptions['graph'];
  /** Where an apply keeps its deploy record while it runs (so a cancelled run can still report it) */
  recordFile?: string;
  /** Aborted when the run is cancelled: an apply stops before its next object */
  signal?: AbortSignal;
}

const OUTDATED_LABEL = 'tenant-sync:outdated';

/**
 * A sync of one tenant on GitHub: back the tenant up onto its state branch (a commit only when
 * something changed), reconcile state, tenant and default branch, adopt drift onto the default
 * branch, and keep the one approval pull request in step with the plan.
 */
export async function syncTenant(options: TenantRunOptions): Promise<TenantOutcome> {
  const { ctx, git, tenant, log } = options;
  const work = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'tenant-sync-'));
  const stateDir = join(work, 'state', 'tree');
  const worktrees: Worktree[] = [];
  const notes: string[] = [];
  const t = textsFor(tenant.language);
  let state: Worktree | undefined;
  let baseTree: Tree = {};
  /** The id map recorded with the base tree */
  let baseIds: IdMap = {};
  /** Objects not settled at the last sync, with the version that stays their base */
  let previousUnsettled: Unsettled = {};
  /** The commit the base tree was read from */
  let baseCommit: string | undefined;
  let plan: Plan | undefined;
  let pullRequest: TenantOutcome['pullRequest'];

  const prepare = async () => {
    const opened = await openStateBranch(git, tenant.name, join(work, 'state'));
    state = opened.worktree;
    worktrees.push(state);
    baseCommit = opened.recorded;
    if (opened.recorded && opened.recorded !== opened.tip) notes.push(t.baseSkipsMerge(branches.state(tenant.name), opened.recorded.slice(0, 7)));
    if (!opened.tip) notes.push(t.firstSync(branches.state(tenant.name)));
    // The base: the tenant as last recorded, with the version both sides last agreed on for the
    // objects that were not settled then (see src/reconcile/unsettled.ts)
    previousUnsettled = await readUnsettled(stateDir, tenant.name);
    const base = baseWithUnsettled(
      treeFromTenantTree(await readTenantTree(stateDir, tenant.name, resources)),
      (await readIdMap(idMapFile(stateDir, tenant.name))) ?? {},
      previousUnsettled,
    );
    baseTree = base.tree;
    baseIds = base.ids;
  };

  const afterBackup = async ({ report, connection }: Parameters<NonNullable<Parameters<typeof syncBackup>[0]['afterBackup']>>[0]): Promise<AfterBackup> => {
    const stateTree = state!;
    const failed = report.types.filter((t) => t.status === 'failed').map((t) => t.type);

    const defaultSha = await git.fetchBranch(ctx.defaultBranch);
    if (!defaultSha) throw new TenantSyncError('GIT_FAILED', `the default branch ${ctx.defaultBranch} was not found on the remote`, 'Check the repository has a default branch with tenant-sync.yml on it.');
    const desiredTree = await git.worktree(defaultSha, options.tempRoot);
    worktrees.push(desiredTree);
    await overlayPendingAdoption(options, defaultSha, desiredTree, notes);
    const desired = await readDesired(desiredTree.dir, tenant);
    for (const e of desired.errors) log.warn(`${e.message} Fix: ${e.fix} (${e.code})`, { file: e.file, line: e.line, column: e.column });
    // A type whose desired files are invalid takes no part: its recorded state stays where it last
    // took part, so a change made in the tenant meanwhile is still seen as drift once the files are fixed.
    if (baseCommit && desired.invalid.length > 0) {
      await stateTree.restore(baseCommit, desired.invalid.flatMap((type) => resources.filter((d) => d.type === type).map((d) => typeFolder(tenant.name, d))));
      // ... and so does its part of the id map, which describes those files
      const recordedIds = JSON.parse((await git.readFile(baseCommit, `.tenant-sync/${tenant.name}/ids.json`)) ?? '{}') as IdMap;
      const ids = { ...report.idMap };
      for (const type of desired.invalid) {
        if (recordedIds[type]) ids[type] = recordedIds[type];
        else delete ids[type];
      }
      await writeIdMap(idMapFile(stateDir, tenant.name), ids);
    }

    const tenantTree = treeFromTenantTree(await readTenantTree(stateDir, tenant.name, resources));
    const reconciliation = reconcile({
      tenantName: tenant.name,
      tenantId: tenant.tenantId,
      defs: tenant.types,
      base: baseTree,
      tenant: tenantTree,
      desired: desired.tree,
      unreadTypes: [...failed, ...desired.invalid],
      idMap: report.idMap,
      baseIdMap: baseIds,
      drift: tenant.drift,
      deleteGuard: tenant.deleteGuard,
    });
    plan = reconciliation.plan;
    for (const h of reconciliation.heldAdoptions) {
      const args = [resources.find((d) => d.type === h.type)?.title ?? h.type, h.name, h.tenantName, ctx.defaultBranch, h.referrers.join(', '), h.reason] as const;
      notes.push(t.adoptionHeld(...args));
      log.warn(`${tenant.name}: ${textsFor('en').adoptionHeld(...args)}`);
    }
    const adopted = await adopt(options, reconciliation, desiredTree, worktrees, notes);

    // The state branch records the tenant as read. An object whose tenant change the default branch
    // has not taken (a conflict, an adoption that lost a race or was held, a plan error, drift only
    // reported) keeps the version both sides last agreed on as the base of the next comparison, so
    // the next sync still sees that change instead of proposing to overwrite it.
    await writeUnsettled(stateDir, tenant.name, nextUnsettled(previousUnsettled, reconciliation.unsettled, { adopted, comparedTypes: reconciliation.plan.types.map((x) => x.type) }));

    const stateBranch = branches.state(tenant.name);
    const pushed = await commitAndPush(git, stateTree, { branch: stateBranch, message: backupMessage(tenant.name, report) });
    if (pushed.result === 'protected') {
      throw new TenantSyncError('GIT_FAILED', `${stateBranch} is protected and tenant-sync cannot push its backup`, `Remove the protection (or the ruleset) from tenant-sync/state/* branches: they are tenant-sync's record of the tenant.`);
    }
    if (pushed.result === 'gave-up') throw new TenantSyncError('GIT_FAILED', `${stateBranch} kept moving while the backup was pushed`, 'Make sure only one run per tenant runs at a time (a concurrency group per tenant), then sync again.');
    const stateTip = pushed.commit ?? stateTree.base;
    notes.push(pushed.result === 'pushed' ? t.backupCommitted(stateBranch, pushed.commit!.slice(0, 7)) : t.nothingChanged());

    if (connection.consent.pending) {
      // Apply would refuse anyway; a reviewer should not be asked to approve what cannot be written
      if (!isEmptyPlan(plan)) notes.push(t.consentBlocksApproval());
      return {};
    }
    if (isEmptyPlan(plan)) {
      await closeApproval(options, notes);
      return {};
    }
    pullRequest = await proposeApproval(options, plan, stateTip, notes);
    return pullRequest ? { pendingApproval: true, details: { url: pullRequest.url, message: t.awaitingApproval(tenant.name, pullRequest.number) } } : {};
  };

  try {
    const run = await syncBackup({
      tenant,
      root: stateDir,
      log,
      sources: options.sources,
      onStatus: options.onStatus,
      graph: options.graph,
      prepare,
      afterBackup,
    });
    return {
      tenant,
      command: 'sync',
      final: run.final,
      history: run.details,
      report: run.report,
      error: run.error,
      plan,
      planMarkdown: plan && renderPlanMarkdown(plan, { language: tenant.language }),
      pullRequest,
      consent: run.connection?.consent.pending ? run.connection.consent : undefined,
      notes,
    };
  } finally {
    for (const w of worktrees) await w.remove();
    await rm(work, { recursive: true, force: true });
  }
}

function backupMessage(tenant: string, report: { types: { type: string; written: string[]; deleted: string[]; status: string }[] }): string {
  const changed = report.types.filter((t) => t.written.length + t.deleted.length > 0);
  const lines = changed.map((t) => `- ${t.type}: ${t.written.length} written, ${t.deleted.length} removed`);
  const failed = report.types.filter((t) => t.status === 'failed').map((t) => `- ${t.type}: not read (kept as it was)`);
  return [`tenant-sync: backup of ${tenant}`, '', ...lines, ...failed, ''].join('\n');
}

/**
 * Drift policy adopt: the tenant's changes go onto the default branch. When someone pushed to it
 * meanwhile, the adoption is redone on their commit only if they did not touch the same files;
 * when the branch is protected, it goes through a pull request instead.
 */
async function adopt(options: TenantRunOptions, reconciliation: Reconciliation, desiredTree: Worktree, worktrees: Worktree[], notes: string[]): Promise<boolean> {
  const { ctx, git, tenant, log } = options;
  const ops = reconciliation.adoption;
  if (ops.length === 0) return true;
  await writeAdoption(desiredTree.dir, tenant.name, ops);
  const paths = adoptionPaths(tenant.name, ops);
  const message = [
    `tenant-sync: adopt changes made in ${tenant.name}`,
    '',
    ...ops.map((op) => `- ${op.type}: ${op.name} (${op.object === null ? 'deleted' : 'changed'} in the tenant)`),
    '',
  ].join('\n');
  const pushed = await commitAndPush(git, desiredTree, {
    branch: ctx.defaultBranch,
    message,
    onRace: redoOnTip(git, desiredTree.base!, paths, worktrees, options.tempRoot, (dir) => writeAdoption(dir, tenant.name, ops)),
  });
  if (pushed.result === 'pushed') {
    notes.push(textsFor(tenant.language).adopted(ops.length, ctx.defaultBranch, pushed.commit!.slice(0, 7)));
    await dropBranch(git, branches.adopt(tenant.name));
    return true;
  }
  if (pushed.result === 'gave-up') {
    notes.push(textsFor(tenant.language).adoptionGaveUp(ctx.defaultBranch));
    log.warn(`${tenant.name}: ${textsFor('en').adoptionGaveUp(ctx.defaultBranch)}`);
    return false;
  }
  if (pushed.result === 'unchanged') return true;
  if (pushed.result === 'protected') {
    const branch = branches.adopt(tenant.name);
    await publishBranch(git, branch, pushed.commit!);
    const pr = await upsertPullRequest(ctx, {
      head: branch,
      base: ctx.defaultBranch,
      title: `tenant-sync: adopt changes made in ${tenant.name}`,
      body: `${ctx.defaultBranch} is protected, so the changes made in the tenant come as a pull request. Merge it to keep the repository in step with the tenant.\n\n${message.split('\n').slice(2).join('\n')}`,
      labels: [labels.tenant(tenant.name)],
    });
    notes.push(textsFor(tenant.language).adoptionProposed(ops.length, ctx.defaultBranch, pr.number));
  }
  return true;
}

/**
 * Where the default branch is protected, adopted changes wait in a pull request. Until it is
 * merged they count as part of the desired configuration: otherwise the next sync would see the
 * tenant's objects missing from the default branch and propose to delete them.
 */
async function overlayPendingAdoption(options: TenantRunOptions, defaultSha: string, desiredTree: Worktree, notes: string[]): Promise<void> {
  const { ctx, git, tenant } = options;
  const branch = branches.adopt(tenant.name);
  const open = await findOpenPullRequest(ctx, branch, ctx.defaultBranch);
  if (!open) return;
  const tip = await git.fetchBranch(branch);
  if (!tip) return;
  const base = await git.out(['merge-base', defaultSha, tip]);
  const changes = (await git.out(['diff', '--name-status', '--no-renames', '-z', base, tip, '--', `tenants/${tenant.name}/`])).split('\0').filter(Boolean);
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const [status, path] = [changes[i]!, changes[i + 1]!];
    if (status === 'D') await removeRepoFile(desiredTree.dir, path);
    else await writeRepoFile(desiredTree.dir, path, (await git.readFile(tip, path)) ?? '');
  }
  notes.push(textsFor(tenant.language).adoptionPending(open.number, ctx.defaultBranch));
}

/** Nothing pending any more: the open approval pull request is closed, saying why */
async function closeApproval(options: TenantRunOptions, notes: string[]): Promise<void> {
  const { ctx, tenant } = options;
  const open = await findOpenPullRequest(ctx, branches.approve(tenant.name), branches.state(tenant.name));
  if (!open) return;
  await closePullRequest(
    ctx,
    open.number,
    textsFor(tenant.language).approvalClosedComment(tenant.name, ctx.defaultBranch),
    OUTDATED_LABEL,
  );
  await options.git.deleteBranch(branches.approve(tenant.name), open.headSha);
  notes.push(textsFor(tenant.language).approvalClosed(open.number));
}

/**
 * The approval branch is the new state plus the plan's changes and plan.json; it is rebuilt on
 * every sync and pushed only when its content or base moved (with a lease, so a concurrent update
 * is never overwritten). A plan a reviewer rejected is not proposed again until it changes.
 */
async function proposeApproval(options: TenantRunOptions, plan: Plan, stateTip: string | undefined, notes: string[]): Promise<{ number: number; url: string } | undefined> {
  const { ctx, git, tenant } = options;
  const head = branches.approve(tenant.name);
  const base = branches.state(tenant.name);
  const hash = planHash(plan);
  const open = await findOpenPullRequest(ctx, head, base);
  if (!open) {
    const last = await lastClosedPullRequest(ctx, head, base);
    if (last && !last.merged && readApprovalMarker(last.body)?.planHash === hash) {
      notes.push(textsFor(tenant.language).planRejectedBefore(last.number, ctx.defaultBranch));
      return undefined;
    }
  }
  const worktree = await git.worktree(stateTip, options.tempRoot);
  try {
    await writePlanItems(worktree.dir, tenant.name, plan.items);
    await writeRepoFile(worktree.dir, planPath(tenant.name), renderJson(plan));
    const tree = await worktree.tree();
    const remote = await git.fetchBranch(head);
    let sha = remote;
    const upToDate = remote && (await git.treeOf(remote)) === tree && (await git.out(['rev-parse', `${remote}^`]).catch(() => '')) === stateTip;
    if (!upToDate) {
      sha = (await worktree.commit(`tenant-sync: plan for ${tenant.name}\n\n${planSummary(plan)}\n`, stateTip))!;
      const result = await git.push(sha, head, { force: true, expected: remote });
      if (result !== 'pushed') throw new TenantSyncError('GIT_FAILED', `could not update ${head} (${result})`, 'Make sure only one run per tenant runs at a time, and that tenant-sync/* branches are not protected.');
    }
    const body = approvalBody(renderPlanMarkdown(plan, { language: tenant.language }), { tenant: tenant.name, planHash: hash, head: sha! }, tenant.language);
    let pr: Awaited<ReturnType<typeof upsertPullRequest>>;
    try {
      pr = await upsertPullRequest(ctx, { head, base, title: approvalTitle(tenant.name, plan, tenant.language), body, labels: [labels.tenant(tenant.name), labels.status('Pending approval')] });
    } catch (e) {
      // The approval pull request was merged while this sync ran: its apply takes it from here
      if (e instanceof TenantSyncError && /No commits between/i.test(e.message)) {
        notes.push(textsFor(tenant.language).approvedMeanwhile());
        return undefined;
      }
      throw e;
    }
    const t = textsFor(tenant.language);
    notes.push(pr.created ? t.approvalOpened(pr.number) : upToDate ? t.approvalUnchanged(pr.number) : t.approvalUpdated(pr.number));
    return { number: pr.number, url: pr.url };
  } finally {
    await worktree.remove();
  }
}

function planSummary(plan: Plan): string {
  const c = plan.counts;
  return `${c.creates} create, ${c.updates} update, ${c.deletes} delete, ${c.conflicts} conflict(s), ${c.errors} error(s), ${c.held} held`;
}
