/**
 * Shared ground for the fault matrix (test/reliability/faults.*.test.ts): the bundled action
 * (dist/index.js) against the tenant simulator and the GitHub double, as in test/lifecycle, plus
 * what a fault case needs on top:
 *
 * - a hook on every request the GitHub double answers (to make a race happen at a chosen point);
 * - the action spawned as its own process, to kill it (SIGTERM, SIGKILL) at a chosen point;
 * - a commit made synchronously in the double's bare repository (the race's winner);
 * - the invariants every case checks: the simulator's write log, the deploy record (the run's
 *   artifact) against that log, the state branch against the tenant, nothing deleted because it
 *   could not be read, and a rerun that converges without duplicate objects.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect } from 'vitest';
import { deployRecordSchema, type DeployRecord } from '../../src/deploy/record.js';
import { parsePlan, type Plan } from '../../src/reconcile/index.js';
import { findResource } from '../../src/resources/catalogue.js';
import { configText, simEnv } from '../backup/helpers.js';
import { pushEvent, runnerEnv, scheduleEvent, startGitHubDouble, type RunnerEnv, type WorkflowEvent } from '../github/double/index.js';
import { runAction, statusesOf, type ActionRun, type Lifecycle } from '../lifecycle/harness.js';
import { startSimulator, type SimulatorOptions, type WriteRecord } from '../simulator/index.js';

const exec = promisify(execFile);
const ACTION = resolve('dist/index.js');

export const STATE = 'tenant-sync/state/contoso';
export const APPROVE = 'tenant-sync/approve/contoso';
export const CHECK = 'tenant-sync / contoso';
export const PLAN_FILE = '.tenant-sync/contoso/plan.json';
export const IDLE = ['Starting', 'In progress', 'Idle'];
export const PENDING_APPROVAL = ['Starting', 'In progress', 'Pending approval'];
export const PARTIAL = ['Starting', 'In progress', 'Partially successful'];

export { runAction, statusesOf, type ActionRun };

export interface Lab extends Lifecycle {
  /** Calls `hook` with each line the GitHub double logs: one per request, right after it was answered */
  onGitHub(hook: (line: string) => void): () => void;
}

/** The simulator and the GitHub double (collaborators as in test/lifecycle), with a hook on the double's requests */
export async function startLab(options: { sim?: SimulatorOptions; configExtra?: string } = {}): Promise<Lab> {
  const sim = await startSimulator(options.sim);
  const hooks = new Set<(line: string) => void>();
  const gh = await startGitHubDouble({
    collaborators: { contoso: 'admin', reviewer: 'write', triager: 'triage' },
    initialFiles: { 'README.md': '# tenant configuration\n', 'tenant-sync.yml': configText(sim, options.configExtra ?? '') },
    log: (line) => {
      for (const hook of [...hooks]) hook(line);
    },
  });
  return {
    sim,
    gh,
    onGitHub(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    async close() {
      hooks.clear();
      await gh.close();
      await sim.close();
    },
  };
}

/**
 * Lanes: the cases of one lane share a lab and run one after the other; lanes run side by side
 * (vitest runs the files of this folder one at a time on two cores, so the concurrency is here).
 * `serial()` chains the runs of one lane; `interleave()` orders the rows lane by lane so that
 * vitest's concurrent slots (maxConcurrency 5) start every lane's head first.
 */
export function serial(): <T>(run: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(run: () => Promise<T>) => {
    const next = tail.then(run);
    tail = next.catch(() => undefined);
    return next;
  };
}

export function interleave<T>(...lanes: T[][]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(...lanes.map((l) => l.length)); i++) for (const lane of lanes) if (lane[i] !== undefined) out.push(lane[i]!);
  return out;
}

/** A lab made on first use, after a first sync (Idle) */
export function lazyLab(options: Parameters<typeof startLab>[0] = {}): { get(): Promise<Lab>; close(): Promise<void> } {
  let made: Promise<Lab> | undefined;
  let started: Lab | undefined;
  return {
    get() {
      made ??= (async () => {
        const lab = (started = await startLab(options));
        const first = await runAction(lab, await scheduleEvent(lab.gh));
        expect(statusesOf(first), first.stdout).toEqual(IDLE);
        return lab;
      })();
      return made;
    },
    async close() {
      await made?.catch(() => undefined);
      await started?.close();
    },
  };
}

