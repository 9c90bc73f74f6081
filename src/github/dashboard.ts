import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Logger } from '../log/index.js';
import { statusName, syncStatusSchema, type Language } from '../status/index.js';
import { labels, runUrl, type RepoContext } from './context.js';

export const dashboardEntrySchema = z.object({
  tenant: z.string(),
  status: syncStatusSchema,
  /** ISO time the entry was written */
  updatedAt: z.string(),
  /** ISO time the last sync ended; kept from the previous entry when a new one leaves it out */
  lastSyncAt: z.string().optional(),
  runUrl: z.string().optional(),
  pullRequest: z.object({ number: z.number().int(), url: z.string() }).optional(),
  error: z.object({ code: z.string(), message: z.string(), docs: z.string() }).optional(),
  message: z.string().optional(),
  deviceCode: z.object({ verificationUri: z.string(), userCode: z.string(), waitUntil: z.string() }).optional(),
  consentUrl: z.string().optional(),
});
export type DashboardEntry = z.infer<typeof dashboardEntrySchema>;

export const DASHBOARD_TITLE = 'tenant-sync dashboard';
/** GitHub's limit for an issue body */
export const DASHBOARD_BODY_LIMIT = 65_536;
const STATE_MARKER = 'tenant-sync:dashboard-state';
const STATE_PATTERN = new RegExp(`<!--\\s*${STATE_MARKER}\\s+([\\s\\S]*?)\\s*-->`);

const texts = {
  en: {
    intro:
      'Every tenant of `tenant-sync.yml` and the status of its last sync. tenant-sync keeps this issue up to date: edits to it are overwritten.',
    headers: ['Tenant', 'Status', 'Last sync', 'Run', 'Approval pull request', 'Note'],
    run: 'run',
    troubleshooting: 'troubleshooting',
    deviceCode: (code: string, at: string, until: string) => `Enter ${code} at ${at} before ${until}`,
    consent: 'Grant admin consent',
    more: (n: number) => `… and ${n} more tenants: the issue is full.`,
  },
  fr: {
    intro:
      "Chaque locataire de `tenant-sync.yml` et l'état de sa dernière synchronisation. tenant-sync tient ce ticket à jour : les modifications qui y sont faites sont écrasées.",
    headers: ['Locataire', 'Statut', 'Dernière synchronisation', 'Exécution', "Demande de tirage d'approbation", 'Remarque'],
    run: 'exécution',
    troubleshooting: 'dépannage',
    deviceCode: (code: string, at: string, until: string) => `Saisissez ${code} sur ${at} avant ${until}`,
    consent: "Accorder le consentement de l'administrateur",
    more: (n: number) => `… et ${n} autres locataires : le ticket est plein.`,
  },
} satisfies Record<Language, unknown>;

type Texts = (typeof texts)['en'];

// ------------------------------------------------------------------------------------------------
// The body (pure)

/**
 * The dashboard issue's body: one row per configured tenant, in the configuration's order (Not run
 * when it has no entry), and the entries as JSON in an HTML comment for the next update. Entries of
 * tenants that are no longer configured are dropped. The body never exceeds GitHub's 65,536
 * characters: long messages are shortened first, then rows are left out.
 */
export function renderDashboard(tenants: readonly { name: string }[], entries: Record<string, DashboardEntry>, language: Language): string {
  const names = tenants.map((x) => x.name);
  const kept = names.flatMap((name) => {
    const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
    return entry ? [entry] : [];
  });
  for (const shrink of shrinkers) {
    const body = compose(names, kept.map(shrink), language, names.length);
    if (body.length <= DASHBOARD_BODY_LIMIT) return body;
  }
  // Too many tenants for one issue: as many rows (and their entries) as fit.
  const smallest = kept.map(shrinkers[shrinkers.length - 1]!);
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (compose(names, smallest, language, mid).length <= DASHBOARD_BODY_LIMIT) low = mid;
    else high = mid - 1;
  }
  return compose(names, smallest, language, low);
}

/** Each step keeps less of the free text, for bodies over the limit */
const shrinkers: ((e: DashboardEntry) => DashboardEntry)[] = [
  (e) => e,
  (e) => ({ ...e, ...(e.message ? { message: shorten(e.message, 300) } : {}), ...(e.error ? { error: { ...e.error, message: shorten(e.error.message, 300) } } : {}) }),
  (e) => {
    const { message: _, ...rest } = e;
    return { ...rest, ...(e.error ? { error: { ...e.error, message: shorten(e.error.message, 80) } } : {}) };
  },
  (e) => {
    const { message: _, ...rest } = e;
    return { ...rest, ...(e.error ? { error: { ...e.error, message: '' } } : {}) };
  },
];

