// npm run demo: the product's whole lifecycle on GitHub, in under a minute, on this machine.
//
// Starts the tenant simulator (a Microsoft 365 tenant: identity platform and Microsoft Graph over
// real HTTPS) and the GitHub double (GitHub's REST API checked against its OpenAPI description, git
// over smart HTTP on a real repository, the Actions artifact service), then runs the bundled action
// (dist/index.js) the way a runner does, once per workflow event, exactly as the end-to-end tests do
// (test/lifecycle/harness.ts). Narrates each step and exits non-zero when a step does not reach the
// status it should. Leaves the repository, job summaries, dashboard, pull requests and artifacts in
// demo-output/.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pullRequestEvent, pushEvent, scheduleEvent, type WorkflowEvent } from '../test/github/double/index.js';
import { runAction, startLifecycle, statusesOf, type ActionRun, type Lifecycle } from '../test/lifecycle/harness.js';

const exec = promisify(execFile);
const out = resolve('demo-output');
const action = resolve('dist/index.js');
const TENANT = 'contoso';
const STATE = `tenant-sync/state/${TENANT}`;
const APPROVE = `tenant-sync/approve/${TENANT}`;
const CHECK = `tenant-sync / ${TENANT}`;
const LOCATIONS = `tenants/${TENANT}/entra/namedLocations/`;
const POLICIES = `tenants/${TENANT}/entra/conditionalAccessPolicies/`;

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const step = (n: number, s: string) => console.log(`\n${bold(`── ${n}. ${s}`)}`);
const indent = (s: string, by = 3) => s.replace(/^/gm, ' '.repeat(by)).trimEnd();
const say = (s: string) => console.log(indent(s));
const excerpt = (text: string, lines: number) => {
  const all = text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()
    .split('\n');
  return all.length <= lines ? all.join('\n') : `${all.slice(0, lines).join('\n')}\n${dim(`… ${all.length - lines} more line(s)`)}`;
};
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
const short = (sha: string | undefined) => (sha ?? '(none)').slice(0, 7);

class DemoFailure extends Error {}
const expect = (ok: boolean, what: string) => {
  if (!ok) throw new DemoFailure(what);
};

if (!existsSync(action)) {
  console.error('dist/index.js is missing: run "npm run build" first.');
  process.exit(1);
}

const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'summaries'), { recursive: true });

// Trust: the simulator's TLS certificate comes from a CA of its own, kept in .tmp/demo-ca/ (or the
// test CA when NODE_EXTRA_CA_CERTS already names it); the action's process trusts it through the
// standard NODE_EXTRA_CA_CERTS. TLS verification is never turned off.
const lc: Lifecycle = await startLifecycle({ sim: { caDir: resolve('.tmp', 'demo-ca') } });
const { sim, gh } = lc;
const trust = { NODE_EXTRA_CA_CERTS: sim.caCertPath };

const runs: { n: number; slug: string; run: ActionRun }[] = [];

const STATUSES = ['Not run', 'Starting', 'In progress', 'Pending authentication', 'Pending approval', 'Idle', 'Partially successful', 'New error', 'Pending admin consent'];

/**
 * Runs the action for one event. The tenant's lines come out as they happen: the statuses chained
 * on one line (Starting → In progress → …), the action's notes indented below them.
 */
async function sync(slug: string, label: string, event: WorkflowEvent, expected: string): Promise<ActionRun> {
  console.log(dim(`   ▸ ${label} → dist/index.js on ${short(event.sha)}`));
  const t0 = Date.now();
  let pending = '';
  let chain = false;
  const endChain = () => {
    if (chain) process.stdout.write('\n');
    chain = false;
  };
  const onLine = (line: string) => {
    if (!line.startsWith(`${TENANT}: `)) return;
    const text = line.slice(TENANT.length + 2);
    const [head, ...rest] = text.split(' - ');
    if (STATUSES.includes(head!)) {
      process.stdout.write(chain ? ` → ${bold(head!)}` : `   ${TENANT}: ${bold(head!)}`);
      chain = true;
      if (rest.length > 0) {
        endChain();
        say(`  ${rest.join(' - ')}`);
      }
    } else {
      endChain();
      say(`  ${text}`);
    }
  };
  const onStdout = (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  const run = await runAction(lc, event, {}, trust, { onStdout });
  onLine(pending);
  endChain();
  runs.push({ n: runs.length + 1, slug, run });
  writeFileSync(join(out, 'summaries', `${runs.length}-${slug}.md`), run.summary);
  const statuses = statusesOf(run, TENANT);
  const ok = run.code === 0 && statuses.join(' → ') === ['Starting', 'In progress', expected].join(' → ');
  if (!ok) {
    // The action's own log, without the workflow commands (::add-mask:: carries the values it masks)
    const chatter = /^(::|Artifact name is valid|Root directory input|Uploading artifact|Beginning upload|Uploaded bytes|Finished uploading|SHA256 digest|Finalizing artifact|Artifact .* finalized)/;
    const log = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim() && !chatter.test(l));
    console.log(indent(log.slice(-25).join('\n'), 6));
  }
  expect(ok, `${label}: expected Starting → In progress → ${expected}, got ${statuses.join(' → ') || 'no status'} (exit code ${run.code})`);
  say(dim(`✓ ${expected}, as expected: exit code 0, output status-${TENANT}=${run.outputs[`status-${TENANT}`]}, ${((Date.now() - t0) / 1000).toFixed(1)} s`));
  return run;
}

