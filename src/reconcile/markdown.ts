import { docsBaseUrl } from '../errors/index.js';
import type { PropertyChange } from './diff.js';
import type { Language } from '../status/index.js';
import { catalogueFor, errorTexts, format, heldTexts, type Catalogue, type Decorate, type MessageKey } from './messages.js';
import { planHash, type Conflict, type DriftEntry, type HeldDeletes, type Plan, type PlanError, type PlanItem } from './plan.js';

/**
 * The plan as the body of the approval pull request (and the job summary). Counts come first,
 * then errors, conflicts and held deletes, then the changes per type (catalogue title, in
 * dependency order), each object property by property, then the drift report.
 *
 * GitHub refuses a pull request body over 65,536 characters. The body aims at 60,000 (a margin for
 * what other code adds around it) and degrades step by step until it fits: per-type sections are
 * folded into <details>; then the largest type loses its property tables (names only), then its
 * list (counts only); then the drift, conflict and error lists are shortened. Counts always stay,
 * and the full plan is always in the plan.json artifact. Every label comes from messages.ts.
 */

export const GITHUB_BODY_LIMIT = 65_536;
export const MARKDOWN_TARGET_LENGTH = 60_000;
/** Inline JSON longer than this is cut in a table cell. */
const MAX_VALUE_LENGTH = 160;

export interface MarkdownOptions {
  /** Longest body to produce; default MARKDOWN_TARGET_LENGTH */
  maxLength?: number;
  /** Language of the texts (`language` of the tenant in tenant-sync.yml); default English */
  language?: Language;
  /** Texts; overrides `language` when given */
  catalogue?: Catalogue;
  /** Name of the artifact that holds plan.json */
  artifact?: string;
  /** Shown at the end; computed when not given */
  planHash?: string;
}

interface Ctx {
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
  catalogue: Catalogue;
  artifact: string;
  titles: Map<string, string>;
}

interface Section {
  /** Renderers from most to least detailed */
  levels: (() => string)[];
  level: number;
  text: string;
  /** Sections of the highest rank that can still shrink shrink first, the largest first */
  rank: number;
  foldable: boolean;
}

const ICONS = { create: '\u2795', update: '\u270f\ufe0f', delete: '\u274c' } as const;

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const catalogue = options.catalogue ?? catalogueFor(options.language);
  const maxLength = options.maxLength ?? MARKDOWN_TARGET_LENGTH;
  const ctx: Ctx = {
    t: (key, params) => format(key, params, catalogue),
    catalogue,
    artifact: options.artifact ?? 'plan.json',
    titles: new Map(plan.types.map((t) => [t.type, t.title])),
  };
  for (const s of plan.skippedTypes) ctx.titles.set(s.type, s.title);

  const head = renderHead(plan, ctx);
  const foot = `\n---\n<sub>${escapeText(ctx.t('plan.hash', { hash: options.planHash ?? planHash(plan) }))} \u00b7 ${ctx.t('plan.artifact', { artifact: ctx.artifact })}</sub>\n`;

  const sections: Section[] = [];
  const add = (levels: (() => string)[], rank: number, foldable = false): void => {
    sections.push({ levels, level: 0, text: levels[0]!(), rank, foldable });
  };
  if (plan.errors.length > 0) add(errorLevels(plan.errors, ctx), 1);
  if (plan.conflicts.length > 0) add(conflictLevels(plan.conflicts, ctx), 2);
  if (plan.held.length > 0) add(heldLevels(plan.held, ctx), 0);
  for (const [type, items] of groupByType(plan)) add(typeLevels(type, items, ctx), 10, true);
  if (plan.drift.length > 0) add(driftLevels(plan.drift, plan, ctx), 10);

  const total = (): number => head.length + foot.length + sections.reduce((n, s) => n + s.text.length + 1, 0);
  const degrade = (s: Section): void => {
    s.level++;
    s.text = s.levels[s.level]!();
  };
  if (total() > maxLength) {
    // Fold every type section first (level 1 is the folded full section).
    for (const s of sections) if (s.foldable && s.level === 0) degrade(s);
  }
  while (total() > maxLength) {
    const candidates = sections.filter((s) => s.level < s.levels.length - 1);
    if (candidates.length === 0) break;
    const topRank = Math.max(...candidates.map((s) => s.rank));
    const pick = candidates
      .filter((s) => s.rank === topRank)
      .reduce((a, b) => (b.text.length > a.text.length ? b : a));
    degrade(pick);
  }
  // Give back room the steps above left unused: sections in order of importance (errors,
  // conflicts, held deletes, then the types, then drift) take a more detailed level while it fits.
  const folded = sections.some((s) => s.foldable && s.level > 0);
  const byImportance = [...sections].sort((x, y) => importance(x) - importance(y));
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of byImportance) {
      const floor = s.foldable && folded ? 1 : 0;
      if (s.level <= floor) continue;
      const text = s.levels[s.level - 1]!();
      if (total() - s.text.length + text.length > maxLength) continue;
      s.level--;
      s.text = text;
      changed = true;
    }
  }
  let body = head + sections.map((s) => `${s.text}\n`).join('') + foot;
  if (body.length > maxLength) {
    // Last resort, unreachable with the levels above unless maxLength is tiny.
    const note = `\n\n${ctx.t('plan.truncated', { artifact: ctx.artifact })}\n`;
    const room = Math.max(0, maxLength - note.length);
    const cut = body.lastIndexOf('\n', room);
    body = `${body.slice(0, cut > 0 ? cut : room)}${note}`.slice(0, maxLength);
  }
  return body;
}

