/**
 * The dashboard issue: one issue per repository ("tenant-sync dashboard", label
 * `tenant-sync:dashboard`) with one row per tenant of tenant-sync.yml: its status, since when, the
 * last successful sync, the open approval pull request and what to do now (the links and buttons
 * that fit the status). Below the table, one section per tenant in error or partially successful:
 * the error in full in a fenced block (GitHub's copy button on it is the "Copy error"), its code and
 * troubleshooting page, what failed, the sync summary, and the links to the job and its artifacts.
 *
 * Why one issue body, rewritten by read-modify-write, rather than one comment per tenant:
 * - one place to look: every tenant in one table, in the configuration's order, that a person can
 *   bookmark, and that GitHub's issue list shows with its label;
 * - no comment spam: a comment per status change (or per tenant, edited) notifies every watcher and
 *   buries the current state under history; an edited body notifies no one and always says "now";
 * - GitHub has no conditional write (no ETag/If-Match on issue updates), so matrix jobs that write
 *   at once can lose each other's update whatever the layout. Each writer therefore merges its own
 *   entry into what it just read, writes, reads back, and writes again when its entry was lost
 *   (see updateDashboard). The whole state is in the body, as JSON in a hidden HTML comment, so
 *   the next writer re-renders every row from it without any other storage.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { translatedError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { finalStatuses, statusName, syncStatusSchema, type Language, type SyncStatus } from '../status/index.js';
import { actionsFor } from './checkRun.js';
import { labels, runUrl, type RepoContext } from './context.js';

export const dashboardFailureSchema = z.object({
  /** What failed, e.g. `deviceManagement/configurationPolicies` (a type that could not be read) or `Contoso baseline (conditionalAccess/policies)` (a deploy item) */
  what: z.string(),
  /** The stable error code, when there is one */
  code: z.string().optional(),
  /** What happened, e.g. the product's "User authentication failed - …" sentence */
  message: z.string(),
  /** The troubleshooting page of the code */
  docs: z.string().optional(),
});
export type DashboardFailure = z.infer<typeof dashboardFailureSchema>;

export const dashboardEntrySchema = z.object({
  tenant: z.string(),
  status: syncStatusSchema,
  /** ISO time the entry was written */
  updatedAt: z.string(),
  /**
   * ISO time the tenant entered this status. Optional for the caller (default: updatedAt); the
   * dashboard keeps the stored one while the status stays the same, and across a sync that ends
   * in the status it started from (see mergeEntry).
   */
  since: z.string().optional(),
  /** ISO time the last sync ended; kept from the previous entry when a new one leaves it out */
  lastSyncAt: z.string().optional(),
  /** ISO time of the last sync that ended Idle; default updatedAt for an Idle entry, kept from the previous entry otherwise */
  lastSuccessAt: z.string().optional(),
  /** The workflow run (default: this run) */
  runUrl: z.string().optional(),
  /** The tenant's check run (its html_url): the Cancel sync / Approve / Reject buttons are there */
  checkRunUrl: z.string().optional(),
  /** The run's artifact of this tenant (report, plan, deploy record, log) */
  artifactUrl: z.string().optional(),
  /** The open approval pull request; kept from the previous entry while a sync runs */
  pullRequest: z.object({ number: z.number().int(), url: z.string() }).optional(),
  error: z.object({ code: z.string(), message: z.string(), docs: z.string(), fix: z.string().optional() }).optional(),
  message: z.string().optional(),
  deviceCode: z.object({ verificationUri: z.string(), userCode: z.string(), waitUntil: z.string() }).optional(),
  consentUrl: z.string().optional(),
  /** Permissions an administrator must consent to (Pending admin consent) */
  missingPermissions: z.array(z.string()).optional(),
  /** What failed (Partially successful, or with an error): types not read, deploy items not applied, … */
  failures: z.array(dashboardFailureSchema).optional(),
  /** The sync summary as short Markdown, shown as is (cut when long) in a collapsed block under the table */
  report: z.string().optional(),
  /** Set by the dashboard, not the caller: the final status before this sync and since when, carried through Starting, In progress and Pending authentication */
  settled: z.object({ status: syncStatusSchema, since: z.string() }).optional(),
  /** Set by the dashboard, not the caller: how many failures and missing permissions were left out to stay within GitHub's limit */
  leftOut: z.object({ failures: z.number().int().nonnegative().optional(), missingPermissions: z.number().int().nonnegative().optional() }).optional(),
});
export type DashboardEntry = z.infer<typeof dashboardEntrySchema>;

