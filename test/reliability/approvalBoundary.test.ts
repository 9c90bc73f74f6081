/**
 * The approval boundary: nothing is written to a tenant without a merged approval pull request.
 *
 * Every entry point of the bundled action (dist/index.js) is crossed with every value of the
 * `command` input: the events a workflow can be started by (schedule, workflow_dispatch, push,
 * pull_request opened / synchronize / closed in each way, look-alikes, forks, pull_request_target,
 * issue_comment, check_run requested_action, release) against the commands (sync, apply, reject,
 * revert, status, matrix, validate, backup, plan, and the input left empty). For each cell the
 * action runs against the tenant simulator and the GitHub double, and the writes the simulator
 * received during that run are recorded. Only a merged approval pull request of this repository,
 * with the command input empty or `apply`, may write, and then exactly the items of the merged
 * plan (read from the approval branch before the merge). The one other way to that state is the
 * check run's Approve button pressed by someone with write access, in a build that handles it: it
 * merges the approval pull request through the API, and may then write exactly its plan too.
 * Then the command line: backup, plan, validate and matrix never write; apply refuses without
 * --yes on a terminal, and refuses plan files changed after planning or pointed at another tenant.
 *
 * Runtime: each group below has its own simulator and double and runs its cells in order; the
 * groups run concurrently (describe.concurrent). A group's state is set up once and shared by all
 * its cells: commands other than the empty input, apply, reject and revert read nothing of the
 * event but the checkout it names (src/main/run.ts runs them from the workspace), and a cell that
 * changes the state (a revert, an apply, the Approve button) is ordered last in its row, or the
 * state it needs is made again before it. Cells that are the same run by construction as one
 * already made are listed, not run again (runRows says which, and checks each premise).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestEvent, pushEvent, scheduleEvent, workflowDispatchEvent, type WorkflowEvent } from '../github/double/index.js';
import { runAction, type Lifecycle } from '../lifecycle/harness.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { tempRepo } from '../backup/helpers.js';
import { cli, runCli } from '../cli/runCli.js';
import {
  APPROVE,
  COMMANDS,
  EVENT_INDEPENDENT,
  changeDesired,
  checkRunEvent,
  formatTable,
  issueCommentEvent,
  octokit,
  planMismatch,
  releaseEvent,
  equivalents,
  results,
  runCell,
  startBoundaryLifecycle,
  syncToApproval,
  variant,
  type CommandInput,
  type PlanLike,
} from './boundaryHelpers.js';

const GROUP_TIMEOUT = 600_000;

interface Row {
  label: string;
  event: WorkflowEvent;
}

/**
 * Runs the commands (except `skip`) for each row, in order, leaving out the cells that are the
 * same run by construction as one already made, each recorded in `equivalents` with the reason:
 *
 * - An event-independent command (EVENT_INDEPENDENT) runs once per checkout in the group.
 * - In a checkout without tenant-sync.yml (the approval branch, a merge into the state branch),
 *   every event-independent command stops at the same first step: src/main/run.ts loads the
 *   configuration from the workspace before it looks at the command. One of them is run; when it
 *   ends with "tenant-sync.yml was not found", the others are the same run.
 * - apply, reject and revert on an event that is not a closed pull request stop at the same
 *   guard of reviewCommand before anything else ("… runs on a closed approval pull request"):
 *   apply is run; when it ends at that guard, reject and revert are the same run.
 *
 * Each premise is checked on the run it rests on, and the cells are run when it does not hold.
 */
