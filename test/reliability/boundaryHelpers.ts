/**
 * Helpers for the approval boundary (approvalBoundary.test.ts): the events a workflow can be
 * started by, built against the GitHub double as it is at the moment they are built; a desired
 * change and the approval pull request it opens; one cell of the entry-point table (an event, a
 * command input, the writes the simulator received during that run); and the check that the writes
 * of an approved apply are exactly the items of the merged plan.
 */
import { Octokit } from '@octokit/rest';
import { checkRunRequestedActionEvent, pullRequestEvent, pushEvent, webhookExample, type GitHubDouble, type WorkflowEvent } from '../github/double/index.js';
import { runAction, startLifecycle, statusesOf, type ActionRun, type Lifecycle } from '../lifecycle/harness.js';
import type { WriteRecord } from '../simulator/types.js';

export const TENANT = 'contoso';
export const STATE = `tenant-sync/state/${TENANT}`;
export const APPROVE = `tenant-sync/approve/${TENANT}`;
export const PLAN_FILE = `.tenant-sync/${TENANT}/plan.json`;
export const CHECK = `tenant-sync / ${TENANT}`;
const LOCATIONS = `tenants/${TENANT}/entra/namedLocations/`;

/**
 * Every value the action's `command` input takes (action.yml, src/main/inputs.ts commandSchema),
 * and '' (the input left empty: the command is chosen from the event). The commands that may act
 * on an approval come last in each row, so that the others run while the approval they could
 * wrongly act on is still there.
 */
export const COMMANDS = ['sync', 'status', 'matrix', 'validate', 'backup', 'plan', 'apply', 'reject', 'revert', ''] as const;
export type CommandInput = (typeof COMMANDS)[number];

/**
 * The commands that do not read the event: src/main/run.ts runs them from the checkout (the
 * event's GITHUB_SHA) and the repository's and tenant's state; of the payload they read only
 * repository.default_branch, which every event of the double carries alike. Two events with the
 * same checkout in the same state are therefore the same run for them, and a group runs them once
 * per checkout (the other events' cells are listed as equivalent). The empty input, apply, reject
 * and revert read the event (commandForEvent, reviewCommand, the button) and run for every event.
 */
export const EVENT_INDEPENDENT: readonly CommandInput[] = ['sync', 'status', 'matrix', 'validate', 'backup', 'plan'];

/** The parts of a plan item the boundary checks (src/reconcile/plan.ts planItemSchema) */
export interface PlanItemLike {
  action: 'create' | 'update' | 'delete';
  type: string;
  name: string;
  id: string | null;
  after: Record<string, unknown> | null;
  changes: { path: string }[];
}
export interface PlanLike {
  tenant: string;
  items: PlanItemLike[];
}

/** A simulator without throttling (the boundary is about who writes, not about pacing) and the double */
export function startBoundaryLifecycle(): Promise<Lifecycle> {
  return startLifecycle({ sim: { throttling: false } });
}

export const octokit = (gh: GitHubDouble): Octokit => new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });

/** A webhook example made to look as if this repository sent it (as events.ts does for its builders) */
export function adaptExample(gh: GitHubDouble, example: Record<string, unknown>, sender: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...example, repository: gh.core.repository(), sender: gh.core.user(sender) };
  delete out['installation'];
  if ('organization' in out) out['organization'] = { ...gh.core.user(gh.owner), description: null };
  return out;
}

async function defaultHead(gh: GitHubDouble): Promise<string> {
  const sha = await gh.resolve(`refs/heads/${gh.defaultBranch}`);
  if (!sha) throw new Error('no default branch');
  return sha;
}

/** issue_comment created on a pull request, e.g. someone writing "/approve" under the approval pull request */
export async function issueCommentEvent(gh: GitHubDouble, number: number, body: string, sender: string): Promise<WorkflowEvent> {
  const example = webhookExample('issue_comment', 'created');
  const payload = adaptExample(gh, example, sender);
  const pull = gh.pull(number);
  const issue = example['issue'] as Record<string, unknown>;
  payload['issue'] = {
    ...issue,
    number,
    title: pull?.title ?? 'pull request',
    state: pull?.state ?? 'open',
    user: gh.core.user(pull?.user ?? gh.owner),
    pull_request: { url: `${gh.apiUrl}/repos/${gh.repository}/pulls/${number}`, html_url: `${gh.serverUrl}/${gh.repository}/pull/${number}`, diff_url: `${gh.serverUrl}/${gh.repository}/pull/${number}.diff`, patch_url: `${gh.serverUrl}/${gh.repository}/pull/${number}.patch`, merged_at: null },
  };
  payload['comment'] = { ...(example['comment'] as Record<string, unknown>), body, user: gh.core.user(sender) };
  // issue_comment workflows run on the default branch's last commit
  return { name: 'issue_comment', payload, ref: `refs/heads/${gh.defaultBranch}`, sha: await defaultHead(gh) };
}