export const DASHBOARD_TITLE = 'tenant-sync dashboard';
/** GitHub's limit for an issue body */
export const DASHBOARD_BODY_LIMIT = 65_536;
const STATE_MARKER = 'tenant-sync:dashboard-state';
const STATE_OPENER = new RegExp(`<!--\\s*${STATE_MARKER}\\s`, 'g');

const texts = {
  en: {
    intro:
      'Every tenant of `tenant-sync.yml` and the status of its last sync. tenant-sync keeps this issue up to date: edits to it are overwritten.',
    headers: ['Tenant', 'Status', 'Since', 'Last successful sync', 'Approval pull request', 'Actions'],
    viewJob: 'View job',
    watchRun: 'Watch the run',
    downloads: 'Download logs and artifacts',
    checkRun: 'check run',
    troubleshooting: 'Troubleshooting',
    cancel: (button: string, checkRun: string | undefined, run: string | undefined) =>
      checkRun
        ? `To cancel: **${button}** on the ${checkRun}${run ? ", or **Cancel workflow** on the run's page" : ''}`
        : `To cancel: **Cancel workflow** on the run's page`,
    deviceCode: (uri: string, code: string, until: string) => `Open ${uri} and enter the code ${code} (valid until ${until})`,
    approval: (pull: string, buttons: string[], checkRun: string | undefined) =>
      `Review ${pull}: merge it to approve, close it to reject, or close it with the label \`tenant-sync:revert\` to reject and revert` +
      (checkRun ? `; or use ${orList(buttons, 'or')} on the ${checkRun}` : '') +
      '.',
    review: (pull: string) => `Review ${pull}`,
    consent: 'Grant admin consent',
    missing: (list: string, more: number) => (list ? `Missing permissions: ${list}${more ? ` and ${more} more` : ''}` : `${more} missing permissions`),
    errorBelow: (code: string) => `${code}: details below`,
    detailsBelow: 'Details below',
    failedBelow: 'What failed: see below',
    details: 'Details',
    /** ':' after a word (French puts a non-breaking space before it) */
    colon: ':',
    code: 'Code',
    fix: 'What to do',
    technical: 'Technical detail',
    technicalBlock: 'Technical detail',
    whatFailed: 'What failed',
    moreFailures: (n: number) => `… and ${n} more: see the job's log and artifacts.`,
    summary: 'Sync summary',
    more: (n: number) => `… and ${n} more tenants, which do not fit in this issue (GitHub allows 65,536 characters).`,
  },
  fr: {
    intro:
      'Chaque locataire de `tenant-sync.yml` et le statut de sa dernière synchronisation. tenant-sync tient ce problème à jour : toute modification que vous y apportez est écrasée.',
    headers: ['Locataire', 'Statut', 'Depuis', 'Dernière synchronisation réussie', 'Demande de tirage d’approbation', 'Actions'],
    viewJob: 'Afficher le travail',
    watchRun: 'Suivre l’exécution',
    downloads: 'Télécharger les journaux et les artefacts',
    checkRun: 'exécution de vérification',
    troubleshooting: 'Dépannage',
    cancel: (button: string, checkRun: string | undefined, run: string | undefined) =>
      checkRun
        ? `Pour l’annuler : **${button}** sur l’${checkRun}${run ? ', ou **Cancel workflow** sur la page de l’exécution' : ''}`
        : 'Pour l’annuler : **Cancel workflow** sur la page de l’exécution',
    deviceCode: (uri: string, code: string, until: string) => `Ouvrez ${uri} et entrez le code ${code} (valable jusqu’au ${until})`,
    approval: (pull: string, buttons: string[], checkRun: string | undefined) =>
      `Examinez la demande de tirage ${pull} : fusionnez-la pour approuver, fermez-la pour rejeter, ou fermez-la avec l’étiquette \`tenant-sync:revert\` pour rejeter et rétablir` +
      (checkRun ? ` ; ou utilisez ${orList(buttons, 'ou')} sur l’${checkRun}` : '') +
      '.',
    review: (pull: string) => `Examiner ${pull}`,
    consent: 'Accorder le consentement administrateur',
    missing: (list: string, more: number) => (list ? `Autorisations manquantes : ${list}${more ? ` et ${more} autre(s)` : ''}` : `${more} autorisation(s) manquante(s)`),
    errorBelow: (code: string) => `${code} : détails ci-dessous`,
    detailsBelow: 'Détails ci-dessous',
    failedBelow: 'Ce qui a échoué : voir ci-dessous',
    details: 'Détails',
    colon: ' :',
    code: 'Code',
    fix: 'Que faire',
    technical: 'Détail technique',
    technicalBlock: 'Détail technique (texte d’origine, en anglais)',
    whatFailed: 'Ce qui a échoué',
    moreFailures: (n: number) => `… et ${n} autre(s) : consultez le journal et les artefacts du travail.`,
    summary: 'Résumé de la synchronisation',
    more: (n: number) => `… et ${n} autres locataires, qui ne tiennent pas dans ce problème (GitHub autorise au plus 65 536 caractères).`,
  },
} satisfies Record<Language, unknown>;

