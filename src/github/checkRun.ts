import type { Logger } from '../log/index.js';
import { checkRunFor, type CheckRunConclusion, type SyncStatus } from '../status/index.js';
import { runUrl, type RepoContext } from './context.js';

export interface CheckRunContent {
  title: string;
  /** Markdown; cut to GitHub's 65,535 characters */
  summary: string;
  /** Markdown; cut to GitHub's 65,535 characters */
  text?: string;
  /** The approval pull request for Pending approval; the run's page otherwise */
  detailsUrl?: string;
  /** Buttons on the check run (at most 3); none clears them */
  actions?: CheckRunAction[];
  /** What did not succeed, on the files concerned (GitHub takes at most 50 per request) */
  annotations?: CheckRunAnnotation[];
}

export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title?: string;
  message: string;
}

/** GitHub's limits: label ≤ 20, description ≤ 40, identifier ≤ 20 characters */
export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export interface TenantCheckRun {
  /** Moves the check run to the status (checkRunFor), with the content. Never throws. */
  update(status: SyncStatus, content: CheckRunContent): Promise<void>;
  readonly id: number | undefined;
  readonly url: string | undefined;
}

export function checkRunName(tenant: string): string {
  return `tenant-sync / ${tenant}`;
}

/** GitHub's limit for output.summary and output.text */
export const CHECK_RUN_TEXT_LIMIT = 65_535;
const TITLE_LIMIT = 255;
const CUT_NOTE = "… (cut; the full report is in the run's artifacts)";

/** What is known of the run this object moves */
interface KnownRun {
  id: number;
  url: string | undefined;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  actions: string;
}

/** Statuses that only say "a sync is under way": not worth a new check run on a commit that has a finished one */
const transient: readonly SyncStatus[] = ['Starting', 'In progress'];

/**
 * The check run of one tenant on the commit the run is about (ctx.sha), named `tenant-sync / <tenant>`.
 *
 * A rerun on the same commit reuses the tenant's latest run there, within what GitHub allows: a
 * completed check run can never change its status or conclusion again. So:
 * - a run still queued or in progress (left by a job that died, or by another object) is updated;
 * - a completed run with the same conclusion keeps its place: only its output and details URL are
 *   updated, and not at all when they are unchanged (a rerun with nothing new makes no request);
 * - Starting and In progress do not replace a completed run (the commit keeps showing the last
 *   result until the sync has something new to say); any other status creates a new run, which
 *   GitHub then shows as the latest for that name.
 *
 * A check run is only a view: any failure is warned about once, later updates do nothing, and
 * nothing is thrown.
 */
export function tenantCheckRun(ctx: RepoContext, tenant: string, log: Logger): TenantCheckRun {
  const name = checkRunName(tenant);
  let known: KnownRun | undefined;
  let sentActions: CheckRunAction[] = [];
  let looked = false;
  let disabled = false;
  /** Whether this object has created or taken over a run yet (its start time is then set) */
  let touched = false;
  // Updates go out one at a time, so that two quick updates cannot both create a run.
  let queue: Promise<void> = Promise.resolve();

  const remember = (data: {
    id: number;
    html_url: string | null;
    status: string;
    conclusion: string | null;
    details_url?: string | null;
    output: { title: string | null; summary: string | null; text: string | null };
  }): void => {
    known = {
      id: data.id,
      url: data.html_url ?? undefined,
      status: data.status,
      conclusion: data.conclusion,
      title: data.output.title,
      summary: data.output.summary,
      text: data.output.text,
      detailsUrl: data.details_url ?? null,
      actions: JSON.stringify(sentActions),
    };
  };

  const findExisting = async (): Promise<void> => {
    const { data } = await ctx.octokit.rest.checks.listForRef({
      owner: ctx.owner,
      repo: ctx.repo,
      ref: ctx.sha,
      check_name: name,
      filter: 'latest',
      per_page: 100,
    });
    const latest = [...data.check_runs].filter((r) => r.name === name).sort((a, b) => b.id - a.id)[0];
    if (latest) remember(latest);
  };

  const apply = async (status: SyncStatus, content: CheckRunContent): Promise<void> => {
    const state = checkRunFor(status);
    if (!state || disabled) return;
    if (!looked) {
      await findExisting();
      looked = true;
    }
    const now = new Date().toISOString();
    const output = {
      title: cutTitle(content.title),
      summary: cutForCheckRun(content.summary),
      ...(content.text !== undefined ? { text: cutForCheckRun(content.text) } : {}),
    };
    const detailsUrl = content.detailsUrl ?? runUrl(ctx);
    sentActions = (content.actions ?? []).slice(0, 3);
    const annotations = (content.annotations ?? []).slice(0, 50).map((a) => ({ ...a, message: a.message.slice(0, 64 * 1024), ...(a.title ? { title: a.title.slice(0, 255) } : {}) }));
    const common = { output: annotations.length > 0 ? { ...output, annotations } : output, external_id: tenant, actions: sentActions, ...(detailsUrl ? { details_url: detailsUrl } : {}) };
    const conclusion: CheckRunConclusion | undefined = state.status === 'completed' ? state.conclusion : undefined;
    const progress = conclusion ? { conclusion, completed_at: now } : { status: state.status };

    if (known && known.status !== 'completed') {
      const start = touched ? {} : { started_at: now };
      const { data } = await ctx.octokit.rest.checks.update({ owner: ctx.owner, repo: ctx.repo, check_run_id: known.id, ...start, ...common, ...progress });
      touched = true;
      remember(data);
      return;
    }
    if (known && known.status === 'completed') {
      if (transient.includes(status)) return;
      if (conclusion && conclusion === known.conclusion) {
        const same =
          known.title === output.title &&
          known.summary === output.summary &&
          (output.text === undefined || known.text === output.text) &&
          (detailsUrl === undefined || known.detailsUrl === detailsUrl) &&
          known.actions === JSON.stringify(sentActions);
        if (same) return;
        const { data } = await ctx.octokit.rest.checks.update({ owner: ctx.owner, repo: ctx.repo, check_run_id: known.id, ...common });
        remember(data);
        return;
      }
    }
    const { data } = await ctx.octokit.rest.checks.create({ owner: ctx.owner, repo: ctx.repo, name, head_sha: ctx.sha, started_at: now, ...common, ...progress });
    touched = true;
    remember(data);
  };

  const fail = (error: unknown): void => {
    disabled = true;
    const status = (error as { status?: unknown }).status;
    const said = error instanceof Error ? error.message : String(error);
    const answer = typeof status === 'number' ? `GitHub answered ${status}: ${said}` : said;
    log.warn(
      `The check run "${name}" could not be updated (${answer}). ` +
        'Give the workflow `permissions: checks: write` to see each tenant\'s status as a check run on its commit. ' +
        'The sync goes on without it; the job summary and the dashboard still show the status.',
    );
  };

  return {
    update(status, content) {
      const next = queue.then(() => apply(status, content)).catch(fail);
      queue = next;
      return next;
    },
    get id() {
      return known?.id;
    },
    get url() {
      return known?.url;
    },
  };
}

