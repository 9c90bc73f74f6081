import { z } from 'zod';
import type { LoadedConfig } from '../config/load.js';
import { TenantSyncError } from '../errors/index.js';
import { readApprovalMarker } from '../github/approvalPullRequest.js';
import { actionsFor, checkRunActionIds, checkRunName, tenantCheckRun, type CheckRunActionId } from '../github/checkRun.js';
import { branches, labels, type RepoContext } from '../github/context.js';
import { canWrite, findOpenPullRequest, githubError } from '../github/pullRequests.js';
import type { Logger } from '../log/index.js';
import { statusName } from '../status/index.js';
import { textsFor } from './texts.js';

/** The fields of a check_run requested_action event that decide what to do */
export const requestedActionSchema = z.object({
  requested_action: z.object({ identifier: z.enum(checkRunActionIds) }),
  check_run: z.object({ id: z.number().int(), name: z.string(), external_id: z.string().nullable().optional(), head_sha: z.string(), details_url: z.string().nullable().optional() }),
  sender: z.object({ login: z.string() }),
});
export type RequestedAction = z.infer<typeof requestedActionSchema>;

export type ButtonOutcome =
  | { kind: 'pull-request-closed'; tenant: string; action: Exclude<CheckRunActionId, 'cancel'>; pullRequest: unknown }
  | { kind: 'done'; message: string };

function refused(message: string, fix: string): TenantSyncError {
  return new TenantSyncError('APPROVAL_REFUSED', message, fix);
}

/**
 * A button pressed on a tenant's check run. Approve merges the approval pull request through the
 * API (so branch protection and required reviews still decide), Reject closes it, Reject and
 * Revert labels and closes it, Cancel sync cancels the workflow run the check run belongs to. The
 * person must have write access. For the first three, the caller goes on exactly as for a pull
 * request closed by hand, with the pull request as GitHub now returns it.
 */
export async function pressButton(ctx: RepoContext, config: LoadedConfig, payload: unknown, log: Logger): Promise<ButtonOutcome> {
  const parsed = requestedActionSchema.safeParse(payload);
  if (!parsed.success) throw new TenantSyncError('USAGE', 'the check_run event is not a requested action tenant-sync knows', 'Only the buttons tenant-sync puts on its check runs are handled.');
  const { requested_action: { identifier }, check_run: run, sender } = parsed.data;
  const tenant = config.tenants.find((t) => t.name === run.external_id && checkRunName(t.name) === run.name);
  if (!tenant) throw refused(`the check run "${run.name}" is not a tenant-sync check run of a tenant in tenant-sync.yml`, 'Use the buttons on the check runs named "tenant-sync / <tenant>".');
  if (!(await canWrite(ctx, sender.login))) {
    throw refused(`${sender.login} pressed "${identifier}" on ${run.name} but has no write access to ${ctx.owner}/${ctx.repo}; nothing was done`, 'Ask someone with write access to the repository.');
  }
  log.info(`${tenant.name}: ${sender.login} pressed "${identifier}" on the check run.`);

  if (identifier === 'cancel') {
    const runId = run.details_url?.match(/\/actions\/runs\/(\d+)/)?.[1];
    if (!runId) throw new TenantSyncError('USAGE', `the check run of ${tenant.name} does not link to a workflow run to cancel`, 'Cancel the run from the Actions tab.');
    try {
      await ctx.octokit.rest.actions.cancelWorkflowRun({ owner: ctx.owner, repo: ctx.repo, run_id: Number(runId) });
      return { kind: 'done', message: `${tenant.name}: the sync (run ${runId}) was asked to stop; it ends as New error (SYNC_CANCELLED) and records what it had done.` };
    } catch (e) {
      if ((e as { status?: number }).status === 409) return { kind: 'done', message: `${tenant.name}: run ${runId} had already finished; nothing to cancel.` };
      throw githubError(`cancelling run ${runId}`, e);
    }
  }

  const open = await findOpenPullRequest(ctx, branches.approve(tenant.name), branches.state(tenant.name));
  if (!open) throw refused(`nothing awaits approval for ${tenant.name}: there is no open approval pull request`, 'Sync again to see the current plan.');
  const number = open.number;
  try {
    if (identifier === 'approve') {
      const marker = readApprovalMarker(open.body);
      try {
        await ctx.octokit.rest.pulls.merge({ owner: ctx.owner, repo: ctx.repo, pull_number: number, ...(marker ? { sha: marker.head } : {}) });
      } catch (e) {
        const why = (e as Error).message;
        // Protection said no: show it where the button was pressed; nothing is applied
        const texts = textsFor(tenant.language);
        const check = tenantCheckRun({ ...ctx, sha: run.head_sha }, tenant.name, log);
        await check.update('Pending approval', {
          title: statusName('Pending approval', tenant.language),
          summary: `### ${texts.heading(tenant.name, statusName('Pending approval', tenant.language))}\n\n${texts.mergeRefused(sender.login, number, why)}\n`,
          detailsUrl: open.url,
          actions: actionsFor('Pending approval', tenant.language),
        });
        throw refused(`GitHub refused to merge #${number}: ${why}. Nothing was applied to ${tenant.name}.`, 'Meet the branch protection rules of the state branch (for example an approving review), then approve again.');
      }
    } else {
      if (identifier === 'revert') await ctx.octokit.rest.issues.addLabels({ owner: ctx.owner, repo: ctx.repo, issue_number: number, labels: [labels.revert] });
      await ctx.octokit.rest.pulls.update({ owner: ctx.owner, repo: ctx.repo, pull_number: number, state: 'closed' });
    }
    const { data } = await ctx.octokit.rest.pulls.get({ owner: ctx.owner, repo: ctx.repo, pull_number: number });
    return { kind: 'pull-request-closed', tenant: tenant.name, action: identifier, pullRequest: data };
  } catch (e) {
    if (e instanceof TenantSyncError) throw e;
    throw githubError(`acting on #${number}`, e);
  }
}