function orList(items: string[], or: string): string {
  const bold = items.map((i) => `**${i}**`);
  return bold.length <= 1 ? (bold[0] ?? '') : `${bold.slice(0, -1).join(', ')} ${or} ${bold.at(-1)}`;
}

// ------------------------------------------------------------------------------------------------
// The body (pure)

/**
 * How much of the free text a body keeps. The first level that fits wins; each keeps less than the
 * one before: reports are shortened, then dropped; then messages and the lists of failures and
 * permissions are shortened; then the row texts become links only; then the sections below the
 * table go. Past the last level, rows are left out (see renderDashboard).
 */
interface Level {
  report: number;
  error: number;
  message: number;
  /** Failures kept per tenant, and the length of each one's message */
  failures: number;
  failure: number;
  permissions: number;
  /** Row texts as links only, without the how-to sentences */
  compact: boolean;
  sections: boolean;
}

const full: Level = { report: 4000, error: 8000, message: 1000, failures: 50, failure: 1000, permissions: 50, compact: false, sections: true };
const levels: readonly Level[] = [
  full,
  { ...full, report: 1000 },
  { ...full, report: 0 },
  { ...full, report: 0, error: 1000, message: 300, failures: 20, failure: 300, permissions: 20 },
  { report: 0, error: 300, message: 100, failures: 5, failure: 100, permissions: 5, compact: true, sections: true },
  { report: 0, error: 200, message: 0, failures: 0, failure: 0, permissions: 5, compact: true, sections: true },
  { report: 0, error: 80, message: 0, failures: 0, failure: 0, permissions: 3, compact: true, sections: false },
  { report: 0, error: 0, message: 0, failures: 0, failure: 0, permissions: 0, compact: true, sections: false },
];
const WHAT_LIMIT = 200;
const TITLE_LIMIT = 200;

/**
 * The dashboard issue's body: one row per configured tenant, in the configuration's order (Not run
 * when it has no entry), the sections of the tenants in error below, and the entries as JSON in an
 * HTML comment for the next update. Entries of tenants that are no longer configured are dropped.
 * The body never exceeds GitHub's 65,536 characters: the free text is shortened level by level
 * (see levels), then rows are left out. The entries are stored as shortened as they are shown.
 */
export function renderDashboard(tenants: readonly { name: string }[], entries: Record<string, DashboardEntry>, language: Language): string {
  const names = tenants.map((x) => x.name);
  const kept = names.flatMap((name) => {
    const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
    return entry ? [entry] : [];
  });
  for (const level of levels) {
    const body = compose(names, kept.map((e) => shrink(e, level)), language, level, names.length);
    if (body.length <= DASHBOARD_BODY_LIMIT) return body;
  }
  // Too many tenants for one issue: as many rows (and their entries) as fit.
  const last = levels[levels.length - 1]!;
  const smallest = kept.map((e) => shrink(e, last));
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (compose(names, smallest, language, last, mid).length <= DASHBOARD_BODY_LIMIT) low = mid;
    else high = mid - 1;
  }
  return compose(names, smallest, language, last, low);
}

/** The entry with no more free text than the level keeps (shrinking twice at one level changes nothing) */
function shrink(e: DashboardEntry, level: Level): DashboardEntry {
  const { report, message, failures, missingPermissions, error, leftOut, ...rest } = e;
  const out: DashboardEntry = { ...rest };
  if (error) out.error = { ...error, message: shorten(error.message, level.error), ...(error.fix !== undefined ? { fix: shorten(error.fix, Math.min(level.error, level.message || 200)) } : {}) };
  if (message !== undefined && level.message > 0) out.message = shorten(message, level.message);
  // The summary is only shown in a section: not kept (nor stored) for the other tenants
  const inSection = error || failures?.length || leftOut?.failures || e.status === 'New error' || e.status === 'Partially successful';
  if (report !== undefined && level.report > 0 && inSection) out.report = cutMarkdown(report, level.report);
  const lost = { failures: leftOut?.failures ?? 0, missingPermissions: leftOut?.missingPermissions ?? 0 };
  if (failures) {
    const shown = failures.slice(0, level.failures).map((f) => ({ ...f, what: shorten(f.what, WHAT_LIMIT), message: shorten(f.message, level.failure) }));
    lost.failures += failures.length - shown.length;
    if (shown.length > 0) out.failures = shown;
  }
  if (missingPermissions) {
    const shown = missingPermissions.slice(0, level.permissions);
    lost.missingPermissions += missingPermissions.length - shown.length;
    if (shown.length > 0) out.missingPermissions = shown;
  }
  if (lost.failures || lost.missingPermissions) {
    out.leftOut = { ...(lost.failures ? { failures: lost.failures } : {}), ...(lost.missingPermissions ? { missingPermissions: lost.missingPermissions } : {}) };
  }
  return out;
}

