/**
 * Issue 7, "Bad input": malformed and hostile inputs, table-driven (test/reliability/badInputCases.ts).
 * Each must end with a clear message that names the file and the fix, the documented exit code,
 * nothing written to the tenant (the simulator records every write) and nothing changed in the
 * repository (every file and folder hashed before and after; for hostile names, the folder around
 * the repository too). They run through the bundled CLI (validate, plan), a subset through the
 * bundled action's validate on a pull_request event, and malformed desired files through the
 * action's sync (GitHub double): the backup goes on, the files are named in warnings, their types
 * take no part in the plan.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { parsePlan, type Plan } from '../../src/reconcile/index.js';
import { configText, simEnv } from '../backup/helpers.js';
import { cli } from '../cli/runCli.js';
import { runnerEnv, scheduleEvent, webhookExample, type WorkflowEvent } from '../github/double/index.js';
import { runAction as runSync, startLifecycle, statusesOf, type ActionRun, type Lifecycle } from '../lifecycle/harness.js';
import type { Simulator } from '../simulator/index.js';
import {
  BLOCK_LEGACY,
  configCases,
  fileCases,
  IPV4,
  IPV6,
  OMA_URI,
  TENANT,
  TRAILING_COMMA,
  TYPES_SETTING,
  lineOf,
  type ConfigCase,
  type FileCase,
  type Finding,
  type Pattern,
} from './badInputCases.js';

const exec = promisify(execFile);
const action = resolve('dist/index.js');
/** Big enough for a plan that wrongly carries a 30 MB file */
const MAX_BUFFER = 512 * 1024 * 1024;
/** Generous limits for a loaded machine: a case normally takes a few seconds */
const SLOW = { timeout: 180_000 };

let lc: Lifecycle;
let sim: Simulator;
/** A repository as `tenant-sync backup` leaves it: tenant-sync.yml, tenants/contoso/..., .tenant-sync/contoso/ids.json */
let baseline: string;
const scratch: string[] = [];

beforeAll(async () => {
  lc = await startLifecycle({ sim: { throttling: false } });
  sim = lc.sim;
  // The repository holds the types the cases break (types.include), for the command line and the action alike
  await lc.gh.commitFiles(lc.gh.defaultBranch, { 'tenant-sync.yml': configText(sim, TYPES_SETTING) }, 'Sync the types under test');
  baseline = join(await mkdtemp(join(tmpdir(), 'tenant-sync-badinput-')), 'repo');
  scratch.push(resolve(baseline, '..'));
  await mkdir(baseline);
  await writeFile(join(baseline, 'tenant-sync.yml'), configText(sim, TYPES_SETTING));
  const backup = await runCli(['backup', '--tenant', TENANT], baseline);
  expect(backup.code, backup.stderr).toBe(0);
  expect((await validate(baseline)).code, 'a fresh backup is valid').toBe(0);
  sim.clearWrites();
}, SLOW.timeout);