const ranAt = new Map<string, string>();
const noConfigAt = new Map<string, string>();
async function runRows(lc: Lifecycle, group: string, rows: readonly Row[], skip: readonly CommandInput[] = []): Promise<void> {
  for (const row of rows) {
    const closedPull = row.event.payload['action'] === 'closed' && row.event.payload['pull_request'] !== undefined;
    const hasConfig = (await lc.gh.readFile(row.event.sha, 'tenant-sync.yml')) !== undefined;
    let applyGuard: string | undefined;
    for (const command of COMMANDS) {
      if (skip.includes(command)) continue;
      if (EVENT_INDEPENDENT.includes(command)) {
        const first = ranAt.get(`${group} ${command} ${row.event.sha}`);
        if (first) {
          equivalents.push({ group, event: row.label, command, sameAs: first, why: 'same command, same checkout, same state' });
          continue;
        }
        const stopped = noConfigAt.get(`${group} ${row.event.sha}`);
        if (!hasConfig && stopped) {
          equivalents.push({ group, event: row.label, command, sameAs: stopped, why: 'no tenant-sync.yml in the checkout: stops where the configuration is loaded' });
          continue;
        }
        ranAt.set(`${group} ${command} ${row.event.sha}`, `${row.label} × ${command}`);
        const { cell } = await runCell(lc, group, row, command);
        if (!hasConfig && cell.note.includes('tenant-sync.yml was not found')) noConfigAt.set(`${group} ${row.event.sha}`, `${row.label} × ${command}`);
        continue;
      }
      if (!closedPull && (command === 'reject' || command === 'revert') && applyGuard) {
        equivalents.push({ group, event: row.label, command, sameAs: applyGuard, why: 'not a closed pull request: stops at the same guard as apply' });
        continue;
      }
      const { cell } = await runCell(lc, group, row, command);
      if (command === 'apply' && !closedPull && cell.writes.length === 0 && cell.note.includes('runs on a closed approval pull request, not on')) applyGuard = `${row.label} × apply`;
    }
  }
}

function unapproved(group: string) {
  return results.filter((c) => c.group === group && c.problems.length > 0).map((c) => `${c.event} × ${c.command}: ${c.problems.join('; ')} [${c.note}]`);
}

/** First sync, then a change on main (an update and a create) proposed for approval */
async function pendingApproval(lc: Lifecycle, index: number) {
  await runAction(lc, await scheduleEvent(lc.gh));
  lc.sim.clearWrites();
  await changeDesired(lc, index, `Boundary location ${index}`);
  return syncToApproval(lc);
}

describe.concurrent('the action: events that check out the default branch while an approval is pending', () => {
  const group = 'pending, main';
  it('schedule, workflow_dispatch, push, issue_comment, release and check run buttons write nothing (Approve by a writer: the plan, once merged)', async () => {
    const lc = await startBoundaryLifecycle();
    try {
      const approval = await pendingApproval(lc, 0);
      const rows: Row[] = [
        { label: 'schedule', event: await scheduleEvent(lc.gh) },
        { label: 'workflow_dispatch (inputs command: apply)', event: await workflowDispatchEvent(lc.gh, { inputs: { command: 'apply' } }) },
        { label: 'push (main)', event: await pushEvent(lc.gh, 'main') },
        { label: 'issue_comment "/approve" on the approval PR (reviewer)', event: await issueCommentEvent(lc.gh, approval.number, '/approve', 'reviewer') },
        { label: 'release published', event: await releaseEvent(lc.gh) },
        { label: 'check_run requested_action approve (triager, no write access)', event: await checkRunEvent(lc.gh, 'approve', 'triager') },
      ];
      expect(new Set(rows.map((r) => r.event.sha)).size).toBe(1);
      await runRows(lc, group, rows);
      expect(lc.sim.writes()).toEqual([]);
      const release = results.find((c) => c.group === group && c.event === 'release published' && c.command === '(empty)')!;
      expect(release.code).toBe(1);
      expect(release.note).toContain('no command is chosen for the event "release"');
      // the pending approval is still pending, and still the only one
      expect(lc.gh.pulls().filter((p) => p.state === 'open' && p.head === APPROVE).map((p) => p.number)).toEqual([approval.number]);

      // Approve pressed by someone with write access. A build that handles the button merges the
      // approval pull request through the API (branch protection and reviews still apply) and
      // applies it: a merged approval, which may write exactly its plan. A build that does not
      // handle check_run must write nothing. Run last: it may use the approval up.
      const approve: Row = { label: 'check_run requested_action approve (reviewer)', event: await checkRunEvent(lc.gh, 'approve', 'reviewer') };
      await runRows(lc, group, [approve]);
      const pressed = results.find((c) => c.group === group && c.event === approve.label && c.command === '(empty)')!;
      if (lc.gh.pull(approval.number)?.merged === true && pressed.writes.length > 0) {
        pressed.allowed = true;
        pressed.problems = planMismatch(pressed.writes, approval.plan);
      }
      expect(unapproved(group)).toEqual([]);
    } finally {
      await lc.close();
    }
  }, GROUP_TIMEOUT);
});