function compose(names: readonly string[], entries: readonly DashboardEntry[], language: Language, level: Level, rows: number): string {
  const t = texts[language];
  const byName = new Map(entries.map((e) => [e.tenant, e]));
  const shown = names.slice(0, rows);
  const lines = [t.intro, '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`];
  for (const name of shown) lines.push(row(name, byName.get(name), language, level));
  if (shown.length < names.length) lines.push('', t.more(names.length - shown.length));
  if (level.sections) {
    const sections = shown.flatMap((name) => {
      const entry = byName.get(name);
      return entry && hasSection(entry) ? [section(entry, language)] : [];
    });
    if (sections.length > 0) lines.push('', `## ${t.details}`, '', sections.join('\n\n'));
  }
  const state = Object.fromEntries(shown.flatMap((name) => (byName.has(name) ? [[name, byName.get(name)!]] : [])));
  lines.push('', `<!-- ${STATE_MARKER} ${stateJson(state)} -->`, '');
  return lines.join('\n');
}

/** Tenants with a section below the table: an error, failures, or what a failed sync said */
function hasSection(e: DashboardEntry): boolean {
  if (e.error || e.failures?.length || e.leftOut?.failures) return true;
  return (e.status === 'New error' || e.status === 'Partially successful') && Boolean(e.message || e.report);
}

function row(name: string, entry: DashboardEntry | undefined, language: Language, level: Level): string {
  const status = entry?.status ?? 'Not run';
  const since = entry ? formatTime(entry.since ?? entry.updatedAt) : '';
  const success = entry?.lastSuccessAt ? formatTime(entry.lastSuccessAt) : '';
  const pull = entry?.pullRequest ? link(`#${entry.pullRequest.number}`, entry.pullRequest.url) : '';
  const actions = entry ? rowActions(entry, language, level).filter(Boolean).join('<br>') : '';
  return `| ${cell(name)} | ${statusCell(status, entry, language)} | ${since} | ${success} | ${pull} | ${actions} |`;
}

/**
 * The status; for New error a link to the run (or the troubleshooting page) whose title (tooltip) is
 * the error's first line, after the title of its code in French
 */
function statusCell(status: SyncStatus, entry: DashboardEntry | undefined, language: Language): string {
  const name = statusName(status, language);
  if (status !== 'New error' || !entry) return cell(name);
  const translated = entry.error && translatedError(entry.error.code, language);
  const said = firstLine(entry.error?.message ?? entry.message ?? '');
  const first = translated ? [translated.title, said].filter(Boolean).join(' — ') : said;
  return link(name, entry.runUrl ?? '', first) || link(name, entry.error?.docs ?? '', first) || cell(name);
}

/** What a person can do about the row's status, one line each (joined with <br>) */
function rowActions(e: DashboardEntry, language: Language, level: Level): string[] {
  const t = texts[language];
  const run = (label: string) => (e.runUrl ? link(label, e.runUrl) : '');
  const checkRun = e.checkRunUrl ? link(t.checkRun, e.checkRunUrl) : '';
  const downloads = e.artifactUrl ? link(t.downloads, e.artifactUrl) : '';
  const below = level.sections && hasSection(e);
  const out: string[] = [];
  switch (e.status) {
    case 'Not run':
      break;
    case 'Starting':
    case 'In progress': {
      const live = run(t.watchRun);
      if (level.compact) {
        out.push([live, checkRun && link(actionsFor('Starting', language)[0]?.label ?? t.checkRun, e.checkRunUrl!)].filter(Boolean).join(' · '));
      } else {
        out.push(live);
        if (checkRun || live) out.push(t.cancel(actionsFor('Starting', language)[0]?.label ?? '', checkRun || undefined, live || undefined));
      }
      break;
    }
    case 'Pending authentication': {
      const d = e.deviceCode;
      if (d) out.push(t.deviceCode(link(d.verificationUri, d.verificationUri) || cell(d.verificationUri), code(d.userCode), formatTime(d.waitUntil)));
      out.push(run(t.watchRun));
      break;
    }
    case 'Pending approval': {
      const pull = e.pullRequest ? link(`#${e.pullRequest.number}`, e.pullRequest.url) : '';
      if (pull && !level.compact) out.push(t.approval(pull, actionsFor('Pending approval', language).map((a) => a.label), checkRun || undefined));
      else if (pull) out.push([link(t.review(`#${e.pullRequest!.number}`), e.pullRequest!.url), checkRun].filter(Boolean).join(' · '));
      else if (checkRun) out.push(checkRun);
      out.push(run(t.viewJob));
      break;
    }
    case 'Idle':
      out.push(run(t.viewJob));
      break;
    case 'Partially successful':
      if (below) out.push(t.failedBelow);
      out.push([run(t.viewJob), downloads].filter(Boolean).join(' · '));
      break;
    case 'New error':
      if (e.error) {
        const docs = link(t.troubleshooting, e.error.docs);
        out.push([below ? t.errorBelow(code(e.error.code)) : code(e.error.code), docs].filter(Boolean).join(' · '));
      } else if (below) {
        out.push(t.detailsBelow);
      }
      if (!below) out.push(downloads);
      break;
    case 'Pending admin consent': {
      const consent = e.consentUrl ? link(t.consent, e.consentUrl) : '';
      if (consent) out.push(consent);
      const permissions = (e.missingPermissions ?? []).map(code).join(', ');
      const more = e.leftOut?.missingPermissions ?? 0;
      if (permissions || more) out.push(t.missing(permissions, more));
      out.push(run(t.viewJob));
      break;
    }
  }
  // An error or message of another status (one without a section) is said in the row.
  if (e.error && e.status !== 'New error' && !below) {
    const translated = translatedError(e.error.code, language);
    const said = translated ? `${t.colon} ${cell(translated.title)}${e.error.message ? ` — ${cell(e.error.message)}` : ''}` : e.error.message ? `: ${cell(e.error.message)}` : '';
    out.push(`${code(e.error.code)}${said}${link(t.troubleshooting, e.error.docs) ? ` (${link(t.troubleshooting, e.error.docs)})` : ''}`);
  }
  if (e.message && !below) out.push(cell(e.message));
  return out;
}

/** A tenant's section below the table */
function section(e: DashboardEntry, language: Language): string {
  const t = texts[language];
  const lines = [`### ${inline(e.tenant)} — ${statusName(e.status, language)}`, ''];
  const translatedFix = e.error && translatedError(e.error.code, language);
  if (e.error && translatedFix) {
    // Another language than English: the title and what to do in it; the error's own message and
    // specific fix (English, with Graph's or Entra's words) verbatim below as the technical detail
    const docs = link(t.troubleshooting, e.error.docs);
    lines.push(`**${inline(translatedFix.title)}**`, '');
    lines.push(`${t.code}${t.colon} ${code(e.error.code)}${docs ? ` · ${docs}` : ''}`, '');
    lines.push(`**${t.fix}${t.colon}** ${inline(translatedFix.fix)}`, '');
    const detail = [e.error.message, e.error.fix ? `Fix: ${e.error.fix}` : ''].filter(Boolean).join('\n');
    if (detail) lines.push(`**${t.technicalBlock}${t.colon}**`, '', fenced(detail), '');
  } else if (e.error) {
    if (e.error.message) lines.push(fenced(e.error.message), '');
    const docs = link(t.troubleshooting, e.error.docs);
    lines.push(`${t.code}${t.colon} ${code(e.error.code)}${docs ? ` · ${docs}` : ''}`, '');
    if (e.error.fix) lines.push(`**${t.fix}${t.colon}** ${inline(e.error.fix)}`, '');
  }
  if (e.message) lines.push(block(e.message), '');
  const failures = e.failures ?? [];
  const more = e.leftOut?.failures ?? 0;
  if (failures.length > 0 || more > 0) {
    lines.push(`**${t.whatFailed}${t.colon}**`, '');
    const fixes = new Map<string, string>();
    for (const f of failures) {
      const docs = f.docs ? link(t.troubleshooting, f.docs) : '';
      const tail = [f.code ? code(f.code) : '', docs].filter(Boolean).join(', ');
      const translated = f.code ? translatedError(f.code, language) : undefined;
      if (translated) {
        // The title in the language, the message (often Graph's words) as the technical detail
        fixes.set(f.code!, translated.fix);
        lines.push(`- **${inline(f.what)}**${t.colon} ${inline(translated.title)}${tail ? ` (${tail})` : ''}${f.message ? `<br>${t.technical}${t.colon} ${inline(f.message)}` : ''}`);
      } else {
        lines.push(`- **${inline(f.what)}**${f.message ? `${t.colon} ${inline(f.message)}` : ''}${tail ? ` (${tail})` : ''}`);
      }
    }
    if (more > 0) lines.push(`- ${t.moreFailures(more)}`);
    lines.push('');
    if (fixes.size > 0) {
      lines.push(`**${t.fix}${t.colon}**`, '');
      for (const [c, fix] of fixes) lines.push(`- ${code(c)}${t.colon} ${inline(fix)}`);
      lines.push('');
    }
  }
  if (e.report) lines.push(`<details><summary>${t.summary}</summary>`, '', markdown(e.report), '', '</details>', '');
  const links = [e.runUrl ? link(t.viewJob, e.runUrl) : '', e.artifactUrl ? link(t.downloads, e.artifactUrl) : ''].filter(Boolean);
  if (links.length > 0) lines.push(links.join(' · '), '');
  return lines.join('\n').trimEnd();
}

// ------------------------------------------------------------------------------------------------
// Escaping

/** Text in a table cell: no line breaks, no column breaks, no HTML (and so no end of the state comment), no @mention */
function cell(text: string): string {
  return noMentions(
    text
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\s*[\r\n]+\s*/g, ' ')
      .trim(),
  );
}

