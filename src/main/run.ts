import * as core from '@actions/core';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { githubIdTokenSource } from '../auth/federated.js';
import { loadConfig, parseConfig, selectTenant, type LoadedConfig, type TenantConfig } from '../config/load.js';
import { endedByCancel, readRecordFile } from '../deploy/record.js';
import { formatBackupSummary } from '../engine/summary.js';
import { syncBackup } from '../engine/sync.js';
import { validateTenant, validateTenantFolders } from '../engine/validate.js';
import { isTenantSyncError, TenantSyncError } from '../errors/index.js';
import { reviewOf, type Review } from '../github/approvalPullRequest.js';
import { createRepoContext, type RepoContext } from '../github/context.js';
import { updateDashboard } from '../github/dashboard.js';
import { GitRepository } from '../github/git.js';
import { createMemoryLogger, teeLogger, type Logger } from '../log/index.js';
import type { Language } from '../status/index.js';
import { readInputs, type Command, type Inputs } from './inputs.js';
import { syncSummaryMarkdown } from './jobSummary.js';
import type { TenantOutcome } from './outcome.js';
import { createTenantReporter, logStatus } from './reporter.js';
import { createCancellation } from './cancellation.js';
import { pressButton } from './checkRunAction.js';
import { AFTER_CANCEL_FIX, reviewTenant } from './review.js';
import { syncTenant } from './sync.js';

/** The Actions toolkit as the engine's logger: secrets masked by the runner, errors as annotations */
export function actionsLogger(workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()): Logger {
  // Annotations name files relative to the repository root, or GitHub does not attach them.
  const props = (l?: { file?: string; line?: number; column?: number }) =>
    l?.file ? { file: isAbsolute(l.file) ? relative(workspace, l.file) : l.file, startLine: l.line, startColumn: l.column } : undefined;
  return {
    info: (m) => core.info(m),
    warn: (m, l) => core.warning(m, props(l)),
    error: (m, l) => core.error(m, props(l)),
    debug: (m) => core.debug(m),
    secret: (v) => {
      if (v) core.setSecret(v);
    },
    progress: () => {},
  };
}

export interface GitHubEvent {
  name: string;
  payload: Record<string, unknown>;
}

/**
 * The command an event asks for. A closed pull request is only a review when it comes from an
 * approval branch; reviewOf tells apply, reject and revert apart (and refuses look-alikes).
 */
export function commandForEvent(event: GitHubEvent): Command | 'none' | 'button' {
  switch (event.name) {
    case 'schedule':
    case 'workflow_dispatch':
    case 'push':
      return 'sync';
    case 'pull_request':
    case 'pull_request_target': {
      const action = event.payload.action;
      if (action === 'closed') return 'apply'; // apply, reject or revert: decided from the pull request
      // Only pull requests into the default branch change the desired configuration
      const base = (event.payload.pull_request as { base?: { ref?: string } } | undefined)?.base?.ref;
      const defaultBranch = (event.payload.repository as { default_branch?: string } | undefined)?.default_branch;
      if (base && defaultBranch && base !== defaultBranch) return 'none';
      if (action === 'opened' || action === 'synchronize' || action === 'reopened') return 'validate';
      return 'none';
    }
    case 'check_run':
      return event.payload.action === 'requested_action' ? 'button' : 'none';
    default:
      throw new TenantSyncError('USAGE', `no command is chosen for the event "${event.name}"`, 'Set the "command" input of the action.');
  }
}

async function readEvent(env: NodeJS.ProcessEnv): Promise<GitHubEvent> {
  const name = env.GITHUB_EVENT_NAME ?? '';
  if (!env.GITHUB_EVENT_PATH) return { name, payload: {} };
  try {
    return { name, payload: JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown> };
  } catch {
    return { name, payload: {} };
  }
}

const reviewCommands: readonly Command[] = ['apply', 'reject', 'revert'];