/** release published: an event tenant-sync has no command for */
export async function releaseEvent(gh: GitHubDouble): Promise<WorkflowEvent> {
  const payload = adaptExample(gh, webhookExample('release', 'published'), gh.owner);
  const tag = String((payload['release'] as { tag_name?: string }).tag_name ?? 'v1.0.0');
  return { name: 'release', payload, ref: `refs/tags/${tag}`, sha: await defaultHead(gh) };
}

/**
 * check_run requested_action: `identifier` pressed on the tenant's last check run. The double's
 * builder needs the button to be on the check run; a build of the action that puts no buttons on
 * its check runs gets the event as GitHub would send it if someone forged the identifier.
 */
export async function checkRunEvent(gh: GitHubDouble, identifier: string, sender: string): Promise<WorkflowEvent> {
  const run = gh.checkRuns({ name: CHECK }).at(-1);
  if (!run) throw new Error(`no check run ${CHECK}`);
  if (run.actions.some((a) => a.identifier === identifier)) return checkRunRequestedActionEvent(gh, run.id, identifier, { sender });
  const payload = adaptExample(gh, webhookExample('check_run', 'requested_action'), sender);
  const record = gh.core.checkRuns.find((c) => c.id === run.id)!;
  payload['check_run'] = gh.core.checkRun(record);
  payload['requested_action'] = { identifier };
  return { name: 'check_run', payload, ref: `refs/heads/${gh.defaultBranch}`, sha: await defaultHead(gh) };
}

/** The same event under another name (pull_request_target), or with its payload changed */
export function variant(event: WorkflowEvent, change: (payload: Record<string, unknown>) => void, name = event.name): WorkflowEvent {
  const payload = structuredClone(event.payload);
  change(payload);
  return { ...event, name, payload };
}