/** Text on one line outside the table: as a cell, and no emphasis, links or code either */
function inline(text: string): string {
  return cell(text).replace(/[`*_[\]~]/g, '\\$&');
}

/** A paragraph of plain text (kept on one line, not taken for a heading, quote or list) */
function block(text: string): string {
  return inline(text).replace(/^([#>+\-=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

function code(text: string): string {
  return `\`${cell(text.replace(/`/g, ''))}\``;
}

/** The text in a fenced block, verbatim (GitHub gives it a copy button); the fence is longer than any backtick run inside */
function fenced(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text.replace(/\r\n?/g, '\n')}\n${fence}`;
}

/**
 * A caller's Markdown shown as is, except what would break the body around it: the end of the
 * <details> block, an HTML comment (the state is one), a code fence left open, an @mention.
 */
function markdown(text: string): string {
  const safe = text
    .replace(/\r\n?/g, '\n')
    .replace(/<!--/g, '&lt;!--')
    .replace(/-->/g, '--&gt;')
    .replace(/<(\/?)details/gi, '&lt;$1details');
  return closeFences(noMentions(safe)).trim();
}

/** The text with a closing fence added when it ends inside a fenced code block */
function closeFences(text: string): string {
  let open: { char: string; length: number } | undefined;
  for (const line of text.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    const fence = m[1]!;
    if (!open) {
      if (!(fence[0] === '`' && m[2]!.includes('`'))) open = { char: fence[0]!, length: fence.length };
    } else if (fence[0] === open.char && fence.length >= open.length && m[2]!.trim() === '') {
      open = undefined;
    }
  }
  return open ? `${text}\n${open.char.repeat(open.length)}` : text;
}

/** @name would notify that person (or team) from the issue: a word joiner after the @ keeps it as text */
function noMentions(text: string): string {
  return text.replace(/(^|[^\w`/.@-])@(?=[A-Za-z0-9])/g, '$1@\u2060');
}