const git = (...args: string[]) => execFileSync('git', ['--git-dir', gh.bareRepoPath, ...args], { encoding: 'utf8' }).trimEnd();
const oneLine = (ref: string) => git('log', '-1', '--format=%h %s', ref);
const labelNames = (labels: readonly (string | { name?: string })[]) => labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
const dashboard = () => gh.issues().filter((i) => labelNames(i.labels).includes('tenant-sync:dashboard'));
const openPulls = () => gh.pulls().filter((p) => p.state === 'open');
const lastCheck = (sha: string) => gh.checkRuns({ name: CHECK, headSha: sha }).at(-1);
const writes = () => sim.writes().map((w) => `${w.method} ${w.path} → ${w.status}`);
const lastComment = (n: number) => gh.comments(n).at(-1)?.body ?? '';

/** A person edits a JSON file on main (a commit pushed from elsewhere) */
async function editOnMain(dir: string, pick: (o: Record<string, unknown>) => boolean, edit: (o: Record<string, unknown>) => Record<string, unknown>, message: string) {
  const tree = await gh.readTree('main');
  const [path, text] = Object.entries(tree).find(([p, t]) => p.startsWith(dir) && pick(JSON.parse(t) as Record<string, unknown>))!;
  const before = JSON.parse(text) as Record<string, unknown>;
  const after = edit(before);
  await gh.commitFiles('main', { [path]: `${JSON.stringify(after, null, 2)}\n` }, message, { author: { name: 'Alex Admin', email: 'alex@contoso.example' } });
  return { path, name: String(before['displayName']), before, after };
}

/** Pull request bodies as they were when a step looked at them */
const pullBodies = new Map<number, string>();