/** The named location files on a branch */
async function locations(gh: GitHubDouble, ref: string): Promise<[string, Record<string, unknown>][]> {
  const tree = await gh.readTree(ref);
  return Object.entries(tree)
    .filter(([path]) => path.startsWith(LOCATIONS))
    .map(([path, text]) => [path, JSON.parse(text) as Record<string, unknown>] as [string, Record<string, unknown>])
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * A desired change on main: flips isTrusted of the `index`-th IP named location and, with
 * `create`, adds a copy of it under that name (a create). Each call should use a new index, so the
 * plan differs from any plan rejected before.
 */
export async function changeDesired(lc: Lifecycle, index: number, create?: string): Promise<string> {
  const files = (await locations(lc.gh, 'main')).filter(([, o]) => typeof o['isTrusted'] === 'boolean');
  const [path, object] = files[index % files.length]!;
  const changes: Record<string, string> = { [path]: `${JSON.stringify({ ...object, isTrusted: !(object['isTrusted'] as boolean) }, null, 2)}\n` };
  if (create) changes[`${LOCATIONS}${create}.json`] = `${JSON.stringify({ ...object, displayName: create }, null, 2)}\n`;
  await lc.gh.commitFiles('main', changes, `Desired change ${index}${create ? ` and ${create}` : ''}`, { author: { name: 'Alex Admin', email: 'alex@contoso.example' } });
  return object['displayName'] as string;
}

export interface Approval {
  number: number;
  plan: PlanLike;
  headSha: string;
}

/** Syncs after a push to main and returns the open approval pull request with the plan on its branch */
export async function syncToApproval(lc: Lifecycle): Promise<Approval> {
  const run = await runAction(lc, await pushEvent(lc.gh, 'main'));
  const statuses = statusesOf(run);
  if (statuses.at(-1) !== 'Pending approval') throw new Error(`expected Pending approval, got ${statuses.join(' → ')}\n${run.stdout}`);
  const pr = lc.gh.pulls().find((p) => p.state === 'open' && p.head === APPROVE);
  if (!pr) throw new Error('no open approval pull request');
  const text = await lc.gh.readFile(APPROVE, PLAN_FILE);
  if (!text) throw new Error(`no ${PLAN_FILE} on ${APPROVE}`);
  return { number: pr.number, plan: JSON.parse(text) as PlanLike, headSha: pr.headSha! };
}

export interface CellResult {
  group: string;
  event: string;
  command: string;
  /** Whether this cell may write to the tenant at all */
  allowed: boolean;
  writes: WriteRecord[];
  code: number;
  /** The first error annotation, or the statuses the run went through */
  note: string;
  problems: string[];
  ms: number;
}

/** Every cell run in this file, for the closing summary */
export const results: CellResult[] = [];

/** Cells not run because an equivalent one was (same event-independent command, same checkout, same state) */
export const equivalents: { group: string; event: string; command: string; sameAs: string; why: string }[] = [];

export function noteOf(run: ActionRun): string {
  const error = run.stdout.split('\n').find((l) => l.startsWith('::error'));
  if (error) return error.replace(/^::error[^:]*::/, '').slice(0, 160);
  const statuses = statusesOf(run);
  if (statuses.length > 0) return statuses.join(' → ');
  return (run.stdout.split('\n').find((l) => /Nothing to do|nothing to do|not a tenant-sync approval/.test(l)) ?? run.stdout.split('\n').filter((l) => l && !l.startsWith('::')).at(-1) ?? '').slice(0, 160);
}

/** Runs the action for one cell and records the tenant writes it made */
export async function runCell(lc: Lifecycle, group: string, event: { label: string; event: WorkflowEvent }, command: CommandInput, allowed = false): Promise<{ run: ActionRun; cell: CellResult }> {
  const before = lc.sim.writes().length;
  const started = Date.now();
  const run = await runAction(lc, event.event, command ? { command } : {});
  const writes = lc.sim.writes().slice(before);
  const cell: CellResult = { group, event: event.label, command: command || '(empty)', allowed, writes, code: run.code, note: noteOf(run), problems: [], ms: Date.now() - started };
  if (!allowed && writes.length > 0) cell.problems.push(`unapproved writes: ${writes.map((w) => `${w.method} ${w.path}`).join(', ')}`);
  results.push(cell);
  return { run, cell };
}

/**
 * The writes of an approved apply against the merged plan: for each item exactly one write of the
 * item's kind to the item's object (create: POST of an object of that name; update: PATCH or PUT of
 * its id whose body carries only the planned properties, with their planned values; delete:
 * DELETE of its id), and no other write.
 */
export function planMismatch(writes: readonly WriteRecord[], plan: PlanLike): string[] {
  const problems: string[] = [];
  const remaining = [...writes];
  for (const item of plan.items) {
    const methods = item.action === 'create' ? ['POST'] : item.action === 'update' ? ['PATCH', 'PUT'] : ['DELETE'];
    const index = remaining.findIndex((w) => {
      if (!methods.includes(w.method) || w.type !== item.type) return false;
      if (item.action === 'create') return (w.body as Record<string, unknown> | undefined)?.['displayName'] === item.name;
      return w.id === item.id;
    });
    if (index < 0) {
      problems.push(`no ${methods.join('/')} for the planned ${item.action} of ${item.type} "${item.name}"`);
      continue;
    }
    const [write] = remaining.splice(index, 1);
    if (item.action === 'update' && write && item.after) {
      const planned = new Set(item.changes.map((c) => c.path.split(/[.[]/)[0]!));
      const body = (write.body ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(body)) {
        if (key === '@odata.type') continue;
        if (write.method === 'PATCH' && !planned.has(key)) problems.push(`the PATCH of "${item.name}" writes ${key}, which the plan does not change`);
        if (JSON.stringify(value) !== JSON.stringify(item.after[key]) && planned.has(key)) problems.push(`the PATCH of "${item.name}" writes ${key}=${JSON.stringify(value)}, the plan says ${JSON.stringify(item.after[key])}`);
      }
    }
  }
  for (const w of remaining) problems.push(`a write the plan does not hold: ${w.method} ${w.path}`);
  return problems;
}

/** The table of this file's cells, one line each */
export function formatTable(cells: readonly CellResult[]): string {
  const rows = cells.map((c) => `| ${c.group} | ${c.event} | ${c.command} | ${c.allowed ? 'yes' : 'no'} | ${c.writes.length} | ${c.code} | ${(c.ms / 1000).toFixed(1)}s | ${c.note.replace(/\|/g, '\\|')} |`);
  return ['| group | event | command | may write | writes | exit | time | outcome |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}