/** A Markdown link to an http(s) URL, with an optional title (the tooltip), or '' for anything else */
function link(label: string, url: string, title?: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return '';
  const href = parsed.href.replace(/[()|\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const tip = title ? cell(shorten(title, TITLE_LIMIT)).replace(/"/g, '\\"') : '';
  return `[${cell(label).replace(/[[\]]/g, '\\$&')}](${href}${tip ? ` "${tip}"` : ''})`;
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r\n?|\n/)
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

function formatTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return cell(iso);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function shorten(text: string, length: number): string {
  if (text.length <= length) return text;
  return length <= 0 ? '' : `${safeSlice(text, length - 1)}…`;
}

/** Markdown cut to at most `length` characters, at a line end when one is near, with its fences closed */
function cutMarkdown(text: string, length: number): string {
  if (text.length <= length) return text;
  let room = length - 2;
  for (;;) {
    let kept = safeSlice(text, Math.max(0, room));
    const lineEnd = kept.lastIndexOf('\n');
    if (lineEnd > room / 2) kept = kept.slice(0, lineEnd);
    const out = `${closeFences(kept.trimEnd())}\n…`;
    if (out.length <= length || room <= 0) return out.length <= length ? out : '…';
    room -= out.length - length;
  }
}

/** The first `length` UTF-16 units, not splitting a surrogate pair */
function safeSlice(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** JSON that cannot end the HTML comment it sits in (`<` and `>` only occur inside its strings) */
function stateJson(state: Record<string, DashboardEntry>): string {
  return JSON.stringify(state).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

/**
 * The entries kept in a dashboard body; anything unreadable or invalid is left out. The state is
 * the last marker comment of the body: text shown above it (an error message, a report) cannot
 * pose as the state.
 */
export function parseDashboard(body: string | null | undefined): Record<string, DashboardEntry> {
  if (!body) return {};
  const opener = [...body.matchAll(STATE_OPENER)].at(-1);
  if (!opener) return {};
  const start = opener.index + opener[0].length;
  const end = body.indexOf('-->', start);
  if (end < 0) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(body.slice(start, end));
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const entries: [string, DashboardEntry][] = [];
  for (const [key, value] of Object.entries(raw)) {
    const parsed = dashboardEntrySchema.safeParse(value);
    if (parsed.success && parsed.data.tenant === key) entries.push([key, parsed.data]);
  }
  // fromEntries defines own properties: a tenant named __proto__ cannot reach the prototype.
  return Object.fromEntries(entries);
}

// ------------------------------------------------------------------------------------------------
// The issue

const ATTEMPTS = 5;
/** Contexts already warned about, so that a missing permission is said once per run */
const warned = new WeakSet<object>();

interface FoundIssue {
  number: number;
  url: string;
  body: string | null | undefined;
}

/**
 * Writes this tenant's entry into the dashboard issue (or, without an entry, only refreshes the
 * rows: new tenants as Not run, removed ones dropped), creating the issue when there is none.
 *
 * Matrix jobs update the same issue and GitHub has no conditional update, so each writer merges its
 * own entry into what it just read, writes, waits a moment, reads back and tries again (up to 5
 * times) when another job's write replaced its entry. A newer entry for the same tenant wins. An
 * unchanged body is not written.
 *
 * Never throws: a failure is warned about once per context and gives undefined.
 */
export async function updateDashboard(
  ctx: RepoContext,
  options: { tenants: readonly { name: string }[]; language: Language; entry?: DashboardEntry; log: Logger },
): Promise<{ number: number; url: string } | undefined> {
  const { tenants, language, log } = options;
  try {
    const given = options.entry && dashboardEntrySchema.safeParse(options.entry);
    if (given && !given.success) log.warn(`dashboard: the entry of ${options.entry?.tenant} is not valid and is left out (${given.error.message})`);
    const valid = given?.success ? given.data : undefined;
    const entry = valid && tenants.some((t) => t.name === valid.tenant) ? { ...valid, runUrl: valid.runUrl ?? runUrl(ctx) } : undefined;
    if (valid && !entry) log.debug(`dashboard: ${valid.tenant} is not in the configuration; refreshing only`);
    let result: { number: number; url: string } | undefined;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(250 + Math.random() * 1000);
      const found = await findDashboard(ctx);
      const current = parseDashboard(found?.body);
      const merged = entry ? mergeEntry(current, entry) : current;
      const body = renderDashboard(tenants, merged, language);
      let issue: FoundIssue;
      if (!found) {
        const { data } = await ctx.octokit.rest.issues.create({ owner: ctx.owner, repo: ctx.repo, title: DASHBOARD_TITLE, body, labels: [labels.dashboard] });
        issue = { number: data.number, url: data.html_url, body };
        // Two jobs that found no issue both create one: the lowest number stays, the other goes.
        const lowest = await findDashboard(ctx);
        if (lowest && lowest.number < issue.number) {
          await ctx.octokit.rest.issues.update({ owner: ctx.owner, repo: ctx.repo, issue_number: issue.number, state: 'closed', state_reason: 'duplicate' });
          log.debug(`dashboard: #${issue.number} duplicated #${lowest.number} and was closed`);
          continue;
        }
      } else {
        issue = found;
        if (found.body !== body) await ctx.octokit.rest.issues.update({ owner: ctx.owner, repo: ctx.repo, issue_number: found.number, body });
      }
      result = { number: issue.number, url: issue.url };
      if (!entry) return result;

      await sleep(50 + Math.random() * 200);
      const { data: back } = await ctx.octokit.rest.issues.get({ owner: ctx.owner, repo: ctx.repo, issue_number: issue.number });
      const stored = parseDashboard(back.body)[entry.tenant];
      if (stored && (isDeepStrictEqual(stored, parseDashboard(body)[entry.tenant]) || isNewer(stored, entry))) return result;
      log.debug(`dashboard: another job replaced the entry of ${entry.tenant} (attempt ${attempt} of ${ATTEMPTS})`);
    }
    log.warn(`The dashboard issue could not keep the status of ${entry?.tenant ?? 'the tenant'}: other jobs kept replacing it. The next sync writes it again.`);
    return result;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const said = error instanceof Error ? error.message : String(error);
    const answer = typeof status === 'number' ? `GitHub answered ${status}: ${said}` : said;
    if (warned.has(ctx)) {
      log.debug(`dashboard: not updated (${answer})`);
    } else {
      warned.add(ctx);
      log.warn(
        `The dashboard issue "${DASHBOARD_TITLE}" could not be updated (${answer}). ` +
          'Give the workflow `permissions: issues: write` to keep one issue with every tenant\'s status. The sync goes on without it.',
      );
    }
    return undefined;
  }
}

/** The open dashboard issue with the lowest number (pull requests are issues too, and are skipped) */
async function findDashboard(ctx: RepoContext): Promise<FoundIssue | undefined> {
  const issues = await ctx.octokit.paginate(ctx.octokit.rest.issues.listForRepo, {
    owner: ctx.owner,
    repo: ctx.repo,
    state: 'open',
    labels: labels.dashboard,
    per_page: 100,
  });
  const first = issues.filter((i) => !i.pull_request).sort((a, b) => a.number - b.number)[0];
  return first && { number: first.number, url: first.html_url, body: first.body };
}

/** A sync's own statuses: they come and go within one run */
const passing = (status: SyncStatus) => status !== 'Not run' && !finalStatuses.includes(status);

/** The stored entries with this entry merged in (see withHistory); a newer stored entry of the tenant stays */
export function mergeEntry(current: Record<string, DashboardEntry>, entry: DashboardEntry): Record<string, DashboardEntry> {
  const previous = Object.hasOwn(current, entry.tenant) ? current[entry.tenant] : undefined;
  // A job that finished later already wrote a newer entry: keep it.
  if (previous && isNewer(previous, entry)) return current;
  return Object.fromEntries([...Object.entries(current).filter(([k]) => k !== entry.tenant), [entry.tenant, withHistory(entry, previous)]]);
}

/**
 * The entry with what it takes from the stored one:
 * - since: kept while the status stays the same; and a sync that ends in the status the tenant had
 *   before it (Idle → Starting → Idle) gives back that status's since, so "New error since Monday"
 *   survives the daily failing syncs. Otherwise the entry's own since, or its updatedAt.
 * - settled: while a sync runs, the final status before it and since when (for the rule above).
 * - lastSyncAt, lastSuccessAt (updatedAt for an Idle entry without one): kept when left out.
 * - pullRequest: kept while a sync runs (the approval pull request is still open); a final entry
 *   says whether there is one.
 */
function withHistory(entry: DashboardEntry, previous: DashboardEntry | undefined): DashboardEntry {
  const { settled: _ignored, leftOut: _also, ...rest } = entry;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as typeof rest;
  const previousSince = previous && (previous.since ?? previous.updatedAt);
  let since = entry.since ?? entry.updatedAt;
  if (previous?.status === entry.status && previousSince) since = previousSince;
  else if (!passing(entry.status) && previous?.settled?.status === entry.status) since = previous.settled.since;
  const settled = !passing(entry.status) || !previous || previous.status === 'Not run' ? undefined : passing(previous.status) ? previous.settled : { status: previous.status, since: previousSince! };
  const lastSyncAt = entry.lastSyncAt ?? previous?.lastSyncAt;
  const lastSuccessAt = entry.lastSuccessAt ?? (entry.status === 'Idle' ? entry.updatedAt : undefined) ?? previous?.lastSuccessAt;
  const pullRequest = entry.pullRequest ?? (passing(entry.status) ? previous?.pullRequest : undefined);
  return {
    ...given,
    since,
    ...(lastSyncAt ? { lastSyncAt } : {}),
    ...(lastSuccessAt ? { lastSuccessAt } : {}),
    ...(pullRequest ? { pullRequest } : {}),
    ...(settled ? { settled } : {}),
  };
}

function isNewer(a: DashboardEntry, b: DashboardEntry): boolean {
  const ta = Date.parse(a.updatedAt);
  const tb = Date.parse(b.updatedAt);
  return !Number.isNaN(ta) && !Number.isNaN(tb) && ta > tb;
}
