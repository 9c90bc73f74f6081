/**
 * The action as a team meets it: the bundled dist/index.js run as the runner runs it (INPUT_*,
 * GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, a checkout of the repository), against
 * the tenant simulator and the GitHub double.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { configText, simEnv } from '../backup/helpers.js';
import { runnerEnv, startGitHubDouble, type GitHubDouble, type WorkflowEvent } from '../github/double/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.js';

const exec = promisify(execFile);
const action = resolve('dist/index.js');

export interface Lifecycle {
  sim: Simulator;
  gh: GitHubDouble;
  close(): Promise<void>;
}

export async function startLifecycle(options: { sim?: SimulatorOptions; config?: string; files?: Record<string, string> } = {}): Promise<Lifecycle> {
  const sim = await startSimulator(options.sim);
  const gh = await startGitHubDouble({
    collaborators: { contoso: 'admin', reviewer: 'write', triager: 'triage' },
    initialFiles: { 'README.md': '# tenant configuration\n', 'tenant-sync.yml': options.config ?? configText(sim), ...options.files },
  });
  return {
    sim,
    gh,
    async close() {
      await gh.close();
      await sim.close();
    },
  };
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  runId: number;
}

type Event = WorkflowEvent;

export interface RunActionOptions {
  /** Called with each chunk of the action's standard output as it arrives (the demo narrates statuses live) */
  onStdout?: (chunk: string) => void;
}

/** Checks the repository out (as actions/checkout does: the event's commit, origin with credentials) and runs the action */
export async function runAction(
  lc: Lifecycle,
  event: Event,
  inputs: Record<string, string> = {},
  extraEnv: Record<string, string> = {},
  options: RunActionOptions = {},
): Promise<ActionRun> {
  const runner = runnerEnv(lc.gh, event);
  try {
    const workspace = runner.workspace;
    await exec('git', ['clone', '--quiet', '--no-checkout', lc.gh.remoteUrl, workspace]);
    await exec('git', ['-C', workspace, 'fetch', '--quiet', 'origin', event.sha]).catch(() => undefined);
    await exec('git', ['-C', workspace, 'checkout', '--quiet', '--detach', event.sha]);
    const vars = Object.fromEntries(Object.entries({ token: lc.gh.token, ...inputs }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...runner.env, ...simEnv(lc.sim), ...vars, ...extraEnv };
    let code = 0;
    let stdout = '';
    let stderr = '';
    try {
      const running = exec(process.execPath, [action], { cwd: workspace, env, maxBuffer: 64 * 1024 * 1024 });
      const onStdout = options.onStdout;
      if (onStdout) running.child.stdout?.on('data', (chunk: Buffer | string) => onStdout(String(chunk)));
      ({ stdout, stderr } = await running);
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      ({ code, stdout, stderr } = err);
    }
    return { code, stdout, stderr, summary: runner.readSummary(), outputs: runner.readOutputs(), runId: runner.run.id };
  } finally {
    runner.cleanup();
  }
}

/** The statuses the action logged for a tenant, in order */
export function statusesOf(run: ActionRun, tenant = 'contoso'): string[] {
  const prefix = `${tenant}: `;
  const names = ['Not run', 'Starting', 'In progress', 'Pending authentication', 'Pending approval', 'Idle', 'Partially successful', 'New error', 'Pending admin consent'];
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).split(' - ')[0]!)
    .filter((s) => names.includes(s));
}

/** As runAction, but returns the running child (to send it a signal) and a promise of its end */
export async function spawnAction(lc: Lifecycle, event: Event, inputs: Record<string, string> = {}, extraEnv: Record<string, string> = {}) {
  const { spawn } = await import('node:child_process');
  const runner = runnerEnv(lc.gh, event);
  const workspace = runner.workspace;
  await exec('git', ['clone', '--quiet', '--no-checkout', lc.gh.remoteUrl, workspace]);
  await exec('git', ['-C', workspace, 'checkout', '--quiet', '--detach', event.sha]);
  const vars = Object.fromEntries(Object.entries({ token: lc.gh.token, ...inputs }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...runner.env, ...simEnv(lc.sim), ...vars, ...extraEnv };
  const child = spawn(process.execPath, [action], { cwd: workspace, env });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  const done = new Promise<ActionRun>((resolveRun) => {
    child.on('close', (code) => {
      const run = { code: code ?? 1, stdout, stderr: '', summary: runner.readSummary(), outputs: runner.readOutputs(), runId: runner.run.id };
      runner.cleanup();
      resolveRun(run);
    });
  });
  return { child, done, runId: runner.run.id, output: () => stdout };
}

/** Label names, whether the double gives them as strings or objects */
export function labelNames(labels: unknown): string[] {
  return (labels as (string | { name?: string })[]).map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
}

/** The dashboard issues (tenant-sync keeps exactly one), bodies as text */
export function dashboardIssues(lc: Lifecycle): { number: number; body: string }[] {
  return lc.gh
    .issues()
    .filter((i) => labelNames(i.labels).includes('tenant-sync:dashboard'))
    .map((i) => ({ ...i, body: i.body ?? '' }));
}

/** A person's change on main: flips isTrusted of the first named location that has it */
export async function flipTrust(lc: Lifecycle, message = 'Change trust', author?: { name: string; email: string }) {
  const tree = await lc.gh.readTree('main');
  const [path, text] = Object.entries(tree).find(([p, t]) => p.includes('/namedLocations/') && t.includes('"isTrusted"'))!;
  const object = JSON.parse(text) as Record<string, unknown>;
  const isTrusted = !(object['isTrusted'] as boolean);
  await lc.gh.commitFiles('main', { [path]: `${JSON.stringify({ ...object, isTrusted }, null, 2)}\n` }, message, author ? { author } : {});
  return { path, object, name: object['displayName'] as string, isTrusted };
}