describe.concurrent('the action: pull request events while an approval is pending', () => {
  const group = 'pending, pull requests';
  it('the approval pull request opened or synchronized, and a person\'s pull request into main, write nothing', async () => {
    const lc = await startBoundaryLifecycle();
    try {
      const approval = await pendingApproval(lc, 1);
      // A person's own pull request into main (validate on opened), changing a desired file
      const tree = await lc.gh.readTree('main');
      const [path, text] = Object.entries(tree).find(([p, t]) => p.includes('/namedLocations/') && t.includes('"isTrusted": false'))!;
      await lc.gh.commitFiles('alex/tweak', { [path]: text.replace('"isTrusted": false', '"isTrusted": true') }, 'Trust it', { from: 'main' });
      const { data: personal } = await octokit(lc.gh).rest.pulls.create({ owner: lc.gh.owner, repo: lc.gh.repo, head: 'alex/tweak', base: 'main', title: 'A tweak' });
      const rows: Row[] = [
        { label: 'pull_request opened (approval PR)', event: await pullRequestEvent(lc.gh, approval.number, { action: 'opened' }) },
        { label: 'pull_request synchronize (approval PR)', event: await pullRequestEvent(lc.gh, approval.number, { action: 'synchronize' }) },
        { label: 'pull_request opened (a person\'s PR into main)', event: await pullRequestEvent(lc.gh, personal.number, { action: 'opened', sender: 'contoso' }) },
      ];
      await runRows(lc, group, rows);
      expect(lc.sim.writes()).toEqual([]);
      expect(lc.gh.pull(approval.number)?.merged).toBe(false);
      expect(unapproved(group)).toEqual([]);
    } finally {
      await lc.close();
    }
  }, GROUP_TIMEOUT);
});

describe.concurrent('the action: approval pull requests closed without merging', () => {
  const group = 'closed, not merged';
  it('closed (reject) and closed with tenant-sync:revert write nothing to the tenant, whatever the command', async () => {
    const lc = await startBoundaryLifecycle();
    try {
      const first = await pendingApproval(lc, 3);
      await lc.gh.closePullAsUser(first.number, { user: 'reviewer' });
      const rejected = await pullRequestEvent(lc.gh, first.number);
      // A new change (the rejected plan is not proposed again), closed with the revert label
      await changeDesired(lc, 4);
      const second = await syncToApproval(lc);
      expect(second.number).not.toBe(first.number);
      await lc.gh.closePullAsUser(second.number, { user: 'reviewer', labels: ['tenant-sync:revert'] });
      const reverted = await pullRequestEvent(lc.gh, second.number);
      // The revert first: a reject run deletes tenant-sync/approve/contoso, which by then is the
      // head of the later pull request, and the double keeps no refs/pull/<n>/head to fall back on
      const rows: Row[] = [
        { label: 'pull_request closed with tenant-sync:revert (approval PR)', event: reverted },
        { label: 'pull_request closed, not merged (approval PR)', event: rejected },
      ];
      await runRows(lc, group, rows);
      // the revert really ran (main put back to the tenant), and still wrote nothing to the tenant
      expect(results.find((c) => c.group === group && c.event === rows[0]!.label && c.command === 'revert')?.code).toBe(0);
      expect(unapproved(group)).toEqual([]);
      expect(lc.sim.writes()).toEqual([]);
    } finally {
      await lc.close();
    }
  }, GROUP_TIMEOUT);
});