function cutTitle(title: string): string {
  const oneLine = title.replace(/\s*\n\s*/g, ' ').trim();
  return oneLine.length <= TITLE_LIMIT ? oneLine : `${safeSlice(oneLine, TITLE_LIMIT - 1)}…`;
}

/**
 * Text that fits a check run's output: unchanged when short enough, otherwise cut at the last line
 * that fits, a code fence left open by the cut closed, and a note saying where the rest is.
 */
export function cutForCheckRun(text: string, limit: number = CHECK_RUN_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const fenceClose = '\n```';
  const room = limit - CUT_NOTE.length - 1 - fenceClose.length;
  let kept = safeSlice(text, room);
  const lineEnd = kept.lastIndexOf('\n');
  if (lineEnd > 0) kept = kept.slice(0, lineEnd);
  const fences = kept.split('\n').filter((l) => /^\s*(```|~~~)/.test(l)).length;
  if (fences % 2 === 1) kept += fenceClose;
  return `${kept}\n${CUT_NOTE}`;
}

/** The first `length` UTF-16 units, not splitting a surrogate pair */
function safeSlice(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** What the buttons of a check run ask for; the identifier comes back in check_run requested_action */
export const checkRunActionIds = ['approve', 'reject', 'revert', 'cancel'] as const;
export type CheckRunActionId = (typeof checkRunActionIds)[number];

const actionTexts: Record<'en' | 'fr', Record<CheckRunActionId, [label: string, description: string]>> = {
  en: {
    approve: ['Approve', 'Merge the approval pull request'],
    reject: ['Reject', 'Close it; nothing is written'],
    revert: ['Reject and Revert', 'Close it, reset the repo to the tenant'],
    cancel: ['Cancel sync', 'Cancel the running workflow run'],
  },
  fr: {
    approve: ['Approuver', 'Fusionner la demande de tirage'],
    reject: ['Rejeter', 'La fermer ; rien n’est écrit'],
    revert: ['Rejeter et rétablir', 'La fermer et rétablir le dépôt'],
    cancel: ['Annuler la synchro', 'Annuler l’exécution en cours'],
  },
};

/** The buttons a status offers: approve / reject / revert while approval is pending, cancel while a sync runs */
export function actionsFor(status: SyncStatus, language: 'en' | 'fr' = 'en'): CheckRunAction[] {
  const ids: CheckRunActionId[] = status === 'Pending approval' ? ['approve', 'reject', 'revert'] : status === 'Starting' || status === 'In progress' ? ['cancel'] : [];
  return ids.map((identifier) => ({ identifier, label: actionTexts[language][identifier][0], description: actionTexts[language][identifier][1] }));
}