/** Errors first, then conflicts, held deletes, the types, drift */
function importance(s: Section): number {
  return s.rank === 1 ? 0 : s.rank === 2 ? 1 : s.rank === 0 ? 2 : s.foldable ? 3 : 4;
}

// ---------------------------------------------------------------------------------------------
// Head

function renderHead(plan: Plan, ctx: Ctx): string {
  const { t } = ctx;
  const c = plan.counts;
  const cols: [MessageKey, number][] = [
    ['counts.creates', c.creates],
    ['counts.updates', c.updates],
    ['counts.deletes', c.deletes],
    ['counts.conflicts', c.conflicts],
    ['counts.errors', c.errors],
    ['counts.held', c.held],
    ['counts.drift', c.drift],
  ];
  const lines = [
    `## ${escapeText(t('plan.title', { tenant: plan.tenant }))}`,
    '',
    `| ${cols.map(([k]) => t(k)).join(' | ')} |`,
    `|${cols.map(() => '---:').join('|')}|`,
    `| ${cols.map(([, n]) => String(n)).join(' | ')} |`,
    '',
  ];
  if (plan.items.length > 0) lines.push(t('plan.intro'), '');
  else lines.push(t('plan.empty'), '');
  if (plan.skippedTypes.length > 0) {
    lines.push(t('plan.skipped', { types: plan.skippedTypes.map((s) => escapeText(s.title)).join(', ') }), '');
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Errors, conflicts, held deletes, drift

function markdownDecorate(ctx: Ctx): Decorate {
  return (key, value) => {
    if (typeof value === 'number') return String(value);
    if (key === 'title' || key === 'targetTitle' || key === 'side' || key === 'referrers') return escapeText(value);
    return code(value);
  };
}

function errorLine(e: PlanError, ctx: Ctx): string {
  const { message, fix } = errorTexts(e.kind, e.side, e.params, ctx.catalogue, markdownDecorate(ctx));
  return `- **${escapeText(ctx.titles.get(e.type) ?? e.type)}** \u00b7 ${message} ${fix} ${codeLink(e.code)}`;
}

/** The stable code, linked to its troubleshooting page */
function codeLink(code: string): string {
  return `<sub>([${code}](${docsBaseUrl}/${code}.md))</sub>`;
}

function limited<T>(list: readonly T[], max: number, line: (x: T) => string, ctx: Ctx): string[] {
  const lines = list.slice(0, max).map(line);
  if (list.length > max) lines.push(`- ${ctx.t('section.more', { count: list.length - max, artifact: ctx.artifact })}`);
  return lines;
}

function heading(key: MessageKey, count: number, ctx: Ctx): string {
  return `### ${ctx.t(key)} (${count})\n\n`;
}

function omitted(count: number, ctx: Ctx): string {
  return `${ctx.t('section.omitted', { count, artifact: ctx.artifact })}\n`;
}

function errorLevels(errors: readonly PlanError[], ctx: Ctx): (() => string)[] {
  const h = heading('section.errors', errors.length, ctx);
  const list = (max: number) => () => `${h}${limited(errors, max, (e) => errorLine(e, ctx), ctx).join('\n')}\n`;
  return [list(Infinity), list(300), list(100), list(20), () => `${h}${omitted(errors.length, ctx)}`];
}

function conflictTitle(c: Conflict, ctx: Ctx): string {
  return `**${escapeText(ctx.titles.get(c.type) ?? c.type)}** \u00b7 ${code(c.name)}`;
}

function conflictLevels(conflicts: readonly Conflict[], ctx: Ctx): (() => string)[] {
  const h = heading('section.conflicts', conflicts.length, ctx);
  const line = (c: Conflict): string => `- ${conflictTitle(c, ctx)}${ctx.t('colon')} ${ctx.t(`conflict.${c.kind}`)}`;
  const full = (): string => {
    const parts = conflicts.map((c) => {
      let text = `${line(c)}\n`;
      if (c.tenantChanges.length > 0) text += `\n  ${ctx.t('conflict.tenantChanges')}${ctx.t('colon')}\n\n${indent(changeTable(c.tenantChanges, ctx))}`;
      if (c.repoChanges.length > 0) text += `\n  ${ctx.t('conflict.repoChanges')}${ctx.t('colon')}\n\n${indent(changeTable(c.repoChanges, ctx))}`;
      return text;
    });
    return `${h}${ctx.t('conflict.fix')}\n\n${parts.join('\n')}`;
  };
  const list = (max: number) => () => `${h}${ctx.t('conflict.fix')}\n\n${limited(conflicts, max, line, ctx).join('\n')}\n`;
  return [full, list(Infinity), list(300), list(50), () => `${h}${omitted(conflicts.length, ctx)}`];
}

function heldLevels(held: readonly HeldDeletes[], ctx: Ctx): (() => string)[] {
  const total = held.reduce((n, h) => n + h.count, 0);
  const h = heading('section.held', total, ctx);
  const entry = (x: HeldDeletes, names: number): string => {
    const { message, fix } = heldTexts(x.params, ctx.catalogue, markdownDecorate(ctx));
    const lines = [`- **${escapeText(ctx.titles.get(x.type) ?? x.type)}**${ctx.t('colon')} ${message} ${fix} ${codeLink(x.code)}`];
    if (names > 0) lines.push(...limited(x.items, names, (i) => `  - ${code(i.name)}`, ctx).map((l) => (l.startsWith('  ') ? l : `  ${l}`)));
    return lines.join('\n');
  };
  const render = (names: number) => () => `${h}${held.map((x) => entry(x, names)).join('\n')}\n`;
  return [render(Infinity), render(20), render(0)];
}

function driftLevels(drift: readonly DriftEntry[], plan: Plan, ctx: Ctx): (() => string)[] {
  const h = heading('section.drift', drift.length, ctx);
  const intro = `${ctx.t(`drift.${plan.driftPolicy}`)}\n\n`;
  const line = (d: DriftEntry): string => {
    const title = escapeText(ctx.titles.get(d.type) ?? d.type);
    const paths = d.changes.length > 0 ? ` (${d.changes.slice(0, 8).map((c) => code(c.path || ctx.t('value.root'))).join(', ')}${d.changes.length > 8 ? ', \u2026' : ''})` : '';
    return `- **${title}** \u00b7 ${code(d.name)}${ctx.t('colon')} ${ctx.t(`drift.${d.kind}`)}${paths}`;
  };
  const list = (max: number) => () => `${h}${intro}${limited(drift, max, line, ctx).join('\n')}\n`;
  return [list(Infinity), list(1000), list(300), list(50), () => `${h}${intro}${omitted(drift.length, ctx)}`];
}

// ---------------------------------------------------------------------------------------------
// Changes per type

function groupByType(plan: Plan): [string, PlanItem[]][] {
  const groups = new Map<string, PlanItem[]>();
  for (const t of plan.types) groups.set(t.type, []);
  for (const item of plan.items) {
    const list = groups.get(item.type);
    if (list) list.push(item);
    else groups.set(item.type, [item]);
  }
  return [...groups].filter(([, items]) => items.length > 0);
}

/** Deletes first (what a reviewer must not miss), then creates, then updates; by name within each. */
const SHOWN_ORDER: Record<PlanItem['action'], number> = { delete: 0, create: 1, update: 2 };

function typeLevels(type: string, planned: readonly PlanItem[], ctx: Ctx): (() => string)[] {
  const items = [...planned].sort((a, b) => SHOWN_ORDER[a.action] - SHOWN_ORDER[b.action]);
  const title = ctx.titles.get(type) ?? type;
  const n = (action: PlanItem['action']): number => items.filter((i) => i.action === action).length;
  const summary = ctx.t('type.summary', { title, creates: n('create'), updates: n('update'), deletes: n('delete') });
  const open = `<details><summary>${escapeHtml(summary)}</summary>\n\n`;
  const close = '</details>\n';
  const heading = `### ${escapeText(title)}\n\n${escapeText(summary)}\n\n`;
  const full = once(() => items.map((i) => renderItem(i, ctx)).join('\n'));
  const names = (max: number): string =>
    `${ctx.t('type.namesOnly', { artifact: ctx.artifact })}\n\n${limited(items, max, (i) => `- ${actionLabel(i, ctx)} ${code(i.name)}`, ctx).join('\n')}\n`;
  return [
    () => `${heading}${full()}`,
    () => `${open}${full()}\n${close}`,
    () => `${open}${names(Infinity)}\n${close}`,
    () => `${open}${names(1000)}\n${close}`,
    () => `${open}${names(300)}\n${close}`,
    () => `${open}${names(100)}\n${close}`,
    () => `${heading}${ctx.t('type.countsOnly', { artifact: ctx.artifact })}\n`,
  ];
}

function once(make: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= make());
}

function actionLabel(item: PlanItem, ctx: Ctx): string {
  const label = ctx.t(`action.${item.action}`);
  return `${ICONS[item.action]} ${item.action === 'delete' ? `**${label}**` : label}`;
}

function renderItem(item: PlanItem, ctx: Ctx): string {
  const lines = [`#### ${actionLabel(item, ctx)} ${code(item.name)}`, ''];
  const notes: string[] = [];
  if (item.action === 'update' && item.previousName !== undefined) {
    notes.push(ctx.t('item.renamed', { previous: code(item.previousName) }));
  }
  if (item.origin === 'remediation') notes.push(ctx.t('item.remediation'));
  if (notes.length > 0) lines.push(`_${notes.join('; ')}_`, '');
  if (item.action === 'delete') lines.push(ctx.t('item.deleteWarning'), '');
  if (item.changes.length > 0) lines.push(changeTable(item.changes, ctx));
  else lines.push(ctx.t('item.noChanges'), '');
  return lines.join('\n');
}

function changeTable(changes: readonly PropertyChange[], ctx: Ctx): string {
  const rows = changes.map(
    (c) =>
      `| ${code(c.path || ctx.t('value.root'), true)} | ${cell(c.kind === 'added' ? undefined : c.before, ctx)} | ${cell(c.kind === 'removed' ? undefined : c.after, ctx)} |`,
  );
  return `| ${ctx.t('table.property')} | ${ctx.t('table.before')} | ${ctx.t('table.after')} |\n|---|---|---|\n${rows.join('\n')}\n`;
}

function cell(value: unknown, ctx: Ctx): string {
  if (value === undefined) return ctx.t('value.absent');
  const json = JSON.stringify(value) ?? 'null';
  if (json.length <= MAX_VALUE_LENGTH) return code(json, true);
  let cut = json.slice(0, MAX_VALUE_LENGTH);
  // Never end on the first half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${code(`${cut}\u2026`, true)} ${escapeText(ctx.t('value.truncated', { length: json.length, artifact: ctx.artifact }))}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Escaping

/**
 * An inline code span holding `text` literally: the fence is one backtick longer than the longest
 * run inside, padded when the text starts or ends with a backtick; line breaks become spaces.
 * In a table cell, pipes are escaped (GitHub removes the backslash inside code spans too).
 */
export function code(text: string, inTable = false): string {
  let body = text.replace(/[\r\n]+/g, ' ');
  if (inTable) body = body.replace(/\|/g, '\\|');
  let longest = 0;
  for (const run of body.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || body === '' ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/**
 * Text shown as is: Markdown punctuation backslash-escaped, '@' kept from becoming a mention, line
 * breaks become spaces. Backticks in messages.ts texts are meant as code and kept.
 */
export function escapeText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/([\\*_[\]<>#~|])/g, '\\$1').replace(/@/g, '@\u200b');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\r\n]+/g, ' ');
}