describe.concurrent('the action: merges that are not an approval', () => {
  const group = 'not an approval';
  it('a merged look-alike, an approval merged by someone without write access, and syncs while it lies merged but unapplied write nothing', async () => {
    const lc = await startBoundaryLifecycle();
    try {
      await runAction(lc, await scheduleEvent(lc.gh));
      // The look-alike: the approval branch's name, into main, merged by someone without write access
      await lc.gh.commitFiles(APPROVE, { 'notes/look-alike.md': 'Looks like an approval\n' }, 'look-alike', { from: 'main' });
      const api = octokit(lc.gh);
      const { data: lookAlike } = await api.rest.pulls.create({ owner: lc.gh.owner, repo: lc.gh.repo, head: APPROVE, base: 'main', title: 'tenant-sync: changes to contoso (1 to update)' });
      await lc.gh.mergePullAsUser(lookAlike.number, 'mallory');
      const lookAlikeEvent = await pullRequestEvent(lc.gh, lookAlike.number);
      await api.rest.git.deleteRef({ owner: lc.gh.owner, repo: lc.gh.repo, ref: `heads/${APPROVE}` });
      // A real approval pull request, merged by someone without write access
      await changeDesired(lc, 5, 'Boundary location 5');
      const approval = await syncToApproval(lc);
      await lc.gh.mergePullAsUser(approval.number, 'mallory');
      const byStranger = await pullRequestEvent(lc.gh, approval.number, { sender: 'mallory' });
      const rows: Row[] = [
        { label: 'pull_request closed-merged look-alike (approval branch into main)', event: lookAlikeEvent },
        { label: 'pull_request closed-merged approval PR, merged by a user without write access', event: byStranger },
        { label: 'schedule while an approval lies merged but unapplied', event: await scheduleEvent(lc.gh) },
        { label: 'push (main) while an approval lies merged but unapplied', event: await pushEvent(lc.gh, 'main') },
      ];
      await runRows(lc, group, rows);
      expect(unapproved(group)).toEqual([]);
      expect(lc.sim.writes()).toEqual([]);
    } finally {
      await lc.close();
    }
  }, GROUP_TIMEOUT);
});