function compose(names: readonly string[], entries: readonly DashboardEntry[], language: Language, rows: number): string {
  const t = texts[language];
  const byName = new Map(entries.map((e) => [e.tenant, e]));
  const shown = names.slice(0, rows);
  const lines = [t.intro, '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`];
  for (const name of shown) lines.push(row(name, byName.get(name), language));
  if (shown.length < names.length) lines.push('', t.more(names.length - shown.length));
  const state = Object.fromEntries(shown.flatMap((name) => (byName.has(name) ? [[name, byName.get(name)!]] : [])));
  lines.push('', `<!-- ${STATE_MARKER} ${stateJson(state)} -->`, '');
  return lines.join('\n');
}

function row(name: string, entry: DashboardEntry | undefined, language: Language): string {
  const t = texts[language];
  const status = statusName(entry?.status ?? 'Not run', language);
  const time = entry ? formatTime(entry.lastSyncAt ?? entry.updatedAt) : '';
  const run = entry?.runUrl ? link(t.run, entry.runUrl) : '';
  const pull = entry?.pullRequest ? link(`#${entry.pullRequest.number}`, entry.pullRequest.url) : '';
  return `| ${cell(name)} | ${cell(status)} | ${time} | ${run} | ${pull} | ${entry ? notes(entry, t).join('<br>') : ''} |`;
}

function notes(entry: DashboardEntry, t: Texts): string[] {
  const out: string[] = [];
  if (entry.error) {
    const docs = link(t.troubleshooting, entry.error.docs);
    out.push(`${code(entry.error.code)}${entry.error.message ? `: ${cell(entry.error.message)}` : ''}${docs ? ` (${docs})` : ''}`);
  }
  if (entry.deviceCode) {
    const d = entry.deviceCode;
    out.push(t.deviceCode(code(d.userCode), link(d.verificationUri, d.verificationUri) || cell(d.verificationUri), formatTime(d.waitUntil)));
  }
  if (entry.consentUrl) {
    const consent = link(t.consent, entry.consentUrl);
    if (consent) out.push(consent);
  }
  if (entry.message) out.push(cell(entry.message));
  return out;
}

/** Text in a table cell: no line breaks, no column breaks, no HTML (and so no end of the state comment) */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
}

function code(text: string): string {
  return `\`${cell(text.replace(/`/g, ''))}\``;
}

/** A Markdown link to an http(s) URL, or '' for anything else */
function link(label: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return '';
  const href = parsed.href.replace(/[()|\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${cell(label).replace(/[[\]]/g, '\\$&')}](${href})`;
}

function formatTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return cell(iso);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** JSON that cannot end the HTML comment it sits in (`<` and `>` only occur inside its strings) */
function stateJson(state: Record<string, DashboardEntry>): string {
  return JSON.stringify(state).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

/** The entries kept in a dashboard body; anything unreadable or invalid is left out */
export function parseDashboard(body: string | null | undefined): Record<string, DashboardEntry> {
  const json = body ? STATE_PATTERN.exec(body)?.[1] : undefined;
  if (!json) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
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
 * times) when another job's write replaced its entry. A newer entry for the same tenant wins.
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

function mergeEntry(current: Record<string, DashboardEntry>, entry: DashboardEntry): Record<string, DashboardEntry> {
  const previous = Object.hasOwn(current, entry.tenant) ? current[entry.tenant] : undefined;
  // A job that finished later already wrote a newer entry: keep it.
  if (previous && isNewer(previous, entry)) return current;
  const lastSyncAt = entry.lastSyncAt ?? previous?.lastSyncAt;
  return Object.fromEntries([...Object.entries(current).filter(([k]) => k !== entry.tenant), [entry.tenant, { ...entry, ...(lastSyncAt ? { lastSyncAt } : {}) }]]);
}

function isNewer(a: DashboardEntry, b: DashboardEntry): boolean {
  const ta = Date.parse(a.updatedAt);
  const tb = Date.parse(b.updatedAt);
  return !Number.isNaN(ta) && !Number.isNaN(tb) && ta > tb;
}