afterAll(async () => {
  await lc?.close();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Running the product

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bundled CLI as a user's shell runs it (test/cli/runCli.ts, with room for large output) */
async function runCli(args: string[], cwd: string, env: Record<string, string | undefined> = simEnv(sim)): Promise<Result> {
  const base = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, HOME: process.env.HOME };
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd, env: { ...base, ...env }, timeout: 60_000, maxBuffer: MAX_BUFFER });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}${err.killed ? '\n[killed: timed out]' : ''}${typeof err.code === 'string' ? `\n[${err.code}]` : ''}` };
  }
}

const validate = (root: string) => runCli(['validate'], root);

/** The bundled action on a pull_request (opened) into the default branch: no command input, the event chooses validate */
async function actionValidate(workspace: string): Promise<Result> {
  const payload = webhookExample('pull_request', 'opened');
  const pr = payload['pull_request'] as { base: { ref: string }; head: { ref: string } };
  pr.base.ref = lc.gh.defaultBranch;
  payload['repository'] = { ...(payload['repository'] as object), default_branch: lc.gh.defaultBranch };
  const sha = (await lc.gh.resolve(`refs/heads/${lc.gh.defaultBranch}`))!;
  const event: WorkflowEvent = { name: 'pull_request', payload, ref: 'refs/pull/7/merge', sha, headRef: pr.head.ref, baseRef: lc.gh.defaultBranch };
  const runner = runnerEnv(lc.gh, event, { workspace });
  try {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...runner.env, ...simEnv(sim) };
    const { stdout, stderr } = await exec(process.execPath, [action], { cwd: workspace, env, maxBuffer: MAX_BUFFER, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  } finally {
    runner.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Checking

/** Every entry under `dir` (files, folders, links) with a hash of its content or target */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (at: string): Promise<void> => {
    for (const name of await readdir(at)) {
      const path = join(at, name);
      const rel = relative(dir, path).split('\\').join('/');
      const info = await lstat(path);
      if (info.isSymbolicLink()) out[rel] = `link:${await readlink(path)}`;
      else if (info.isDirectory()) {
        out[`${rel}/`] = 'dir';
        await walk(path);
      } else out[rel] = createHash('sha256').update(await readFile(path)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

/** A copy of the backed-up repository, alone in its own folder (so writes beside it are seen too) */
async function copyOfBaseline(): Promise<{ root: string; around: string }> {
  const around = await mkdtemp(join(tmpdir(), 'tenant-sync-badinput-'));
  scratch.push(around);
  const root = join(around, 'repo');
  await cp(baseline, root, { recursive: true });
  return { root, around };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const source = (p: Pattern) => (typeof p === 'string' ? escapeRe(p) : p.source);
/** A pattern that matches text holding every one of `patterns` */
const allOf = (patterns: Pattern[]) => new RegExp(patterns.map((p) => `(?=[\\s\\S]*${source(p)})`).join(''), patterns.some((p) => typeof p !== 'string' && p.flags.includes('i')) ? 'i' : '');
const matches = (text: string, p: Pattern) => (typeof p === 'string' ? text.includes(p) : p.test(text));
const matcher = (p: Pattern) => (typeof p === 'string' ? p : expect.stringMatching(p));

/** core.error's escaping of annotation properties (@actions/core toCommandProperties) */
const annotationProperty = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One problem as the command line prints it: "error: <file>[:<line>]: <message>\n  Fix: <fix>\n  (<CODE>[, see ...])" */
interface Printed {
  file: string;
  line?: number;
  message: string;
  fix: string;
  code?: string;
}

function parsePrinted(stderr: string): Printed[] {
  return stderr
    .split(/^(?=error: )/m)
    .filter((b) => b.startsWith('error: '))
    .map((block) => {
      const m = /^error: (.+?)(?::(\d+))?: ([\s\S]*?)(?:\n {2}Fix: ([\s\S]*?))?(?:\n {2}\(([A-Z_]+)[,)][^\n]*)?\n*$/.exec(block);
      if (!m) return { file: '', message: block, fix: '' };
      return { file: m[1]!, ...(m[2] ? { line: Number(m[2]) } : {}), message: m[3]!, fix: m[4] ?? '', ...(m[5] ? { code: m[5] } : {}) };
    });
}

/** The finding is printed: its file (and line), code, what the message and the fix say; the location is not repeated in the message */
function expectFinding(ex: ExpectStatic, printed: Printed[], f: Finding, what: string): void {
  ex.soft(printed, `${what} reports ${String(f.file)}${f.line !== undefined ? `:${f.line}` : ''} (${String(f.code)})`).toContainEqual(
    ex.objectContaining({
      file: matcher(f.file),
      code: matcher(f.code),
      ...(f.line !== undefined ? { line: f.line } : {}),
      message: ex.stringMatching(allOf(f.message ?? [])),
      fix: ex.stringMatching(allOf([/\S/, ...(f.fix ?? [])])),
    }),
  );
  for (const p of printed.filter((x) => (typeof f.file === 'string' ? x.file === f.file : f.file.test(x.file)))) {
    ex.soft(p.message.startsWith(p.file), `${what} names the location once: error: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message.slice(0, 200)}`).toBe(false);
  }
}

/** Plan items, conflicts and held deletes that touch an object (or a whole type) */
function touching(plan: Plan, type: string, name?: string): string[] {
  const hit = (t: string, n: string | null) => t === type && (name === undefined || n === name);
  return [
    ...plan.items.filter((i) => hit(i.type, i.name)).map((i) => `${i.action} ${i.type}/${i.name}`),
    ...plan.conflicts.filter((c) => hit(c.type, c.name)).map((c) => `conflict ${c.type}/${c.name}`),
    ...plan.held.flatMap((h) => h.items.filter((i) => hit(i.type, i.name)).map((i) => `held ${i.action} ${i.type}/${i.name}`)),
  ];
}

function parsePlanOutput(result: Result): Plan {
  try {
    return parsePlan(JSON.parse(result.stdout));
  } catch (e) {
    throw new Error(`plan --json printed no plan (exit ${result.code}): ${(e as Error).message}\n${result.stderr.slice(0, 4000)}`);
  }
}

const graphReads = () => {
  const c = sim.counters();
  return { requests: c.requests, tokens: Object.values(c.tokenRequests).reduce((a, b) => a + b, 0) };
};

// ---------------------------------------------------------------------------------------------
// The cases

describe('bad files under tenants/<tenant>/: validate and plan (the bundled CLI)', () => {
  it.concurrent.for(fileCases)('$name', SLOW, async (c: FileCase, { expect: ex }) => {
    const { root, around } = await copyOfBaseline();
    await c.setup(root);
    const before = await hashTree(around);
    const [checked, planned] = await Promise.all([validate(root), runCli(['plan', '--tenant', TENANT, '--json'], root)]);

    // validate: the exit code, each problem with its file, line, fix and code
    const shown = `${checked.stdout}\n${checked.stderr}`;
    ex.soft(checked.code, `validate exit code; it printed:\n${shown.slice(0, 3000)}`).toBe(c.validate.code);
    const printed = parsePrinted(checked.stderr);
    for (const f of c.validate.findings ?? []) expectFinding(ex, printed, f, 'validate');
    for (const p of printed) ex.soft(p.code, `every problem carries its code: ${p.file}`).toMatch(/^[A-Z_]+$/);
    if (c.validate.code === 0) {
      ex.soft(printed, 'validate reports no problem').toEqual([]);
      ex.soft(checked.stdout).toContain(`${TENANT}: the files are valid`);
    } else if (checked.code === 5) ex.soft(checked.stdout).toContain(`${printed.length} problem(s) found`);
    for (const w of c.validate.warnings ?? []) {
      const prefix = typeof w.file === 'string' ? escapeRe(w.file) : w.file.source.replace(/^\^/, '');
      ex.soft(checked.stderr, `a warning names ${String(w.file)}`).toMatch(new RegExp(`^warning: ${prefix}.*${w.message?.length ? source(allOf(w.message)) : ''}`, 'm'));
    }
    for (const p of c.validate.never ?? []) ex.soft(matches(shown, p), `validate never prints ${String(p)}`).toBe(false);
    ex.soft(shown.length, 'validate prints messages, not files').toBeLessThan(100_000);

    // plan: the exit code, the types left out, nothing planned for what is broken; never a write
    ex.soft(planned.code, `plan exit code; it printed:\n${planned.stderr.slice(0, 3000)}`).toBe(c.plan.code);
    const plan = parsePlanOutput(planned);
    for (const type of c.plan.skipped ?? []) ex.soft(plan.skippedTypes.map((s) => s.type), `plan leaves ${type} out`).toContain(type);
    for (const { type, name } of c.plan.untouched ?? []) ex.soft(touching(plan, type, name), `plan plans nothing for ${type}${name ? `/${name}` : ''}`).toEqual([]);
    for (const code of c.plan.errors ?? []) ex.soft(plan.errors.map((e) => e.code), `the plan carries ${code}`).toContain(code);
    for (const [act, type, name] of c.plan.items ?? []) ex.soft(plan.items.map((i) => [i.action, i.type, i.name])).toContainEqual([act, type, name]);
    // plan prints the broken files' problems too, as validate does
    const planPrinted = parsePrinted(planned.stderr);
    for (const f of (c.validate.findings ?? []).filter((x) => x.code === 'FILE_INVALID')) expectFinding(ex, planPrinted, { file: f.file, code: f.code }, 'plan');
    for (const p of c.plan.never ?? []) ex.soft(matches(planned.stdout + planned.stderr, p), `plan never prints ${String(p)}`).toBe(false);

    // Nothing changed: not the tenant, not the repository, nothing beside it
    ex(await hashTree(around), 'the working tree and its surroundings are byte-for-byte unchanged').toEqual(before);
    ex(sim.writes()).toEqual([]);
  });
});

describe('bad tenant-sync.yml: exit 2 with the file, the line and the fix; the tenant is not even read', () => {
  let reads: ReturnType<typeof graphReads>;
  beforeAll(() => {
    reads = graphReads();
  });

  it.concurrent.for(configCases)('$name', SLOW, async (c: ConfigCase, { expect: ex }) => {
    const { root, around } = await copyOfBaseline();
    const text = c.config(configText(sim));
    if (text === undefined) await rm(join(root, 'tenant-sync.yml'));
    else await writeFile(join(root, 'tenant-sync.yml'), text);
    const before = await hashTree(around);
    const env = { ...simEnv(sim), ...c.env };
    const commands = c.commands ?? [['validate']];
    const results = await Promise.all(commands.map((command) => runCli(command, root, env)));
    commands.forEach((command, i) => {
      const result = results[i]!;
      const what = command.join(' ');
      ex.soft(result.code, `${what} exit code: ${result.stdout}${result.stderr}`).toBe(2);
      ex.soft(result.stderr, what).toContain(`(${c.code}, see `);
      ex.soft(result.stderr, `${what} gives the fix`).toMatch(/\n {2}Fix: \S/);
      for (const p of c.says) ex.soft(result.stderr, `${what} says ${String(p)}`).toMatch(typeof p === 'string' ? new RegExp(escapeRe(p)) : p);
      if (c.line !== undefined) ex.soft(result.stderr, `${what} names tenant-sync.yml:${c.line}`).toMatch(new RegExp(`^error: tenant-sync\\.yml:${c.line}: `, 'm'));
    });
    ex(await hashTree(around)).toEqual(before);
  });

  it('none of them read anything from the tenant or wrote to it', () => {
    expect(graphReads()).toEqual(reads);
    expect(sim.writes()).toEqual([]);
  });
});

describe('the bundled action: validate on a pull_request event, problems as annotations on the file and line', () => {
  let reads: ReturnType<typeof graphReads>;
  beforeAll(() => {
    reads = graphReads();
  });

  it.concurrent.for(fileCases.filter((c) => c.action))('$name', SLOW, async (c: FileCase, { expect: ex }) => {
    const { root, around } = await copyOfBaseline();
    await c.setup(root);
    const before = await hashTree(around);
    const result = await actionValidate(root);
    ex.soft(result.code, result.stdout).toBe(1);
    for (const f of c.validate.findings ?? []) {
      const file = f.file as string;
      const re = new RegExp(`^::error file=${escapeRe(annotationProperty(file))}${f.line !== undefined ? `,line=${f.line}` : ''}[,:].*Fix: \\S.*\\(${source(f.code)}\\)`, 'm');
      ex.soft(result.stdout, `an error annotation on ${file}${f.line !== undefined ? ` line ${f.line}` : ''}`).toMatch(re);
    }
    ex.soft(result.stdout).not.toContain(`file=${annotationProperty(root)}`);
    ex.soft(result.stdout).toMatch(/^::error::\d+ problem\(s\)/m);
    ex(await hashTree(around)).toEqual(before);
  });

  it.concurrent.for(configCases.filter((c) => c.action))('tenant-sync.yml: $name', SLOW, async (c: ConfigCase, { expect: ex }) => {
    const { root } = await copyOfBaseline();
    await writeFile(join(root, 'tenant-sync.yml'), c.config(configText(sim))!);
    const result = await actionValidate(root);
    ex.soft(result.code, result.stdout).toBe(1);
    ex.soft(result.stdout).toMatch(new RegExp(`^::error file=tenant-sync\\.yml,line=${c.line},col=\\d+::.*Fix: \\S.*\\(${c.code}`, 'm'));
    ex.soft(result.stdout).toContain(`::error::${c.code}`);
  });

  it('validate reads nothing from the tenant and writes nothing', () => {
    expect(graphReads()).toEqual(reads);
    expect(sim.writes()).toEqual([]);
  });
});

describe('the bundled action: a sync with malformed files on the default branch', () => {
  const STATE = `tenant-sync/state/${TENANT}`;
  const IPV6_ID = '05239353-9117-4d29-a6a1-89724cb61b8c';
  /** The broken files committed to main, and why each one would be dangerous if planned */
  const broken: Record<string, { type: string; name: string; line?: number; content: string }> = {};
  const originals: Record<string, string> = {};
  let run: ActionRun;
  let plan: Plan;

  const planOf = (r: ActionRun): Plan => {
    const artifact = lc.gh.artifacts({ runId: r.runId, name: `tenant-sync-${TENANT}` })[0];
    expect(artifact, `the run's artifact (${r.stdout.slice(-2000)})`).toBeDefined();
    return parsePlan(JSON.parse(artifact!.files().get('plan.json')!.toString('utf8')));
  };

  beforeAll(async () => {
    const first = await runSync(lc, await scheduleEvent(lc.gh));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    for (const file of [IPV4, OMA_URI, BLOCK_LEGACY]) originals[file] = (await lc.gh.readFile('main', file))!;
    const block = JSON.parse(originals[BLOCK_LEGACY]!) as Record<string, unknown>;
    const { state, ...rest } = block;
    const misspelt = `${JSON.stringify({ ...rest, stat: state }, null, 2)}\n`;
    // Without care each of these would plan a delete (a file that does not parse looks like a removed object) or a bad update
    broken[IPV4] = { type: 'namedLocations', name: 'IPv4 named location', line: lineOf(TRAILING_COMMA, '"isTrusted"') + 1, content: TRAILING_COMMA };
    broken[OMA_URI] = { type: 'deviceConfigurations', name: 'Windows custom OMA-URI', content: `[\n${originals[OMA_URI]}]\n` };
    broken[BLOCK_LEGACY] = { type: 'conditionalAccessPolicies', name: 'Block legacy auth: all users/apps', line: lineOf(misspelt, '"stat"'), content: misspelt };
    await lc.gh.commitFiles('main', Object.fromEntries(Object.entries(broken).map(([f, b]) => [f, b.content])), 'Edit policies by hand');
    // Meanwhile an administrator changes the tenant, in a type whose desired files are broken
    sim.tenant.update('namedLocations', IPV6_ID, { isTrusted: false });
    sim.clearWrites();
    run = await runSync(lc, await scheduleEvent(lc.gh));
    plan = planOf(run);
  }, SLOW.timeout);

  it('the backup is not stopped and the step does not fail; the left-out type keeps its recorded state until its files are valid again', async () => {
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(statusesOf(run)).not.toContain('New error');
    // The state branch is the base of the comparison: moving it for a type that took no part would lose the change (see the last test)
    const ipv6 = JSON.parse((await lc.gh.readFile(STATE, IPV6))!) as { isTrusted: boolean };
    expect(ipv6.isTrusted).toBe(true);
  });

  it.each([IPV4, OMA_URI, BLOCK_LEGACY])('%s is named in a warning annotation (file relative to the workspace, line)', (file) => {
    const b = broken[file]!;
    const re = new RegExp(`^::warning file=${escapeRe(annotationProperty(file))}${b.line !== undefined ? `,line=${b.line}` : ''}[,:].*Fix: \\S`, 'm');
    expect(run.stdout).toMatch(re);
  });

  it.each([IPV4, OMA_URI, BLOCK_LEGACY])('%s: its type takes no part in the plan (no delete, no update), and main keeps the file as it was', async (file) => {
    const b = broken[file]!;
    expect(plan.skippedTypes.map((s) => s.type)).toContain(b.type);
    expect(touching(plan, b.type)).toEqual([]);
    expect(plan.drift.filter((d) => d.type === b.type)).toEqual([]);
    expect(await lc.gh.readFile('main', file)).toBe(b.content);
    for (const pr of lc.gh.pulls().filter((p) => p.state === 'open')) expect(pr.body ?? '').not.toContain(b.name);
  });

  it('nothing is written to the tenant; every GitHub request fits the API', () => {
    expect(sim.writes()).toEqual([]);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('once the files are fixed, the tenant change made meanwhile is adopted, not proposed for reverting', SLOW, async () => {
    await lc.gh.commitFiles('main', originals, 'Fix the hand edits');
    const next = await runSync(lc, await scheduleEvent(lc.gh));
    expect(next.code, next.stdout.slice(-3000)).toBe(0);
    const after = planOf(next);
    expect(touching(after, 'namedLocations', 'Trusted IPv6 named location'), 'the administrator\'s change is not reverted').toEqual([]);
    const ipv6 = JSON.parse((await lc.gh.readFile('main', IPV6))!) as { isTrusted: boolean };
    expect(ipv6.isTrusted, 'drift policy adopt: main takes the tenant\'s change').toBe(false);
    expect(sim.writes()).toEqual([]);
  });
});