describe.concurrent('the action: the merged approval pull request', () => {
  const group = 'merged approval';
  it('only the merged approval pull request, with the command input empty or apply, writes; exactly the merged plan, once', async () => {
    const lc = await startBoundaryLifecycle();
    try {
      const a = await pendingApproval(lc, 6);
      expect(a.plan.items.map((i) => i.action).sort()).toEqual(['create', 'update']);
      await lc.gh.mergePullAsUser(a.number, 'reviewer');
      const merged = await pullRequestEvent(lc.gh, a.number, { sender: 'reviewer' });
      const fork = (p: Record<string, unknown>) => {
        (p['pull_request'] as { head: { repo: { full_name: string } } }).head.repo.full_name = 'mallory/tenant-config';
      };
      const mainSha = (await lc.gh.resolve('main'))!;
      const approvedRow = { label: 'pull_request closed-merged approval PR', event: merged };
      const rows: Row[] = [
        { label: 'pull_request closed-merged from a fork (head.repo mallory/tenant-config)', event: variant(merged, fork) },
        { label: 'pull_request_target closed-merged from a fork', event: variant(merged, fork, 'pull_request_target') },
        {
          label: 'pull_request closed-merged look-alike carrying the real plan marker (base main)',
          event: variant(merged, (p) => {
            const pr = p['pull_request'] as { base: { ref: string; sha: string } };
            pr.base.ref = 'main';
            pr.base.sha = mainSha;
          }),
        },
        // Every other command on the merged approval, while its plan still waits to be applied
        approvedRow,
      ];
      await runRows(lc, group, rows.slice(0, -1));
      await runRows(lc, group, [approvedRow], ['', 'apply']);
      expect(lc.sim.writes()).toEqual([]);

      // The command input left empty: the plan, exactly
      const empty = await runCell(lc, group, approvedRow, '', true);
      expect(empty.run.code, empty.run.stdout).toBe(0);
      empty.cell.problems.push(...planMismatch(empty.cell.writes, a.plan));
      expect(empty.cell.problems).toEqual([]);
      expect(empty.cell.writes.length).toBe(a.plan.items.length);
      // A replay of the same event (a re-run of the workflow) writes nothing more
      await runCell(lc, group, { label: 'pull_request closed-merged approval PR, replayed after apply', event: merged }, '');

      // command: apply, on a second merged approval
      await changeDesired(lc, 7);
      const b = await syncToApproval(lc);
      expect(b.plan.items.length).toBeGreaterThan(0);
      await lc.gh.mergePullAsUser(b.number, 'reviewer');
      const mergedB = { label: 'pull_request closed-merged approval PR', event: await pullRequestEvent(lc.gh, b.number, { sender: 'reviewer' }) };
      const apply = await runCell(lc, group, mergedB, 'apply', true);
      expect(apply.run.code, apply.run.stdout).toBe(0);
      apply.cell.problems.push(...planMismatch(apply.cell.writes, b.plan));
      expect(apply.cell.problems).toEqual([]);
      await runCell(lc, group, { label: 'pull_request closed-merged approval PR, replayed after apply', event: mergedB.event }, 'apply');

      expect(unapproved(group)).toEqual([]);
      expect(lc.sim.writes().length).toBe(a.plan.items.length + b.plan.items.length);
      expect(lc.gh.problems()).toEqual([]);
    } finally {
      await lc.close();
    }
  }, GROUP_TIMEOUT);
});

// ------------------------------------------------------------------------------------------------
// The command line

const exec = promisify(execFile);
const LOCATION_DIR = join('tenants', 'contoso', 'entra', 'namedLocations');

function twoTenantConfig(sim: Simulator, other: Simulator): string {
  // Every simulator has the same tenant id; the second is named by its domain, as another tenant's id would differ
  const tenant = (name: string, s: Simulator, secretEnv: string) =>
    `  - name: ${name}\n    tenant-id: ${name === 'fabrikam' ? 'contoso.onmicrosoft.com' : s.tenantId}\n    client-id: ${s.apps.secret.clientId}\n    authority-host: ${s.loginUrl}\n    graph-endpoint: ${s.graphUrl}\n    auth:\n      method: secret\n      secret-env: ${secretEnv}\n`;
  return `version: 1\ntenants:\n${tenant('contoso', sim, 'CONTOSO_SECRET')}${tenant('fabrikam', other, 'FABRIKAM_SECRET')}`;
}

/** The CLI with a terminal on stdin (util-linux script gives the child a pseudo-terminal) */
async function runCliOnTerminal(args: string[], cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cli, ...args].map(quote).join(' ');
  const base = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, HOME: process.env.HOME };
  try {
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...base, ...env }, timeout: 120_000 });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, output: err.stdout ?? '' };
  }
}

interface CliCell {
  entry: string;
  code: number;
  writes: number;
  expectWrites: boolean;
  detail: string;
}
const cliCells: CliCell[] = [];