let failed: unknown;
try {
  console.log(bold('tenant-sync demo: the action on GitHub, from the first backup to approve, reject and revert'));

  step(1, 'Start a simulated Microsoft 365 tenant and a simulated GitHub');
  say(
    [
      `Tenant "${TENANT}": a simulated Microsoft 365 tenant over real HTTPS, with MSAL sign-in (client credentials)`,
      `  at ${sim.loginUrl} and Microsoft Graph at ${sim.graphUrl}; the action trusts its CA through NODE_EXTRA_CA_CERTS.`,
      `GitHub: an API double at ${gh.apiUrl}, every request checked against GitHub's OpenAPI description,`,
      `  git over smart HTTP on a real repository ${gh.repository}, and the Actions artifact service.`,
      `Each run clones main as actions/checkout does and runs dist/index.js with the runner's environment.`,
    ].join('\n'),
  );

  step(2, 'First scheduled sync: back up the tenant');
  let event = await scheduleEvent(gh);
  let run = await sync('first-sync', 'schedule', event, 'Idle');
  const state = await gh.readTree(STATE);
  const objects = Object.keys(state).filter((p) => p.startsWith(`tenants/${TENANT}/`));
  expect(objects.length > 0, 'the first sync backed up no object');
  say(`${objects.length} objects, one JSON file each, on two branches:`);
  say(`  ${STATE}  ${oneLine(STATE)}`);
  say(`  main${' '.repeat(STATE.length - 4)}  ${oneLine('main')}   (adopted: drift policy "adopt")`);
  const board = dashboard();
  expect(board.length === 1, `expected one dashboard issue, found ${board.length}`);
  say(`Dashboard issue #${board[0]!.number} "${board[0]!.title}":`);
  say(indent((board[0]!.body ?? '').split('\n').filter((l) => l.startsWith('|')).join('\n').replace(/\(http[^)]*\)/g, '(…)'), 2));
  const check = lastCheck(event.sha);
  expect(check?.conclusion === 'success', `check run conclusion ${check?.conclusion}`);
  say(`Check run "${CHECK}": ${check!.status}, conclusion ${check!.conclusion}. Writes to the tenant: ${sim.writes().length}`);
  const artifact = gh.artifacts({ runId: run.runId, name: `tenant-sync-${TENANT}` })[0];
  expect(artifact !== undefined, 'no artifact uploaded');
  say(`Artifact ${artifact!.name} (${artifact!.size} bytes): ${[...artifact!.files().keys()].sort().join(', ')}`);
  expect(sim.writes().length === 0, 'the first sync wrote to the tenant');

  step(3, 'Alex trusts the IPv4 named location on main → push → Pending approval');
  const trustChange = await editOnMain(LOCATIONS, (o) => o['isTrusted'] === false, (o) => ({ ...o, isTrusted: true }), 'Trust the office range');
  say(`Alex Admin pushes "Trust the office range": ${trustChange.path.slice(LOCATIONS.length)}, isTrusted false → true`);
  event = await pushEvent(gh, 'main');
  run = await sync('change-on-main', 'push to main', event, 'Pending approval');
  expect(openPulls().length === 1, `expected one open pull request, found ${openPulls().length}`);
  let pr = openPulls()[0]!;
  pullBodies.set(pr.number, pr.body ?? '');
  say(`Pull request #${pr.number} "${pr.title}"`);
  say(dim(`  ${pr.head} → ${pr.base}, labels ${pr.labels.join(', ')}; its body is the plan:`));
  say(indent(excerpt((pr.body ?? '').split(/^---$/m)[0]!, 25), 4));
  say(dim('    … then how to approve (merge), reject (close) or revert (close with tenant-sync:revert)'));
  const pending = lastCheck(event.sha);
  expect(pending?.conclusion === 'action_required', `check run conclusion ${pending?.conclusion}`);
  say(`Check run: conclusion ${pending!.conclusion}, details → ${pending!.details_url?.replace(gh.serverUrl, '')}`);
  say(`Writes to the tenant: ${sim.writes().length} (nothing is written before a reviewer approves)`);
  expect(sim.writes().length === 0, 'Pending approval wrote to the tenant');

  step(4, `A reviewer merges #${pr.number} → pull_request closed → apply`);
  await gh.mergePullAsUser(pr.number, 'reviewer');
  run = await sync('apply', `pull_request #${pr.number} closed (merged)`, await pullRequestEvent(gh, pr.number), 'Idle');
  say('Writes the simulator received (the approved plan, object by object):');
  say(indent(writes().join('\n') || '(none)', 2));
  expect(sim.writes().length === 1 && sim.writes()[0]!.method === 'PATCH', `expected one PATCH, got ${writes().join(', ') || 'none'}`);
  const applied = sim.state('namedLocations').find((o) => (o as Record<string, unknown>)['displayName'] === trustChange.name) as Record<string, unknown> | undefined;
  expect(applied?.['isTrusted'] === true, 'the tenant does not show the approved change');
  say(`In the tenant now: "${trustChange.name}" isTrusted = ${String(applied?.['isTrusted'])}`);
  say(`Comment on #${pr.number}:`);
  say(indent(excerpt(lastComment(pr.number), 6), 2));
  say(`${STATE} records it: ${oneLine(STATE)}`);

  step(5, 'Alex enables a conditional access policy; the reviewer closes the pull request → reject');
  sim.clearWrites();
  const enable = await editOnMain(POLICIES, (o) => o['state'] === 'disabled', (o) => ({ ...o, state: 'enabled' }), 'Enable the FIDO2 policy for helpdesk');
  say(`Alex Admin pushes "Enable the FIDO2 policy for helpdesk": "${enable.name}", state disabled → enabled`);
  await sync('change-to-reject', 'push to main', await pushEvent(gh, 'main'), 'Pending approval');
  pr = openPulls()[0]!;
  pullBodies.set(pr.number, pr.body ?? '');
  say(`Pull request #${pr.number} "${pr.title}"`);
  await gh.closePullAsUser(pr.number, { user: 'reviewer' });
  const mainBeforeReject = await gh.resolve('main');
  await sync('reject', `pull_request #${pr.number} closed (not merged)`, await pullRequestEvent(gh, pr.number), 'Idle');
  say(`Writes to the tenant: ${sim.writes().length}. main unchanged (${short(await gh.resolve('main'))}): the rejected change stays in the repository`);
  expect(sim.writes().length === 0, 'a rejected plan wrote to the tenant');
  expect((await gh.resolve('main')) === mainBeforeReject, 'reject moved main');
  say(`Comment on #${pr.number}:`);
  say(indent(excerpt(lastComment(pr.number), 4), 2));
  expect(lastComment(pr.number).includes('Rejected'), 'no rejection comment');

  step(6, 'Alex narrows the country location; the reviewer closes with tenant-sync:revert → revert');
  const narrow = await editOnMain(
    LOCATIONS,
    (o) => Array.isArray(o['countriesAndRegions']),
    (o) => ({ ...o, countriesAndRegions: (o['countriesAndRegions'] as string[]).slice(0, 1) }),
    'Only the first country',
  );
  say(`Alex Admin pushes "Only the first country": "${narrow.name}", countries ${JSON.stringify(narrow.before['countriesAndRegions'])} → ${JSON.stringify(narrow.after['countriesAndRegions'])}`);
  await sync('change-to-revert', 'push to main', await pushEvent(gh, 'main'), 'Pending approval');
  pr = openPulls()[0]!;
  pullBodies.set(pr.number, pr.body ?? '');
  const planned = JSON.parse((await gh.readFile(APPROVE, `.tenant-sync/${TENANT}/plan.json`)) ?? '{"items":[]}') as { items: { action: string; type: string; name: string }[] };
  say(`Pull request #${pr.number} "${pr.title}": ${planned.items.map((i) => `${i.action} ${i.type} "${i.name}"`).join(', ')}`);
  say(dim('  (a new plan: this change and the one rejected in step 5, still on main)'));
  await gh.closePullAsUser(pr.number, { user: 'reviewer', labels: ['tenant-sync:revert'] });
  await sync('revert', `pull_request #${pr.number} closed with tenant-sync:revert`, await pullRequestEvent(gh, pr.number), 'Idle');
  const putBack = [narrow.path, enable.path].map(async (p) => (await gh.readFile('main', p)) === (await gh.readFile(STATE, p)));
  expect((await Promise.all(putBack)).every(Boolean), 'revert did not put main back to the tenant');
  say(`main put back to the tenant for the plan's objects: ${oneLine('main')}`);
  say(`Writes to the tenant: ${sim.writes().length}`);
  expect(sim.writes().length === 0, 'a revert wrote to the tenant');
  say(`Comment on #${pr.number}:`);
  say(indent(excerpt(lastComment(pr.number), 4), 2));

  step(7, 'An administrator renames a named location in the portal → the next sync adopts it onto main');
  const [id, location] = sim.state('namedLocations').map((o) => [String((o as { id: string }).id), o as Record<string, unknown>] as const)[0]!;
  const renamed = `${String(location['displayName'])} (renamed in the portal)`;
  sim.tenant.update('namedLocations', id, { displayName: renamed });
  say(`In the tenant: "${String(location['displayName'])}" → "${renamed}"`);
  const mainBeforeDrift = await gh.resolve('main');
  await sync('drift', 'schedule', await scheduleEvent(gh), 'Idle');
  const adopted = await gh.log('main', mainBeforeDrift);
  expect(adopted.length === 1, `expected one adoption commit on main, found ${adopted.length}`);
  const message = (await gh.commit(adopted[0]!))?.message ?? '';
  expect(message.includes('renamed in the portal'), 'the adoption commit does not name the change');
  say(`Adopted onto main, commit ${short(adopted[0])}:`);
  say(indent(excerpt(message, 6), 2));
  expect(sim.writes().length === 0, 'adopting drift wrote to the tenant');

  step(8, 'A scheduled sync with nothing new converges');
  const tipsBefore = await gh.branches();
  const pullsBefore = gh.pulls().length;
  await sync('nothing-new', 'schedule', await scheduleEvent(gh), 'Idle');
  const tipsAfter = await gh.branches();
  for (const [branch, sha] of Object.entries(tipsAfter)) say(`${branch.padEnd(28)} ${short(tipsBefore[branch])} → ${short(sha)}  ${sha === tipsBefore[branch] ? 'unchanged' : 'MOVED'}`);
  expect(JSON.stringify(tipsAfter) === JSON.stringify(tipsBefore), 'a sync with nothing new moved a branch');
  say(`Pull requests: ${gh.pulls().length} (no new one), open: ${openPulls().length}; dashboard issues: ${dashboard().length}; writes: ${sim.writes().length}`);
  expect(gh.pulls().length === pullsBefore && openPulls().length === 0, 'a sync with nothing new opened a pull request');
  expect(dashboard().length === 1, 'a second dashboard issue');

  step(9, 'What it left behind');
  // The repository with every branch, as a plain clone without the (short-lived) credentials
  // (cloned from the double's bare repository on disk, so no URL with a token is recorded anywhere)
  const repo = join(out, 'repo');
  await exec('git', ['clone', '--quiet', '--no-hardlinks', gh.bareRepoPath, repo]);
  const local = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trimEnd();
  for (const ref of local('for-each-ref', '--format=%(refname:strip=3)', 'refs/remotes/origin').split('\n')) {
    if (ref && ref !== 'HEAD' && ref !== 'main') local('branch', '--quiet', ref, `origin/${ref}`);
  }
  local('remote', 'remove', 'origin');
  writeFileSync(join(out, 'dashboard.md'), dashboard()[0]?.body ?? '');
  mkdirSync(join(out, 'pulls'), { recursive: true });
  for (const p of gh.pulls()) {
    const body = pullBodies.get(p.number) ?? p.body ?? '';
    const comments = gh.comments(p.number).map((c) => `---\n\n**${c.user}**:\n\n${c.body}`);
    writeFileSync(join(out, 'pulls', `${p.number}.md`), `# #${p.number} ${p.title}\n\n${p.head} → ${p.base}; ${p.state}${p.merged ? ', merged' : ''}; labels: ${p.labels.join(', ')}\n\n${body}\n\n${comments.join('\n\n')}\n`, { flag: 'w' });
  }
  for (const a of gh.artifacts()) {
    const n = runs.find((r) => r.run.runId === a.runId);
    for (const [path, bytes] of a.files()) {
      const file = join(out, 'artifacts', `${n ? `${n.n}-${n.slug}` : a.runId}`, a.name, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
  }
  const rel = (p: string) => relative(process.cwd(), join(out, p)) || '.';
  say(
    [
      `${rel('repo')}/             the repository, every branch: git -C ${rel('repo')} log --oneline --graph --all`,
      `${rel('summaries')}/        the job summary of each of the ${runs.length} runs`,
      `${rel('dashboard.md')}      the dashboard issue`,
      `${rel('pulls')}/            the ${gh.pulls().length} approval pull requests: the plan and the comments`,
      `${rel('artifacts')}/        each run's artifact (report, plan, log, deploy record)`,
    ].join('\n'),
  );
  const secrets = [sim.apps.secret.clientSecret, gh.token];
  const written = filesUnder(out).filter((f) => !f.startsWith(join(repo, '.git')));
  const leaks = written.filter((f) => secrets.some((secret) => readFileSync(f).includes(secret)));
  expect(leaks.length === 0, `a secret was found in ${leaks.map((f) => relative(out, f)).join(', ')}`);
  say(`No secret (the client secret, the GitHub token) in any of these ${written.length} files.`);
  const problems = gh.problems();
  if (problems.length > 0) {
    say(`OpenAPI check: ${problems.length} problem(s):`);
    for (const p of problems.slice(0, 10)) say(`  ${p.method} ${p.path} (${p.operationId ?? '?'}): ${p.errors.join('; ').slice(0, 200)}`);
    throw new DemoFailure('requests or responses outside GitHub\'s OpenAPI description');
  }
  say(`OpenAPI check: all ${gh.requests.filter((r) => r.kind === 'rest').length} REST requests fit GitHub's description; nothing unimplemented was called.`);
} catch (e) {
  failed = e;
} finally {
  await lc.close();
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failed) {
  console.error(`\n${bold('Demo failed')} after ${seconds} s: ${failed instanceof Error ? failed.message : String(failed)}`);
  if (!(failed instanceof DemoFailure) && failed instanceof Error) console.error(failed.stack);
  process.exit(1);
}
console.log(`\n${bold('Done')} in ${seconds} s: ${runs.length} runs of the action, every step reached its status.`);