export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLogger();
  cancelOnSignal(log);
  try {
    const inputs = readInputs();
    if (inputs.token) core.setSecret(inputs.token);
    // The runner masks these itself; registering them costs nothing and covers self-hosted set-ups
    for (const name of ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'] as const) if (env[name]) core.setSecret(env[name]);
    const event = await readEvent(env);
    const command = inputs.command ?? commandForEvent(event);
    if (command === 'none') {
      log.info(`Nothing to do for ${event.name} ${String(event.payload.action ?? '')}.`);
      return;
    }
    const root = resolve(inputs.workingDirectory);
    if (command === 'button') return await buttonCommand(inputs, root, event, env, log);
    if (reviewCommands.includes(command)) return await reviewCommand(command, inputs, root, event, env, log);
    const config = await loadConfig(resolve(root, inputs.config), env);
    switch (command) {
      case 'matrix': {
        const names = config.tenants.map((t) => t.name);
        core.setOutput('tenants', JSON.stringify(names));
        log.info(`tenants: ${names.join(', ')}`);
        return;
      }
      case 'backup':
        return await backupCommand(config, inputs, root, env, log);
      case 'validate':
        return await validateCommand(config, inputs, root, log);
      case 'status': {
        const ctx = await repoContext(inputs, env, event);
        if (!ctx) throw new TenantSyncError('USAGE', 'the status command needs a token and GITHUB_REPOSITORY', 'Run it in a workflow (the `token` input defaults to github.token).');
        const issue = await updateDashboard(ctx, { tenants: config.tenants, language: dashboardLanguage(config), log });
        if (issue) log.info(`The dashboard is ${issue.url}`);
        return;
      }
      case 'sync':
        return await syncCommand(config, inputs, root, env, event, log);
      default:
        throw new TenantSyncError('USAGE', `the command "${command}" is for the command line`, 'Use sync, apply, reject, revert, status, matrix, validate or backup in a workflow; run plan with npx tenant-sync plan.');
    }
  } catch (e) {
    if (isTenantSyncError(e)) {
      log.error(`${e.message} Fix: ${e.fix} (${e.code}, see ${e.docs})`, e.location);
      core.setFailed(`${e.code}: ${e.message}`);
    } else {
      core.setFailed(`unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}

function dashboardLanguage(config: LoadedConfig): Language {
  return config.raw.defaults?.language ?? config.tenants[0]?.language ?? 'en';
}

function selectedTenants(config: LoadedConfig, inputs: Inputs): TenantConfig[] {
  return inputs.tenant ? [selectTenant(config, inputs.tenant)] : config.tenants;
}

/** The repository the run works on; undefined without a token or outside a workflow */
async function repoContext(inputs: Inputs, env: NodeJS.ProcessEnv, event: GitHubEvent): Promise<RepoContext | undefined> {
  const token = inputs.token ?? env.GITHUB_TOKEN;
  if (!token || !env.GITHUB_REPOSITORY) return undefined;
  core.setSecret(token);
  const repository = event.payload.repository as { default_branch?: string } | undefined;
  let defaultBranch = repository?.default_branch;
  const ctx = createRepoContext({ env, token, defaultBranch: defaultBranch ?? 'main', sha: env.GITHUB_SHA ?? '' });
  if (!defaultBranch) {
    try {
      defaultBranch = (await ctx.octokit.rest.repos.get({ owner: ctx.owner, repo: ctx.repo })).data.default_branch;
    } catch (e) {
      throw new TenantSyncError('GITHUB_REQUEST_FAILED', `the repository ${ctx.owner}/${ctx.repo} could not be read: ${(e as Error).message}`, 'Check the `token` input and the workflow permissions (contents: read at least).');
    }
  }
  return { ...ctx, defaultBranch };
}

async function syncCommand(config: LoadedConfig, inputs: Inputs, root: string, env: NodeJS.ProcessEnv, event: GitHubEvent, log: Logger): Promise<void> {
  const ctx = await repoContext(inputs, env, event);
  if (!ctx) throw new TenantSyncError('USAGE', 'sync needs a token and GITHUB_REPOSITORY (it commits, opens pull requests and reports on GitHub)', 'Run it in a workflow, or use the command line locally: npx tenant-sync backup / plan.');
  const git = new GitRepository(root, log, env);
  const outcomes: TenantOutcome[] = [];
  for (const tenant of selectedTenants(config, inputs)) {
    outcomes.push(
      await forTenant(config, tenant, ctx, env, log, 'sync', (tenantLog, onStatus) =>
        syncTenant({ ctx, git, tenant, log: tenantLog, sources: { env, getIdToken: githubIdTokenSource(env, tenantLog) }, onStatus, tempRoot: env.RUNNER_TEMP }),
      ),
    );
  }
  concludeStep(outcomes);
}

/**
 * apply / reject / revert from a closed pull request. tenant-sync.yml is read from the default
 * branch (the event's checkout is the state branch's merge, which has no configuration), and the
 * pull request from the event payload; reviewOf refuses anything but tenant-sync's own.
 */
async function reviewCommand(command: Command, inputs: Inputs, root: string, event: GitHubEvent, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const ctx = await repoContext(inputs, env, event);
  if (!ctx) throw new TenantSyncError('USAGE', `${command} needs a token and GITHUB_REPOSITORY`, 'Run it in a workflow triggered by pull_request: closed.');
  const pr = event.payload.pull_request;
  if (event.payload.action !== 'closed' || !pr) {
    throw new TenantSyncError('USAGE', `${command} runs on a closed approval pull request, not on "${event.name}${event.payload.action ? ` ${String(event.payload.action)}` : ''}"`, 'Trigger the workflow with pull_request: types: [closed], and leave the command input empty.');
  }
  const git = new GitRepository(root, log, env);
  const config = await configFromDefaultBranch(git, ctx, inputs, env);
  await reviewPullRequest({ ctx, git, config, inputs, env, log, pr, sender: (event.payload.sender as { login?: string } | undefined)?.login, expected: inputs.command });
}

/** A button pressed on a check run: the same paths as by hand once the pull request is merged or closed */
async function buttonCommand(inputs: Inputs, root: string, event: GitHubEvent, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const ctx = await repoContext(inputs, env, event);
  if (!ctx) throw new TenantSyncError('USAGE', 'a check run action needs a token and GITHUB_REPOSITORY', 'Run it in a workflow triggered by check_run: types: [requested_action].');
  const git = new GitRepository(root, log, env);
  const config = await configFromDefaultBranch(git, ctx, inputs, env);
  const pressed = await pressButton(ctx, config, event.payload, log);
  if (pressed.kind === 'done') {
    log.info(pressed.message);
    return;
  }
  const headSha = (event.payload.check_run as { head_sha?: string } | undefined)?.head_sha;
  await reviewPullRequest({
    ctx: headSha ? { ...ctx, sha: headSha } : ctx,
    git,
    config,
    inputs,
    env,
    log,
    pr: pressed.pullRequest,
    sender: (event.payload.sender as { login?: string } | undefined)?.login,
    expected: pressed.action === 'approve' ? 'apply' : pressed.action,
    approvedBy: pressed.action === 'approve' ? (event.payload.sender as { login?: string } | undefined)?.login : undefined,
  });
}

async function reviewPullRequest(args: {
  ctx: RepoContext;
  git: GitRepository;
  config: LoadedConfig;
  inputs: Inputs;
  env: NodeJS.ProcessEnv;
  log: Logger;
  pr: unknown;
  sender: string | undefined;
  expected: Command | undefined;
  /** Who pressed Approve (already checked for write access) when the action merged for them */
  approvedBy?: string;
}): Promise<void> {
  const { ctx, git, config, inputs, env, log, pr, sender } = args;
  const review: Review | undefined = reviewOf(ctx, pr, config.tenants.map((t) => t.name));
  if (!review) {
    log.info(`#${String((pr as { number?: number }).number)} is not a tenant-sync approval pull request: nothing to do.`);
    return;
  }
  if (args.expected && args.expected !== review.kind) {
    throw new TenantSyncError('APPROVAL_REFUSED', `the command input says ${args.expected}, but #${review.pr.number} was ${review.kind === 'apply' ? 'merged' : review.kind === 'revert' ? `closed with the revert label` : 'closed without merging'} (${review.kind})`, 'Leave the command input empty on pull_request events: the pull request decides.');
  }
  if (inputs.tenant && inputs.tenant !== review.tenant) {
    log.info(`#${review.pr.number} is about ${review.tenant}; this job is for ${inputs.tenant}: nothing to do.`);
    return;
  }
  const tenant = selectTenant(config, review.tenant);
  const outcome = await forTenant(config, tenant, ctx, env, log, review.kind, (tenantLog, onStatus, recordFile) =>
    reviewTenant({ ctx, git, tenant, log: tenantLog, sources: { env, getIdToken: githubIdTokenSource(env, tenantLog) }, onStatus, tempRoot: env.RUNNER_TEMP, review, sender, recordFile, approvedBy: args.approvedBy, signal: cancellation.signal }),
  );
  concludeStep([outcome]);
}

async function configFromDefaultBranch(git: GitRepository, ctx: RepoContext, inputs: Inputs, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const path = join(inputs.workingDirectory === '.' ? '' : relative(await git.out(['rev-parse', '--show-toplevel']), resolve(inputs.workingDirectory)), inputs.config).replace(/\\/g, '/');
  const tip = await git.fetchBranch(ctx.defaultBranch);
  const text = tip && (await git.readFile(tip, path));
  if (text === undefined || !tip) {
    throw new TenantSyncError('CONFIG_NOT_FOUND', `${path} was not found on ${ctx.defaultBranch}`, `Commit ${path} to ${ctx.defaultBranch}.`);
  }
  // Parsed in place of the checkout's copy, so relative paths in it resolve as they would there
  return parseConfig(text, resolve(inputs.workingDirectory, inputs.config), env);
}

/** Aborted at SIGINT/SIGTERM: an apply under way stops before its next change */
const cancellation = createCancellation();

function cancelOnSignal(log: Logger): void {
  const handler = (signal: string) => {
    log.warn(`The run was cancelled (${signal}): recording where each tenant stopped.`);
    void cancellation.cancel(signal).finally(() => {
      core.setFailed(`SYNC_CANCELLED: the run was cancelled (${signal})`);
      process.exit(1);
    });
  };
  // Kept for every signal (not once): the runner's SIGTERM after its SIGINT must not kill the report
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

/** One tenant's run with its own log (for the artifact) and reporter; whatever happens, the views are updated */
async function forTenant(
  config: LoadedConfig,
  tenant: TenantConfig,
  ctx: RepoContext,
  env: NodeJS.ProcessEnv,
  log: Logger,
  command: TenantOutcome['command'],
  run: (tenantLog: Logger, onStatus: ReturnType<typeof createTenantReporter>['onStatus'], recordFile: string) => Promise<TenantOutcome>,
): Promise<TenantOutcome> {
  const memory = createMemoryLogger();
  const tenantLog = teeLogger(log, memory);
  const reporter = createTenantReporter({ ctx, tenant, tenants: config.tenants, language: dashboardLanguage(config), log: tenantLog, logLines: () => memory.lines, env });
  const history: TenantOutcome['history'] = [];
  const onStatus: typeof reporter.onStatus = async (status, details) => {
    history.push({ status, details });
    await reporter.onStatus(status, details);
  };
  const recordFile = join(env.RUNNER_TEMP || tmpdir(), `tenant-sync-${tenant.name}-${process.pid}-deploy-record.json`);
  const recorded = () => readRecordFile(recordFile).catch(() => undefined);
  // The apply did not stop in time (a write's answer has not come) or this is not an apply: the
  // record as far as it got, finished now
  const reportCancel = async (signal: string) => {
    const left = await recorded();
    const deploy = left && endedByCancel(left, new Date());
    const at = history.at(-1)?.status ?? 'Starting';
    const error = new TenantSyncError(
      'SYNC_CANCELLED',
      `the ${command} of ${tenant.name} was cancelled (${signal}) while ${at}${deploy ? `; the deploy had applied ${deploy.counts.applied} of ${deploy.counts.items} change(s) and had ${deploy.counts.inProgress} write(s) in flight (made or not: see the deploy record)` : ''}`,
      deploy ? AFTER_CANCEL_FIX : 'Sync again.',
    );
    tenantLog.error(`${tenant.name}: ${error.message}`);
    await reporter.finish({ tenant, command, final: 'New error', history: [...history, { status: 'New error', details: {} }], error, deploy, notes: [] });
  };
  const tracked = cancellation.track(tenant.name, {
    stopsOnSignal: async () => (await recorded())?.status === 'running',
    reportCancel,
  });
  try {
    const outcome = await run(tenantLog, onStatus, recordFile);
    if (outcome.report) tenantLog.info(formatBackupSummary(outcome.report));
    for (const note of outcome.notes) tenantLog.info(`${tenant.name}: ${note}`);
    if (outcome.error) tenantLog.error(`${tenant.name}: ${outcome.error.message} Fix: ${outcome.error.fix} (${outcome.error.code}, see ${outcome.error.docs})`, outcome.error.location);
    await tracked.report(() => reporter.finish(outcome));
    return outcome;
  } finally {
    await rm(recordFile, { force: true });
    tracked.end();
  }
}

/** The step fails when a tenant needs someone to act on an error; waiting for approval is a normal end */
function concludeStep(outcomes: readonly TenantOutcome[]): void {
  const failing = outcomes.filter((o) => o.final === 'New error' || o.final === 'Pending admin consent');
  const partial = outcomes.filter((o) => o.final === 'Partially successful');
  for (const o of partial) core.warning(`${o.tenant.name}: Partially successful${o.error ? ` (${o.error.code})` : ''}; see the job summary.`);
  if (failing.length > 0) core.setFailed(failing.map((o) => `${o.tenant.name}: ${o.final}${o.error ? ` (${o.error.code})` : ''}`).join('; '));
}

async function backupCommand(config: LoadedConfig, inputs: Inputs, root: string, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const runUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const finals: string[] = [];
  for (const tenant of selectedTenants(config, inputs)) {
    const run = await syncBackup({
      tenant,
      root,
      log,
      sources: { env, getIdToken: githubIdTokenSource(env, log) },
      onStatus: (status, details) => logStatus(log, tenant.name, status, details),
    });
    if (run.report) log.info(formatBackupSummary(run.report));
    if (run.error) log.error(`${run.error.message} Fix: ${run.error.fix} (${run.error.code}, see ${run.error.docs})`, run.error.location);
    if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(syncSummaryMarkdown(tenant, run, { run: runUrl })).write();
    finals.push(`${tenant.name}: ${run.final}`);
    core.setOutput(`status-${tenant.name}`, run.final);
  }
  const notIdle = finals.filter((f) => !f.endsWith(': Idle'));
  if (notIdle.length > 0) core.setFailed(notIdle.join('; '));
}

async function validateCommand(config: LoadedConfig, inputs: Inputs, root: string, log: Logger): Promise<void> {
  const tenants = selectedTenants(config, inputs);
  let count = 0;
  for (const tenant of tenants) {
    for (const p of await validateTenant(root, tenant)) {
      // An annotation on the file and line of the pull request
      if (p.severity === 'warning') {
        log.warn(`${p.message} Fix: ${p.fix} (${p.code})`, p);
        continue;
      }
      count++;
      log.error(`${p.message} Fix: ${p.fix} (${p.code})`, p);
    }
  }
  if (!inputs.tenant) {
    for (const p of await validateTenantFolders(root, config.tenants.map((t) => t.name), { configFile: config.file })) {
      count++;
      log.error(`${p.message} Fix: ${p.fix} (${p.code})`, p);
    }
  }
  if (count > 0) core.setFailed(`${count} problem(s) in the tenants' files; see the annotations`);
  else log.info(`${tenants.map((t) => t.name).join(', ')}: the files are valid`);
}
