/**
 * Workflow events and the runner's environment. Payloads start from GitHub's own webhook examples
 * (@octokit/webhooks-examples) and take the double's repository, pull requests and check runs, so
 * that what the action reads from GITHUB_EVENT_PATH agrees with what the API then answers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubDouble } from './server.js';
import type { WorkflowRunRecord } from './state.js';

type Obj = Record<string, unknown>;

interface ExampleGroup {
  name: string;
  examples: Obj[];
}

const require = createRequire(import.meta.url);
let examples: ExampleGroup[] | undefined;

/** A webhook example from @octokit/webhooks-examples (a deep copy), e.g. ('pull_request', 'closed'). */
export function webhookExample(event: string, action?: string): Obj {
  examples ??= JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8')) as ExampleGroup[];
  const group = examples.find((g) => g.name === event);
  const example = group?.examples.find((e) => action === undefined || e['action'] === action);
  if (!example) throw new Error(`no webhook example for ${event}${action ? `.${action}` : ''}`);
  return structuredClone(example);
}

export interface WorkflowEvent {
  /** GITHUB_EVENT_NAME */
  name: string;
  payload: Obj;
  /** GITHUB_REF */
  ref: string;
  /** GITHUB_SHA */
  sha: string;
  /** GITHUB_HEAD_REF / GITHUB_BASE_REF (pull_request events) */
  headRef?: string;
  baseRef?: string;
}

function adapt(double: GitHubDouble, example: Obj, sender: string): Obj {
  const out: Obj = { ...example, repository: double.core.repository(), sender: double.core.user(sender) };
  delete out['installation'];
  if ('organization' in out) out['organization'] = { ...double.core.user(double.owner), description: null };
  return out;
}

async function defaultBranchHead(double: GitHubDouble): Promise<string> {
  const sha = await double.resolve(`refs/heads/${double.defaultBranch}`);
  if (!sha) throw new Error(`the default branch ${double.defaultBranch} does not exist`);
  return sha;
}

/** pull_request (default action 'closed') for a pull request of the double, as it is now. */
export async function pullRequestEvent(double: GitHubDouble, number: number, options: { action?: string; sender?: string } = {}): Promise<WorkflowEvent> {
  const action = options.action ?? 'closed';
  const rec = double.core.issues.get(number);
  if (!rec?.pull) throw new Error(`#${number} is not a pull request`);
  const example = webhookExample('pull_request', action === 'merged' ? 'closed' : action);
  const pull = await double.core.pull(rec, true);
  const payload = adapt(double, { ...example, action, number }, options.sender ?? rec.closed_by ?? double.owner);
  payload['pull_request'] = pull;
  const merged = rec.pull.merged && rec.pull.merge_commit_sha;
  return {
    name: 'pull_request',
    payload,
    ref: `refs/pull/${number}/merge`,
    sha: merged ? (rec.pull.merge_commit_sha as string) : (rec.pull.headSha ?? (await defaultBranchHead(double))),
    headRef: rec.pull.head,
    baseRef: rec.pull.base,
  };
}

/** check_run.requested_action: a person pressed the button `identifier` on a check run of the double. */
export async function checkRunRequestedActionEvent(double: GitHubDouble, checkRunId: number, identifier: string, options: { sender?: string } = {}): Promise<WorkflowEvent> {
  const c = double.core.checkRuns.find((x) => x.id === checkRunId);
  if (!c) throw new Error(`no check run ${checkRunId}`);
  if (!c.actions.some((a) => a.identifier === identifier)) throw new Error(`check run ${checkRunId} has no action ${identifier}`);
  const payload = adapt(double, webhookExample('check_run', 'requested_action'), options.sender ?? double.owner);
  payload['check_run'] = double.core.checkRun(c);
  payload['requested_action'] = { identifier };
  // check_run events run on the default branch's last commit.
  return { name: 'check_run', payload, ref: `refs/heads/${double.defaultBranch}`, sha: await defaultBranchHead(double) };
}

/** workflow_dispatch on a branch (default: the default branch) with inputs. */
export async function workflowDispatchEvent(double: GitHubDouble, options: { inputs?: Record<string, string>; ref?: string; sender?: string } = {}): Promise<WorkflowEvent> {
  const ref = options.ref ?? `refs/heads/${double.defaultBranch}`;
  const payload = adapt(double, webhookExample('workflow_dispatch'), options.sender ?? double.owner);
  payload['inputs'] = options.inputs ?? {};
  payload['ref'] = ref;
  payload['workflow'] = '.github/workflows/tenant-sync.yml';
  const sha = await double.resolve(ref);
  if (!sha) throw new Error(`${ref} does not exist`);
  return { name: 'workflow_dispatch', payload, ref, sha };
}

/**
 * schedule: GitHub's payload is `{ schedule, workflow }` plus the repository (there is no webhook
 * example for it); it runs on the default branch's last commit.
 */
export async function scheduleEvent(double: GitHubDouble, cron = '0 3 * * *'): Promise<WorkflowEvent> {
  const payload: Obj = { schedule: cron, workflow: '.github/workflows/tenant-sync.yml', repository: double.core.repository(), sender: double.core.user('github-actions[bot]') };
  return { name: 'schedule', payload, ref: `refs/heads/${double.defaultBranch}`, sha: await defaultBranchHead(double) };
}