/**
 * Checks that do not stop the case: a case goes on to its rerun (so that the lane it shares stays
 * converged), and fails at the end with every check that did not hold. (vitest's expect.soft
 * cannot tell concurrent tests apart.)
 */
export function softly(): { check(what: string, run: () => unknown): Promise<void>; done(): void } {
  const failures: string[] = [];
  return {
    async check(what, run) {
      try {
        await run();
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message}`);
      }
    },
    done() {
      expect(failures, 'checks that did not hold').toEqual([]);
    },
  };
}

/** Waits (polling) until `check` holds; fails the test with `what` when it never does */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// the action as its own process (to kill it)

export interface SpawnedAction {
  child: ChildProcess;
  runner: RunnerEnv;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  /** Files left under RUNNER_TEMP, relative to it */
  leftovers(): string[];
  cleanup(): void;
}

/** As runAction (test/lifecycle/harness.ts): the event's checkout and the runner's environment, but spawned and not awaited */
export async function spawnAction(lab: Lab, event: WorkflowEvent, inputs: Record<string, string> = {}): Promise<SpawnedAction> {
  const runner = runnerEnv(lab.gh, event);
  const workspace = runner.workspace;
  await exec('git', ['clone', '--quiet', '--no-checkout', lab.gh.remoteUrl, workspace]);
  await exec('git', ['-C', workspace, 'fetch', '--quiet', 'origin', event.sha]).catch(() => undefined);
  await exec('git', ['-C', workspace, 'checkout', '--quiet', '--detach', event.sha]);
  const vars = Object.fromEntries(Object.entries({ token: lab.gh.token, ...inputs }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...runner.env, ...simEnv(lab.sim), ...vars };
  const child = spawn(process.execPath, [ACTION], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += String(c)));
  child.stderr!.on('data', (c: Buffer) => (out += String(c)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const temp = runner.env.RUNNER_TEMP!;
  return {
    child,
    runner,
    exited,
    stdout: () => out,
    leftovers: () => listFiles(temp).map((f) => relative(temp, f)),
    cleanup: () => runner.cleanup(),
  };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// GitHub

/**
 * Commits files onto a branch of the double's bare repository right now, synchronously (git
 * plumbing with a private index). Called from a request hook, it blocks the double's event loop
 * until the branch has moved, so the action's next request already sees the new commit.
 */
export function commitNow(lab: Lab, branch: string, files: Record<string, string>, message: string): string {
  const index = join(mkdtempSync(join(tmpdir(), 'faults-index-')), 'index');
  const env = {
    ...process.env,
    GIT_DIR: lab.gh.bareRepoPath,
    GIT_INDEX_FILE: index,
    GIT_AUTHOR_NAME: 'Alex Admin',
    GIT_AUTHOR_EMAIL: 'alex@contoso.example',
    GIT_COMMITTER_NAME: 'Alex Admin',
    GIT_COMMITTER_EMAIL: 'alex@contoso.example',
  };
  const git = (args: string[], input?: string) => execFileSync('git', args, { env, input }).toString().trim();
  try {
    const old = git(['rev-parse', `refs/heads/${branch}`]);
    git(['read-tree', old]);
    for (const [path, content] of Object.entries(files)) {
      const blob = git(['hash-object', '-w', '--stdin'], content);
      git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
    }
    const commit = git(['commit-tree', git(['write-tree']), '-p', old, '-m', message]);
    git(['update-ref', `refs/heads/${branch}`, commit, old]);
    return commit;
  } finally {
    rmSync(dirname(index), { recursive: true, force: true });
  }
}

export interface Branches {
  main: string;
  state: string | undefined;
  mainTree: Record<string, string>;
  stateTree: Record<string, string>;
}

export async function branchesNow(lab: Lab): Promise<Branches> {
  const main = (await lab.gh.resolve('main'))!;
  const state = await lab.gh.resolve(STATE);
  return { main, state, mainTree: await lab.gh.readTree('main'), stateTree: state ? await lab.gh.readTree(STATE) : {} };
}

export const tenantPaths = (tree: Record<string, string>): string[] => Object.keys(tree).filter((p) => p.startsWith('tenants/contoso/')).sort();

export function openPulls(lab: Lab) {
  return lab.gh.pulls().filter((p) => p.state === 'open');
}

/** The plan the run made (its artifact's plan.json) */
export function planOf(lab: Lab, run: ActionRun): Plan | undefined {
  const text = lab.gh.artifacts({ runId: run.runId, name: 'tenant-sync-contoso' })[0]?.files().get('plan.json');
  return text ? parsePlan(JSON.parse(text.toString())) : undefined;
}

/** The deploy record the run published (its artifact's deploy-record.json) */
export function deployRecordOf(lab: Lab, run: ActionRun): DeployRecord | undefined {
  const text = lab.gh.artifacts({ runId: run.runId, name: 'tenant-sync-contoso' })[0]?.files().get('deploy-record.json');
  return text ? deployRecordSchema.parse(JSON.parse(text.toString())) : undefined;
}

/** The `retry` notices the Graph client logged (::debug::retry N of METHOD url after CODE, waiting X ms) */
export function retriesIn(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('::debug::retry '));
}

/** The pushes the action tried to a branch (every `git push` it ran, from its debug log) */
export function pushAttempts(stdout: string, branch: string): number {
  return stdout.split('\n').filter((l) => l.startsWith('::debug::git push ') && l.endsWith(`:refs/heads/${branch}`)).length;
}

// ---------------------------------------------------------------------------------------------
// files on main

export async function fileOn(lab: Lab, ref: string, type: string, name: string): Promise<{ path: string; object: Record<string, unknown> }> {
  const tree = await lab.gh.readTree(ref);
  for (const [path, text] of Object.entries(tree)) {
    if (!path.startsWith('tenants/contoso/') || path.split('/')[3] !== type) continue;
    const object = JSON.parse(text) as Record<string, unknown>;
    if (object['displayName'] === name || object['name'] === name) return { path, object };
  }
  throw new Error(`no file for ${type} '${name}' on ${ref}`);
}

/** Commits desired changes on main and syncs: one approval pull request, Pending approval */
export async function propose(lab: Lab, files: Record<string, string | null>, message: string): Promise<{ number: number; plan: Plan; run: ActionRun }> {
  const before = (await lab.gh.resolve('main'))!;
  await lab.gh.commitFiles('main', files, message, { author: { name: 'Alex Admin', email: 'alex@contoso.example' } });
  const run = await runAction(lab, await pushEvent(lab.gh, 'main', before));
  expect(statusesOf(run), run.stdout).toEqual(PENDING_APPROVAL);
  const open = openPulls(lab);
  expect(open).toHaveLength(1);
  const plan = parsePlan(JSON.parse((await lab.gh.readFile(APPROVE, PLAN_FILE))!));
  return { number: open[0]!.number, plan, run };
}

/** The object of a type in the simulated tenant with this name (display name or the type's name field) */
export function tenantObject(lab: Lab, type: string, name: string): Record<string, unknown> | undefined {
  return lab.sim.state(type).find((o) => (o as Record<string, unknown>)['displayName'] === name || (o as Record<string, unknown>)['name'] === name) as Record<string, unknown> | undefined;
}

// ---------------------------------------------------------------------------------------------
// the invariants

/** Names carried by more than one object of a type: a duplicate create */
export function duplicateObjects(lab: Lab): string[] {
  const out: string[] = [];
  for (const [type, count] of Object.entries(lab.sim.tenant.counts())) {
    if (count < 2) continue;
    const def = findResource(type);
    if (!def || def.kind === 'singleton') continue;
    const seen = new Map<string, number>();
    for (const o of lab.sim.state(type) as Record<string, unknown>[]) {
      const name = String(o[def.nameField]);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    for (const [name, n] of seen) if (n > 1) out.push(`${type}: ${name} x${n}`);
  }
  return out;
}

/**
 * Nothing is deleted because it could not be read: no DELETE reached the tenant, and every file
 * of the tenant on the state branch and on main before is still there (but those named, which the
 * tenant really lost).
 */
export async function expectNothingDeleted(lab: Lab, before: Branches, removedInTenant: string[] = []): Promise<void> {
  expect(lab.sim.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
  const after = await branchesNow(lab);
  for (const [branch, was, now] of [
    ['state', before.stateTree, after.stateTree],
    ['main', before.mainTree, after.mainTree],
  ] as const) {
    expect(
      tenantPaths(was).filter((p) => !(p in now) && !removedInTenant.includes(p)),
      `files dropped from ${branch}`,
    ).toEqual([]);
  }
}

const pathOnly = (p: string) => p.split('?')[0]!;

/**
 * The deploy record describes exactly what was written: every write Graph accepted is in it, under
 * its object, with Graph's request-id; every request it shows an answer for is in Graph's write
 * log with that answer; and each item's id is the object the writes went to.
 */
export function expectRecordDescribesWrites(record: DeployRecord, writes: readonly WriteRecord[], options: { inFlight?: boolean } = {}): void {
  const requests = record.items.flatMap((i) => i.requests);
  // One to one by the client-request-id each attempt carried: every write Graph accepted is in the
  // record, with its status, or with null when its answer never came back (a lost answer, a
  // timeout: the record says Graph may have applied it)
  const byClientId = new Map(requests.filter((r) => r.clientRequestId !== null).map((r) => [r.clientRequestId!, r]));
  expect(byClientId.size, 'attempts recorded twice under one client-request-id').toBe(requests.filter((r) => r.clientRequestId !== null).length);
  // A run stopped on the spot may have a write out whose answer it never wrote down: its item is
  // 'in-progress' (marked before the write went out), which is what the record promises
  const inFlight = (w: WriteRecord) => options.inFlight === true && !byClientId.has(w.clientRequestId) && record.items.some((i) => i.result === 'in-progress' && i.id && w.path.includes(i.id));
  const missing: string[] = [];
  for (const w of writes.filter((x) => x.status < 400 && !inFlight(x))) {
    const r = byClientId.get(w.clientRequestId);
    const line = `${w.method} ${pathOnly(w.path)} ${w.status} (client-request-id ${w.clientRequestId})`;
    if (!r) missing.push(`${line}: not in the record`);
    else if (r.method !== w.method || r.path !== pathOnly(w.path)) missing.push(`${line}: recorded as ${r.method} ${r.path}`);
    else if (r.status !== null && (r.status !== w.status || r.requestId !== w.requestId)) missing.push(`${line}: recorded as ${r.status} ${r.requestId}`);
  }
  expect(missing, 'writes the tenant accepted that the deploy record does not show as they were').toEqual([]);
  for (const r of requests) {
    if (r.status === null) continue;
    expect(r.clientRequestId, `${r.method} ${r.path} ${r.status} has no client-request-id`).not.toBeNull();
    const w = writes.find((x) => x.clientRequestId === r.clientRequestId);
    // Graph logs every write that reached it; an answer the record shows must be one of them
    expect(w && `${w.method} ${pathOnly(w.path)} ${w.status} ${w.requestId}`, `${r.method} ${r.path} ${r.status} is not in Graph's write log`).toBe(`${r.method} ${r.path} ${r.status} ${r.requestId}`);
  }
  for (const item of record.items) {
    // A create's POST goes to the collection; everything else to the object
    for (const r of item.requests) if (item.id && !(item.action === 'create' && r.method === 'POST')) expect(r.path, `${item.type} '${item.name}'`).toContain(item.id);
  }
  expect(record.counts.requests).toBe(requests.length);
}

/**
 * A rerun converges: a scheduled sync ends Idle, writes nothing, commits nothing, opens nothing,
 * and the tenant holds no duplicate object. Its backup, written over the state branch, changed no
 * file (no commit): the state branch describes the tenant exactly.
 */
export async function expectConverges(lab: Lab, options: { counts?: Record<string, number> } = {}): Promise<ActionRun> {
  lab.sim.clearWrites();
  const before = { main: await lab.gh.resolve('main'), state: await lab.gh.resolve(STATE) };
  const run = await runAction(lab, await scheduleEvent(lab.gh));
  expect(statusesOf(run), run.stdout).toEqual(IDLE);
  expect(lab.sim.writes()).toEqual([]);
  expect(await lab.gh.resolve('main'), 'a commit on main').toBe(before.main);
  expect(await lab.gh.resolve(STATE), 'a commit on the state branch').toBe(before.state);
  expect(openPulls(lab)).toEqual([]);
  expect(duplicateObjects(lab)).toEqual([]);
  if (options.counts) expect(lab.sim.tenant.counts()).toEqual(options.counts);
  expect(lab.gh.problems()).toEqual([]);
  return run;
}

/**
 * `count` lanes, each with its own lab started on first use; a row runs in its lane after the
 * lane's earlier rows, lanes run side by side. The labs are closed after the file.
 */
export function lanes(count: number): (row: { lane: number; run: (lab: Lab) => Promise<void> }) => Promise<void> {
  const labs = Array.from({ length: count }, () => lazyLab());
  const queues = labs.map(() => serial());
  afterAll(async () => {
    for (const l of labs) await l.close();
  });
  return (row) => queues[row.lane]!(async () => row.run(await labs[row.lane]!.get()));
}