describe.concurrent('the command line', () => {
  // One simulator per tenant: contoso, and fabrikam for a plan pointed at the wrong tenant
  let sim: Simulator;
  let other: Simulator;
  let root: string;
  let env: Record<string, string>;
  let planText: string;
  let plan: PlanLike & Record<string, unknown>;
  const all = () => [...sim.writes().map((w) => ({ ...w, tenant: 'contoso' })), ...other.writes().map((w) => ({ ...w, tenant: 'fabrikam' }))];
  /** Runs one command line and records the writes both tenants received meanwhile */
  const record = async (entry: string, run: () => Promise<{ code: number }>, expectWrites = false): Promise<CliCell> => {
    const before = all();
    const { code } = await run();
    const made = all().filter((w) => !before.some((b) => b.requestId === w.requestId && b.tenant === w.tenant));
    const detail = made.map((w) => `${w.tenant}: ${w.method} ${w.type ?? ''} ${JSON.stringify(w.body)}`.slice(0, 220)).join('; ');
    const cell = { entry, code, writes: made.length, expectWrites, detail };
    cliCells.push(cell);
    return cell;
  };
  /** The plan file changed by `change` (which may return the file's new text), applied with --yes and without a terminal */
  const applyTampered = async (entry: string, change: (p: PlanLike & Record<string, unknown>) => string | void, before?: () => Promise<void>): Promise<CliCell> => {
    sim.reset();
    other.reset();
    await before?.();
    const copy = JSON.parse(planText) as PlanLike & Record<string, unknown>;
    const text = change(copy) ?? `${JSON.stringify(copy, null, 2)}\n`;
    const name = `tampered-${cliCells.length}.json`;
    await writeFile(join(root, name), text);
    return record(`apply --plan --yes (${entry})`, () => runCli(['apply', '--plan', name, '--yes'], root, env));
  };
  const update = (p: PlanLike) => p.items.find((i) => i.action === 'update')!;

  describe.sequential('backup, plan, validate, matrix and apply (the bundled CLI)', () => {
    beforeAll(async () => {
      sim = await startSimulator({ throttling: false });
      other = await startSimulator({ throttling: false });
      root = await tempRepo();
      await writeFile(join(root, 'tenant-sync.yml'), twoTenantConfig(sim, other));
      env = { CONTOSO_SECRET: sim.apps.secret.clientSecret, FABRIKAM_SECRET: other.apps.secret.clientSecret };
    });
    afterAll(async () => {
      await other?.close();
      await sim?.close();
    });

    it('backup, validate, matrix and plan write nothing', async () => {
      expect((await record('backup --tenant contoso', () => runCli(['backup', '--tenant', 'contoso'], root, env))).code).toBe(0);
      // A desired change: an update and a create
      const files = (await readdir(join(root, LOCATION_DIR))).filter((f) => f.endsWith('.json')).sort();
      const objects = await Promise.all(files.map(async (f) => [f, JSON.parse(await readFile(join(root, LOCATION_DIR, f), 'utf8')) as Record<string, unknown>] as const));
      const [file, object] = objects.find(([, o]) => typeof o['isTrusted'] === 'boolean')!;
      await writeFile(join(root, LOCATION_DIR, file), `${JSON.stringify({ ...object, isTrusted: !(object['isTrusted'] as boolean) }, null, 2)}\n`);
      await writeFile(join(root, LOCATION_DIR, 'CLI new location.json'), `${JSON.stringify({ ...object, displayName: 'CLI new location' }, null, 2)}\n`);
      expect((await record('validate', () => runCli(['validate'], root, env))).code).toBe(0);
      expect((await record('matrix', () => runCli(['matrix'], root, env))).code).toBe(0);
      expect((await record('plan --tenant contoso --out plan.json', () => runCli(['plan', '--tenant', 'contoso', '--out', 'plan.json'], root, env))).code).toBe(4);
      planText = await readFile(join(root, 'plan.json'), 'utf8');
      plan = JSON.parse(planText) as PlanLike & Record<string, unknown>;
      expect(plan.items.map((i) => i.action).sort()).toEqual(['create', 'update']);
      expect(all()).toEqual([]);
    });

    it('apply without --yes on a terminal is refused before anything is read or written', async () => {
      const cell = await record('apply --plan plan.json (on a terminal, without --yes)', async () => {
        const r = await runCliOnTerminal(['apply', '--plan', 'plan.json'], root, env);
        expect(r.output).toContain('needs your explicit approval');
        return r;
      });
      expect(cell.code).toBe(2);
      expect(cell.writes).toBe(0);
    });

    it('apply refuses a file that is not a plan (truncated)', async () => {
      const cell = await applyTampered('truncated: not a plan', () => planText.slice(0, Math.floor(planText.length / 2)));
      expect(cell.code).toBe(2);
      expect(cell.detail).toBe('');
    });

    it('apply refuses a plan for a tenant tenant-sync.yml does not have', async () => {
      const cell = await applyTampered('tenant changed to one tenant-sync.yml does not have', (p) => {
        p.tenant = 'nowhere';
      });
      expect(cell.detail).toBe('');
      expect(cell.code).not.toBe(0);
    });

    it('apply writes nothing from a plan whose pinned tenant version was changed after planning (tenantHash)', async () => {
      const cell = await applyTampered('the tenant version an update is pinned to changed: tenantHash', (p) => {
        (update(p) as unknown as { tenantHash: string }).tenantHash = createHash('sha256').update('another version').digest('hex');
      });
      expect(cell.detail).toBe('');
      expect(cell.code).not.toBe(0);
    });

    it('apply writes nothing from a plan whose update was edited after planning (its after no longer matches its changes)', async () => {
      const cell = await applyTampered('an update edited after planning: after.displayName, not in its changes', (p) => {
        const item = update(p);
        item.after = { ...item.after, displayName: 'Tampered after planning' };
      });
      expect(cell.detail).toBe('');
      expect(cell.code).not.toBe(0);
    });

    it('apply writes nothing from a plan made for contoso and relabelled fabrikam (another tenant)', async () => {
      const cell = await applyTampered(
        'made for contoso, relabelled fabrikam (another tenant, its objects under their own ids)',
        (p) => {
          p.tenant = 'fabrikam';
        },
        async () => {
          // Two tenants never share object ids: fabrikam's named locations get their own
          for (const location of other.state('namedLocations') as Record<string, unknown>[]) {
            other.tenant.remove('namedLocations', location['id'] as string);
            const { id: _id, ...rest } = location;
            other.tenant.create('namedLocations', rest);
          }
        },
      );
      expect(cell.detail).toBe('');
      expect(cell.code).not.toBe(0);
    });

    it('the positive control: the plan as made, applied without a terminal (documented: --yes is required on a terminal), writes exactly its items', async () => {
      sim.reset();
      other.reset();
      const cell = await record('apply --plan plan.json (no terminal, the plan as made)', () => runCli(['apply', '--plan', 'plan.json'], root, env), true);
      expect(cell.code).toBe(0);
      expect(planMismatch(sim.writes(), plan)).toEqual([]);
      expect(other.writes()).toEqual([]);
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe('the boundary, summed up', () => {
  it('every entry point checked; no unapproved write', () => {
    const table = formatTable(results);
    const cliTable = cliCells.map((c) => `| cli | ${c.entry} | ${c.expectWrites ? 'yes' : 'no'} | ${c.writes} | ${c.code} | ${c.detail.replace(/\|/g, '\\|')} |`).join('\n');
    const same = equivalents.map((e) => `| ${e.group} | ${e.event} | ${e.command} | ${e.sameAs} | ${e.why} |`).join('\n');
    const unapprovedCells = results.filter((c) => !c.allowed && c.writes.length > 0).length + cliCells.filter((c) => !c.expectWrites && c.writes > 0).length;
    console.log(
      `${table}\n\nEquivalent by construction (not run again):\n| group | event | command | the same run as | why |\n|---|---|---|---|---|\n${same}\n\n` +
        `| cli | entry | may write | writes | exit | writes made |\n|---|---|---|---|---|---|\n${cliTable}\n\n` +
        `entry points: ${results.length} action runs + ${equivalents.length} equivalent cells + ${cliCells.length} command-line runs; unapproved writes: ${unapprovedCells}`,
    );
    expect(results.length).toBeGreaterThan(60);
    expect(results.length + equivalents.length).toBeGreaterThan(180);
    expect(results.filter((c) => c.allowed && c.writes.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(unapprovedCells).toBe(0);
  });
});