/** push of `branch` from `before` to its current sha. */
export async function pushEvent(double: GitHubDouble, branch: string, before = '0000000000000000000000000000000000000000', options: { sender?: string } = {}): Promise<WorkflowEvent> {
  const after = await double.resolve(`refs/heads/${branch}`);
  if (!after) throw new Error(`branch ${branch} does not exist`);
  const payload = adapt(double, webhookExample('push'), options.sender ?? double.owner);
  const shas = await double.log(after, /^0+$/.test(before) ? undefined : before);
  const commits = [];
  for (const sha of shas) {
    const info = await double.commit(sha);
    if (info) commits.push({ id: sha, tree_id: info.tree, distinct: true, message: info.message, timestamp: info.committer.date, url: `${double.serverUrl}/${double.repository}/commit/${sha}`, author: { ...info.author, username: undefined }, committer: info.committer, added: [], removed: [], modified: [] });
  }
  Object.assign(payload, { ref: `refs/heads/${branch}`, before, after, created: /^0+$/.test(before), deleted: false, forced: false, base_ref: null, compare: `${double.serverUrl}/${double.repository}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`, commits, head_commit: commits[commits.length - 1] ?? null, pusher: { name: options.sender ?? double.owner, email: null } });
  return { name: 'push', payload, ref: `refs/heads/${branch}`, sha: after };
}

export interface RunnerEnv {
  /** The variables the runner sets for a step (merge into the action's environment). */
  env: Record<string, string>;
  /** RUNNER_TEMP's parent: event.json, summary.md, output, env, state, path, workspace/ */
  dir: string;
  eventPath: string;
  summaryPath: string;
  outputPath: string;
  workspace: string;
  run: WorkflowRunRecord;
  /** The job summary written so far (GITHUB_STEP_SUMMARY). */
  readSummary(): string;
  /** The step's outputs (GITHUB_OUTPUT, both `name=value` and heredoc forms). */
  readOutputs(): Record<string, string>;
  cleanup(): void;
}

/**
 * Writes the event payload and returns the environment of a job step running for it: a new workflow
 * run is registered with the double (GITHUB_RUN_ID; cancel and artifacts work on it) with a runtime
 * token for the artifact service.
 */
export function runnerEnv(double: GitHubDouble, event: WorkflowEvent, options: { workspace?: string; actor?: string; job?: string; extra?: Record<string, string> } = {}): RunnerEnv {
  const dir = mkdtempSync(join(tmpdir(), 'gh-runner-'));
  const files = { event: join(dir, 'event.json'), summary: join(dir, 'step_summary.md'), output: join(dir, 'output'), env: join(dir, 'env'), state: join(dir, 'state'), path: join(dir, 'path') };
  writeFileSync(files.event, JSON.stringify(event.payload, null, 2));
  for (const f of [files.summary, files.output, files.env, files.state, files.path]) writeFileSync(f, '');
  const workspace = options.workspace ?? join(dir, 'workspace');
  const temp = join(dir, 'temp');
  mkdirSync(temp, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const actor = options.actor ?? double.owner;
  const branch = event.ref.startsWith('refs/heads/') ? event.ref.slice(11) : (event.headRef ?? double.defaultBranch);
  const run = double.addWorkflowRun({ head_sha: event.sha, event: event.name, head_branch: branch, actor });
  const env: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: double.repository,
    GITHUB_REPOSITORY_OWNER: double.owner,
    GITHUB_REPOSITORY_ID: String(double.core.repoId),
    GITHUB_SHA: event.sha,
    GITHUB_REF: event.ref,
    GITHUB_REF_NAME: event.ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\/(\d+)\/merge$/, '$1/merge'),
    GITHUB_REF_TYPE: event.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_HEAD_REF: event.headRef ?? '',
    GITHUB_BASE_REF: event.baseRef ?? '',
    GITHUB_RUN_ID: String(run.id),
    GITHUB_RUN_NUMBER: String(run.run_number),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: run.name,
    GITHUB_WORKFLOW_REF: `${double.repository}/${run.path}@refs/heads/${double.defaultBranch}`,
    GITHUB_JOB: options.job ?? 'sync',
    GITHUB_ACTOR: actor,
    GITHUB_TRIGGERING_ACTOR: actor,
    GITHUB_SERVER_URL: double.serverUrl,
    GITHUB_API_URL: double.apiUrl,
    GITHUB_GRAPHQL_URL: `${double.apiUrl.replace(/\/v3$/, '')}/graphql`,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_STATE: files.state,
    GITHUB_PATH: files.path,
    GITHUB_WORKSPACE: workspace,
    GITHUB_TOKEN: double.token,
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 1',
    RUNNER_ENVIRONMENT: 'github-hosted',
    ACTIONS_RUNTIME_TOKEN: double.mintRuntimeToken(run.id),
    ACTIONS_RESULTS_URL: double.resultsUrl,
    ...options.extra,
  };
  return {
    env,
    dir,
    eventPath: files.event,
    summaryPath: files.summary,
    outputPath: files.output,
    workspace,
    run,
    readSummary: () => readFileSync(files.summary, 'utf8'),
    readOutputs: () => parseCommandFile(readFileSync(files.output, 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses a GITHUB_OUTPUT / GITHUB_ENV file: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      out[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
