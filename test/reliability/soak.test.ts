/**
 * Soak: many consecutive syncs through the GitHub lifecycle, in-process (syncTenant and
 * reviewTenant from src/main against the tenant simulator and the GitHub double), with random
 * drift in the tenant, random edits on main, random approvals (merge), rejections (close), reverts
 * (close with tenant-sync:revert), reviews of plans that went stale, and injected faults (transient
 * 503s, 429 bursts, a type that cannot be read for one sync).
 *
 * Invariants, checked after every step:
 * - No step but the apply of a merged approval writes to the tenant: the simulator's raw objects
 *   (every type, lookups included) do not change across a sync, a reject or a revert, and no write
 *   request reaches Graph.
 * - An apply writes only its merged plan: every write request Graph received is one the deploy
 *   record lists (method and path; a retried request counts once in the record), every record item
 *   is an item of the plan.json merged from the approval branch, and every raw object that changed
 *   (created, changed, deleted) is one of those items, changed the way the item says.
 * - Existence model: the ids of each synced type = the initial ids + the ids drift created - the
 *   ids drift removed + the ids approved creates made - the ids approved deletes removed. So
 *   nothing is deleted (or created) that no approved plan (or the scenario) names.
 * - After an apply whose backup read every type, each item the record calls applied is, on the
 *   state branch, exactly the plan's object (absent for a delete).
 * - After a revert, main holds the tenant's version (the state branch's) of each object of the plan.
 * - No two objects of a synced type carry the same display name (the scenario never makes any).
 * - A sync never ends in New error; the GitHub double saw no request outside GitHub's description.
 * - The people editing main keep it consistent (a named location is renamed together with the
 *   policies naming it), so a plan error is tenant-sync's own doing (except a reference to a named
 *   location a person deleted on main).
 * - Every change made in the portal is reported, as drift or as a conflict, by the first sync that
 *   reads its type (unless main already says the same, or the portal put the object back to the
 *   version last settled with main: a change reported as a conflict stays pending from the version
 *   before it until it is settled); a change proposed as the repository's is
 *   about an object a person changed on main; a conflict stays a conflict until a revert or a new
 *   change to the object resolves it.
 *
 * At the end, without faults, pending plans are settled (merged; reverted when they hold
 * conflicts or errors; a plan rejected earlier and not proposed again is reverted on main by hand)
 * until a sync finds nothing to do. Then: main's objects (by type and name) equal a fresh backup's,
 * the state branch's tenant folder and id map equal the fresh backup byte for byte, and a last sync
 * converges (Idle, no commit on either branch, no pull request).
 *
 * Each seed of a fixed list runs as its own test, on a fresh simulator and GitHub double, so a run is
 * deterministic and a failure names its seed. Each seed runs 50 consecutive iterations, in CI too
 * (about 3 minutes per seed on 2 cores). SOAK_SEEDS (a comma list) and SOAK_ITERATIONS override them; SOAK_SEED=<seed> SOAK_ITERATIONS=<n> reproduces a failure (the
 * failure prints them). SOAK_VERBOSE=1 prints each step as it happens. Findings are collected over
 * the whole run and reported together at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../src/config/load.js';
import { reviewOf } from '../../src/github/approvalPullRequest.js';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { GitRepository } from '../../src/github/git.js';
import { createMemoryLogger } from '../../src/log/index.js';
import type { TenantOutcome } from '../../src/main/outcome.js';
import { reviewTenant } from '../../src/main/review.js';
import { syncTenant } from '../../src/main/sync.js';
import { parsePlan, planHash, type Plan } from '../../src/reconcile/index.js';
import { findResource } from '../../src/resources/catalogue.js';
import { renderJson, safeFileName, typeFolder } from '../../src/snapshot/index.js';
import { configText, runBackup, simEnv, tenantFor } from '../backup/helpers.js';
import type { Obj } from '../deploy/helpers.js';
import { pullRequestEvent, startGitHubDouble, type GitHubDouble } from '../github/double/index.js';
import { startSimulator, type Simulator, type WriteRecord } from '../simulator/index.js';
import { DEFS, duplicateNames, pathOnly, rawDiff, rawState, Rng, smallTenant, TYPES, TYPES_CONFIG, type RawState } from './property-support.js';

const exec = promisify(execFile);
/** The fixed seeds: 7031 and 11 are the ones the first soaks found divergences with */
const SEEDS: readonly number[] = (process.env.SOAK_SEEDS ?? process.env.SOAK_SEED ?? '7031,11,2024').split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x));
const ITERATIONS = Number(process.env.SOAK_ITERATIONS ?? 50);
const STATE = 'tenant-sync/state/contoso';
const APPROVE = 'tenant-sync/approve/contoso';
const PLAN_PATH = '.tenant-sync/contoso/plan.json';
const IDS_PATH = '.tenant-sync/contoso/ids.json';
const GRAPH = { rateLimits: {}, writeRateLimits: {}, maxBackoffMs: 200 };

let sim: Simulator;
let gh: GitHubDouble;
let tenant: TenantConfig;
let ctx: RepoContext;
let git: GitRepository;
let work: string;

/** A fresh simulator (a tenant made from the seed), GitHub double and checkout for one seed */
async function setUp(seed: number): Promise<void> {
  // Throttling off (the client's pacing too): 429s come as injected bursts. timeScale makes the
  // injected Retry-After short; decimal Retry-After keeps it under a second.
  sim = await startSimulator({ tenant: smallTenant(seed, 6), throttling: false, timeScale: 20, retryAfterMode: 'decimal', seed });
  gh = await startGitHubDouble({
    collaborators: { contoso: 'admin', reviewer: 'write', triager: 'triage' },
    initialFiles: { 'README.md': '# tenant configuration\n', 'tenant-sync.yml': configText(sim, TYPES_CONFIG) },
  });
  tenant = tenantFor(sim, TYPES_CONFIG);
  work = await mkdtemp(join(tmpdir(), 'tenant-sync-soak-'));
  const checkout = join(work, 'checkout');
  await exec('git', ['clone', '--quiet', gh.remoteUrl, checkout]);
  const env = { ...process.env, RUNNER_TEMP: work, GITHUB_REPOSITORY: 'contoso/tenant-config', GITHUB_API_URL: gh.apiUrl };
  git = new GitRepository(checkout, createMemoryLogger(), env);
  ctx = createRepoContext({ env, token: gh.token, defaultBranch: 'main', sha: (await gh.resolve('main'))! });
}

async function tearDown(): Promise<void> {
  await gh?.close();
  await sim?.close();
  if (work) await rm(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// running the product

const noStatus = (): void => undefined;

function runOptions() {
  return { ctx, git, tenant, log: createMemoryLogger(), sources: { env: simEnv(sim) }, onStatus: noStatus, tempRoot: work, graph: GRAPH };
}

async function sync(): Promise<TenantOutcome & { logLines: string[] }> {
  const options = runOptions();
  const outcome = await syncTenant(options);
  return { ...outcome, logLines: options.log.lines };
}

async function review(number: number): Promise<TenantOutcome & { logLines: string[] }> {
  const event = await pullRequestEvent(gh, number);
  const r = reviewOf(ctx, event.payload['pull_request'], [tenant.name]);
  if (!r) throw new Error(`#${number} is not an approval pull request`);
  const options = runOptions();
  const outcome = await reviewTenant({ ...options, review: r, sender: (event.payload['sender'] as { login?: string } | undefined)?.login });
  return { ...outcome, logLines: options.log.lines };
}

function openApproval(): number | undefined {
  return gh.pulls().find((p) => p.state === 'open' && p.head === APPROVE)?.number;
}

// ---------------------------------------------------------------------------------------------
// repository views

const defOf = (type: string) => findResource(type)!;

/** type -> display name -> { path, object } of a branch's tenant folder */
async function objectsOn(ref: string): Promise<Map<string, Map<string, { path: string; object: Obj }[]>>> {
  const tree = await gh.readTree(ref);
  const out = new Map<string, Map<string, { path: string; object: Obj }[]>>();
  for (const def of DEFS) {
    const folder = `${typeFolder(tenant.name, def)}/`;
    const byName = new Map<string, { path: string; object: Obj }[]>();
    for (const [path, text] of Object.entries(tree)) {
      if (!path.startsWith(folder) || !path.endsWith('.json') || path.slice(folder.length).includes('/')) continue;
      const object = JSON.parse(text) as Obj;
      const name = String(object[def.nameField]);
      byName.set(name, [...(byName.get(name) ?? []), { path, object }]);
    }
    out.set(def.type, byName);
  }
  return out;
}

async function folderFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.set(relative(root, path).split('\\').join('/'), await readFile(path, 'utf8'));
    }
  };
  await walk(root);
  return out;
}

// ---------------------------------------------------------------------------------------------
// the scenario: drift, edits on main, faults

interface Log {
  lines: string[];
  add(line: string): void;
}

function rawById(type: string, id: string): Obj | undefined {
  const def = defOf(type);
  return (sim.state(type) as Obj[]).find((o) => String(o[def.key]) === id);
}

/** Ids of named locations that conditional access policies in the tenant name */
function referencedLocationIds(): Set<string> {
  const out = new Set<string>();
  for (const ca of sim.state('conditionalAccessPolicies') as Obj[]) {
    const locations = ((ca['conditions'] as Obj | undefined)?.['locations'] ?? null) as Obj | null;
    for (const key of ['includeLocations', 'excludeLocations']) {
      const ids = locations?.[key];
      if (Array.isArray(ids)) for (const id of ids) out.add(String(id));
    }
  }
  return out;
}

type Model = Map<string, Set<string>>;

function modelFromRaw(raw: RawState): Model {
  return new Map(TYPES.map((t) => [t, new Set(raw.get(t)?.keys() ?? [])]));
}

/**
 * `${type}/${name}` of objects a change touched since the last sync (a rename of a named location
 * touches every CA policy), and `${type}#${id}` of those the portal changed (a conflict is named by
 * the repository's name, which a portal change does not know)
 */
type Touched = Set<string>;

function touch(touched: Touched, type: string, ...names: string[]): void {
  for (const name of names) touched.add(`${type}/${name}`);
  if (type === 'namedLocations') touched.add('conditionalAccessPolicies/*');
}

/**
 * Changes made in the portal that no sync has reported yet (as drift or as a conflict), by object:
 * its names, and its raw version before the first of these changes (undefined: created).
 */
interface PendingDrift {
  type: string;
  id: string;
  names: Set<string>;
  before: Obj | undefined;
  what: string[];
}
const pendingDrift = new Map<string, PendingDrift>();

function notePending(type: string, id: string, names: string[], before: Obj | undefined, what: string): void {
  const key = `${type}/${id}`;
  const p = pendingDrift.get(key) ?? { type, id, names: new Set<string>(), before, what: [] };
  for (const n of names) p.names.add(n);
  p.what.push(what);
  pendingDrift.set(key, p);
}

/** An object as configuration: without the times and version Graph sets */
function configOf(obj: Obj | undefined): Obj | undefined {
  if (!obj) return undefined;
  const { createdDateTime: _c, modifiedDateTime: _m, lastModifiedDateTime: _l, version: _v, ...rest } = obj;
  return rest;
}

/** One change made in the tenant as the portal would (not through tenant-sync) */
function drift(rng: Rng, i: number, model: Model, log: Log, touched: Touched): void {
  const type = rng.pick(TYPES);
  const def = defOf(type);
  const objects = sim.state(type) as Obj[];
  const roll = rng.next();
  if (roll < 0.2 && objects.length > 0) {
    const referenced = type === 'namedLocations' ? referencedLocationIds() : new Set<string>();
    const candidates = objects.filter((o) => !referenced.has(String(o[def.key])));
    if (candidates.length === 0) return;
    const victim = rng.pick(candidates);
    const id = String(victim[def.key]);
    sim.tenant.remove(type, id);
    notePending(type, id, [String(victim[def.nameField])], victim, `#${i} removed it`);
    model.get(type)!.delete(id);
    touch(touched, type, String(victim[def.nameField]));
    touched.add(`${type}#${id}`);
    log.add(`drift: remove ${type} '${String(victim[def.nameField])}'`);
    return;
  }
  if (roll < 0.4 && objects.length > 0) {
    const source = rng.pick(objects);
    const name = `Drift ${rng.word()} ${i}`;
    const copy: Obj = { ...structuredClone(source), [def.nameField]: name };
    delete copy[def.key];
    for (const key of ['createdDateTime', 'modifiedDateTime', 'lastModifiedDateTime', 'version']) delete copy[key];
    if (Array.isArray(copy['assignments'])) copy['assignments'] = (copy['assignments'] as Obj[]).map((a) => ({ ...a, id: `${String(a['id'] ?? 'a')}-${i}` }));
    const created = sim.tenant.create(type, copy);
    notePending(type, String(created[def.key]), [name], undefined, `#${i} created it`);
    model.get(type)!.add(String(created[def.key]));
    touch(touched, type, name);
    touched.add(`${type}#${String(created[def.key])}`);
    log.add(`drift: create ${type} '${name}'`);
    return;
  }
  if (objects.length === 0) return;
  driftUpdate(rng, i, type, rng.pick(objects), log, touched);
}

/** A change of one object in the portal: its name, a flag or its description */
function driftUpdate(rng: Rng, i: number, type: string, target: Obj, log: Log, touched: Touched): void {
  const def = defOf(type);
  const id = String(target[def.key]);
  const old = String(target[def.nameField]);
  let patch: Obj;
  if (rng.chance(0.25)) patch = { [def.nameField]: `Drift ${rng.word()} ${i}` };
  else if (type === 'namedLocations') patch = target['@odata.type'] === '#microsoft.graph.ipNamedLocation' ? { isTrusted: !target['isTrusted'] } : { includeUnknownCountriesAndRegions: !target['includeUnknownCountriesAndRegions'] };
  else if (type === 'conditionalAccessPolicies') patch = { state: target['state'] === 'enabled' ? 'disabled' : 'enabled' };
  else patch = { description: `drift ${i} ${rng.word()}` };
  sim.tenant.update(type, id, patch);
  notePending(type, id, [old, String(patch[def.nameField] ?? old)], target, `#${i} set ${JSON.stringify(patch)}`);
  touch(touched, type, old, String(patch[def.nameField] ?? old));
  touched.add(`${type}#${id}`);
  log.add(`drift: update ${type} '${old}' ${JSON.stringify(patch)}`);
}

/** Conditional access policies' files on main that name a named location, with the keys naming it */
function locationReferrers(main: Awaited<ReturnType<typeof objectsOn>>, location: string): { path: string; object: Obj }[] {
  const out: { path: string; object: Obj }[] = [];
  for (const list of main.get('conditionalAccessPolicies')!.values()) {
    for (const entry of list) {
      const locations = ((entry.object['conditions'] as Obj | undefined)?.['locations'] ?? null) as Obj | null;
      if (['includeLocations', 'excludeLocations'].some((k) => Array.isArray(locations?.[k]) && (locations![k] as unknown[]).includes(location))) out.push(entry);
    }
  }
  return out;
}

/**
 * One commit on main, as a careful person pushing a change to the desired configuration would:
 * main stays consistent (a named location is renamed together with the policies that name it, and
 * one that a policy names is not deleted), so a reference error in a plan is never the person's.
 */
async function editMain(rng: Rng, i: number, log: Log, touched: Touched, deletedLocations: Set<string>, edited: Set<string>): Promise<void> {
  const type = rng.pick(TYPES);
  const def = defOf(type);
  const objects = await objectsOn('main');
  const entries = [...objects.get(type)!.values()].flat();
  const groups = (sim.state('groups') as Obj[]).map((g) => String(g['displayName'])).sort();
  const roll = rng.next();
  const folder = typeFolder(tenant.name, def);
  const author = { name: 'Alex Admin', email: 'alex@contoso.example' };
  if (roll < 0.15 && entries.length > 0) {
    const victim = rng.pick(entries);
    const name = String(victim.object[def.nameField]);
    if (type === 'namedLocations' && locationReferrers(objects, name).length > 0) return;
    await gh.commitFiles('main', { [victim.path]: null }, `Remove ${name}`, { author });
    if (type === 'namedLocations') deletedLocations.add(name);
    touch(touched, type, name);
    edited.add(`${type}/${name}`);
    log.add(`main: delete ${type} '${name}'`);
    return;
  }
  if (roll < 0.35 && entries.length > 0) {
    const source = rng.pick(entries);
    const name = `Edit ${rng.word()} ${i}`;
    const object = { ...structuredClone(source.object), [def.nameField]: name };
    await gh.commitFiles('main', { [`${folder}/${safeFileName(name)}.json`]: renderJson(object) }, `Add ${name}`, { author });
    touch(touched, type, name);
    edited.add(`${type}/${name}`);
    log.add(`main: create ${type} '${name}' from '${String(source.object[def.nameField])}'`);
    return;
  }
  if (entries.length === 0) return;
  const target = rng.pick(entries);
  const o = structuredClone(target.object);
  const old = String(o[def.nameField]);
  const files: Record<string, string | null> = {};
  let what: string;
  if (rng.chance(0.2)) {
    const name = `Edit ${rng.word()} ${i}`;
    o[def.nameField] = name;
    what = `rename to '${name}'`;
    touch(touched, type, name);
    edited.add(`${type}/${name}`);
    if (type === 'namedLocations') {
      for (const ref of locationReferrers(objects, old)) {
        edited.add(`conditionalAccessPolicies/${String(ref.object['displayName'])}`);
        const policy = structuredClone(ref.object);
        const locations = (policy['conditions'] as Obj)['locations'] as Obj;
        for (const k of ['includeLocations', 'excludeLocations']) if (Array.isArray(locations[k])) locations[k] = (locations[k] as unknown[]).map((n) => (n === old ? name : n));
        files[ref.path] = renderJson(policy);
        what += ` (and in '${String(policy['displayName'])}')`;
      }
    }
  } else if (type === 'namedLocations') {
    if (o['@odata.type'] === '#microsoft.graph.ipNamedLocation') o['isTrusted'] = !o['isTrusted'];
    else o['includeUnknownCountriesAndRegions'] = !o['includeUnknownCountriesAndRegions'];
    what = 'flip a flag';
  } else if (type === 'conditionalAccessPolicies') {
    const conditions = o['conditions'] as Obj;
    if (rng.chance(0.5)) {
      o['state'] = rng.pick(['enabled', 'disabled', 'enabledForReportingButNotEnforced']);
      what = `state=${String(o['state'])}`;
    } else {
      (conditions['users'] as Obj)['excludeGroups'] = [rng.pick(groups)];
      what = `excludeGroups=${JSON.stringify((conditions['users'] as Obj)['excludeGroups'])}`;
    }
  } else {
    o['description'] = `edit ${i} ${rng.word()}`;
    what = `description=${String(o['description'])}`;
  }
  files[target.path] = renderJson(o);
  touch(touched, type, old);
  edited.add(`${type}/${old}`);
  await gh.commitFiles('main', files, `Change ${old}`, { author });
  log.add(`main: update ${type} '${old}': ${what}`);
}

/** Faults for the next step; returns what was injected */
function injectFaults(rng: Rng, log: Log): { kind: string } | undefined {
  const roll = rng.next();
  if (roll < 0.2) {
    const count = rng.int(1, 4);
    const type = rng.pick(TYPES);
    sim.faults.add({ kind: 'status', status: 503, count, retryAfterSeconds: 1, match: { type } });
    log.add(`faults: ${count} x 503 on ${type}`);
    return { kind: '503' };
  }
  if (roll < 0.35) {
    const count = rng.int(3, 7);
    sim.faults.add({ kind: 'status', status: 429, count, retryAfterSeconds: 2 });
    log.add(`faults: a burst of ${count} x 429`);
    return { kind: '429' };
  }
  if (roll < 0.42) {
    const type = rng.pick(TYPES);
    sim.faults.add({ kind: 'failType', type, status: 403 });
    log.add(`faults: ${type} cannot be read (403)`);
    return { kind: 'failType' };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// checks

interface Findings {
  unapprovedWrites: string[];
  unexpectedChanges: string[];
  violations: string[];
}

function takeWrites(): WriteRecord[] {
  const w = sim.writes();
  sim.clearWrites();
  return w;
}

const ok = (status: number | null | undefined) => status !== null && status !== undefined && status >= 200 && status < 300;

/** A step that must not write: no write request, no raw change */
function checkNoWrites(step: string, before: RawState, findings: Findings): void {
  for (const w of takeWrites()) findings.unapprovedWrites.push(`${step}: ${w.method} ${w.path} (${w.status})`);
  for (const d of rawDiff(before, rawState(sim))) findings.unexpectedChanges.push(`${step}: ${d.type}/${d.id} ${d.change}`);
}

/** The apply of merged plan `plan`: writes and raw changes belong to its items; the model follows */
function checkApply(step: string, plan: Plan, outcome: TenantOutcome, before: RawState, model: Model, findings: Findings): void {
  const writes = takeWrites();
  const record = outcome.deploy;
  if (!record) {
    for (const w of writes) findings.unapprovedWrites.push(`${step} (no deploy record): ${w.method} ${w.path} (${w.status})`);
    for (const d of rawDiff(before, rawState(sim))) findings.unexpectedChanges.push(`${step} (no deploy record): ${d.type}/${d.id} ${d.change}`);
    return;
  }
  const planned = new Set(plan.items.map((i) => `${i.action} ${i.type} ${i.name}`));
  for (const item of record.items) {
    if (!planned.has(`${item.action} ${item.type} ${item.name}`)) findings.violations.push(`${step}: record item ${item.action} ${item.type} '${item.name}' is not in the merged plan`);
  }
  const requests = record.items.flatMap((item) => item.requests.map((r) => ({ item, key: `${r.method} ${r.path}`, status: r.status })));
  const recorded = new Set(requests.map((r) => r.key));
  for (const w of writes) {
    if (!recorded.has(`${w.method} ${pathOnly(w.path)}`)) findings.unapprovedWrites.push(`${step}: ${w.method} ${w.path} (${w.status}) is not in the deploy record`);
  }
  const okWrites = writes.filter((w) => ok(w.status)).length;
  const okRequests = requests.filter((r) => ok(r.status)).length;
  if (okWrites !== okRequests) findings.violations.push(`${step}: Graph accepted ${okWrites} write(s), the record lists ${okRequests}`);

  const after = rawState(sim);
  for (const item of record.items) {
    if (item.result !== 'stale') continue;
    if (item.requests.length > 0) findings.violations.push(`${step}: ${item.type} '${item.name}' is stale, yet ${item.requests.length} write(s) were sent for it`);
    if (item.id !== null && !isDeepStrictEqual(before.get(item.type)?.get(item.id), after.get(item.type)?.get(item.id))) {
      findings.unexpectedChanges.push(`${step}: ${item.type} '${item.name}' is stale, yet the apply changed it`);
    }
  }
  for (const d of rawDiff(before, after)) {
    if (!(TYPES as readonly string[]).includes(d.type)) {
      findings.unexpectedChanges.push(`${step}: ${d.type}/${d.id} ${d.change} (not a synced type)`);
      continue;
    }
    const item = record.items.find((i) => i.type === d.type && i.id === d.id);
    const want = d.change === 'created' ? 'create' : d.change === 'deleted' ? 'delete' : 'update';
    if (!item || item.action !== want) findings.unexpectedChanges.push(`${step}: ${d.type}/${d.id} ${d.change}, not by a ${want} of the plan${item ? ` (the record has ${item.action} '${item.name}')` : ''}`);
    if (d.change === 'created') model.get(d.type)!.add(d.id);
    if (d.change === 'deleted') model.get(d.type)!.delete(d.id);
  }
}

function checkModel(step: string, model: Model, findings: Findings): void {
  const raw = rawState(sim);
  for (const type of TYPES) {
    const have = new Set(raw.get(type)?.keys() ?? []);
    const want = model.get(type)!;
    for (const id of want) if (!have.has(id)) findings.violations.push(`${step}: ${type}/${id} is gone from the tenant, and no approved delete nor drift removed it`);
    for (const id of have) if (!want.has(id)) findings.violations.push(`${step}: ${type}/${id} appeared in the tenant, and no approved create nor drift made it`);
  }
  for (const d of duplicateNames(sim)) findings.violations.push(`${step}: duplicate name in the tenant: ${d}`);
}

/** After an apply: the state branch holds each applied item's planned object */
async function checkAppliedOnState(step: string, plan: Plan, outcome: TenantOutcome, findings: Findings): Promise<void> {
  if (!outcome.deploy || !outcome.report || outcome.report.totals.failedTypes > 0) return;
  const state = await objectsOn(STATE);
  for (const item of outcome.deploy.items) {
    if (item.result !== 'applied' && item.result !== 'skipped') continue;
    const planned = plan.items.find((p) => p.action === item.action && p.type === item.type && p.name === item.name)!;
    const holders = state.get(item.type)?.get(item.name) ?? [];
    if (item.action === 'delete') {
      if (holders.length > 0) findings.violations.push(`${step}: '${item.name}' (${item.type}) was deleted, but the state branch still has ${holders[0]!.path}`);
    } else if (holders.length !== 1 || !isDeepStrictEqual(holders[0]!.object, planned.after)) {
      findings.violations.push(`${step}: ${item.action} ${item.type} '${item.name}' is applied, but the state branch has ${holders.length === 1 ? `another object: ${JSON.stringify(holders[0]!.object)}` : `${holders.length} objects of that name`}`);
    }
  }
}

/** After a revert: main holds the state branch's version of every object the plan named (by its tenant name) */
async function checkReverted(step: string, plan: Plan, findings: Findings): Promise<void> {
  const [main, state] = [await objectsOn('main'), await objectsOn(STATE)];
  const names = [
    ...plan.items.map((i) => ({ type: i.type, name: i.action === 'update' ? (i.previousName ?? i.name) : i.name, created: i.action === 'create' })),
    ...plan.conflicts.map((c) => ({ type: c.type, name: c.name, created: false })),
  ];
  for (const { type, name, created } of names) {
    const m = main.get(type)?.get(name) ?? [];
    const s = state.get(type)?.get(name) ?? [];
    if (created && s.length === 0) {
      if (m.length > 0) findings.violations.push(`${step}: reverted, but main still has the created ${type} '${name}' (${m[0]!.path})`);
      continue;
    }
    if (m.length !== s.length || !m.every((x, k) => isDeepStrictEqual(x.object, s[k]!.object))) {
      findings.violations.push(`${step}: reverted, but main's ${type} '${name}' (${m.map((x) => x.path).join(', ') || 'none'}) differs from the tenant's (${s.map((x) => x.path).join(', ') || 'none'})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the soak

describe('soak: consecutive syncs, reviews, drift, edits and faults through the GitHub lifecycle', () => {
  it.each(SEEDS)(`${ITERATIONS} iterations (seed %i) write nothing unapproved and converge`, async (SEED) => {
    await setUp(SEED);
    try {
      await soakSeed(SEED);
    } finally {
      await tearDown();
    }
  }, 900_000);
});

async function soakSeed(SEED: number): Promise<void> {
  {
    const started = Date.now();
    const rng = new Rng(SEED);
    pendingDrift.clear();
    const history: string[] = [];
    const verbose = process.env.SOAK_VERBOSE === '1';
    const log: Log = {
      lines: history,
      add: (line) => {
        history.push(line);
        if (verbose) console.log(line);
      },
    };
    const findings: Findings = { unapprovedWrites: [], unexpectedChanges: [], violations: [] };
    const counts = { syncs: 0, merges: 0, rejects: 0, reverts: 0, staleReviews: 0, drift: 0, edits: 0, faults: 0, applied: 0, stale: 0, failed: 0, writes: 0 };
    const finals = new Map<string, number>();
    const timing = { syncMs: 0, reviewMs: 0 };
    const model = modelFromRaw(rawState(sim));
    const touched: Touched = new Set();
    const deletedLocations = new Set<string>();
    /** `${type}/${name}` of every object a person changed, created, renamed or deleted on main */
    const edited = new Set<string>();
    const reported = new Set<string>();
    let lastConflicts: { type: string; name: string; id: string | null; kind: string; at: string }[] = [];
    let revertedSince = false;
    const violation = (key: string, text: string): void => {
      if (reported.has(key)) return;
      reported.add(key);
      findings.violations.push(text);
    };
    const allFindings = () => [...findings.unapprovedWrites, ...findings.unexpectedChanges, ...findings.violations];
    const fail = (why: string): never => {
      const found = allFindings();
      throw new Error(
        `${why}\nreproduce with SOAK_SEED=${SEED} SOAK_ITERATIONS=${ITERATIONS}${found.length > 0 ? `\n--- findings so far ---\n${found.join('\n')}` : ''}\n--- history (last 60 lines) ---\n${history.slice(-60).join('\n')}`,
      );
    };

    /** Merge, close or revert the open approval pull request, with the checks of each */
    const decide = async (step: string, number: number, choice: 'merge' | 'reject' | 'revert'): Promise<void> => {
      const before = rawState(sim);
      const planText = await gh.readFile(APPROVE, PLAN_PATH);
      if (planText === undefined) fail(`${step}: #${number} is open but ${APPROVE} has no plan.json`);
      const plan = parsePlan(JSON.parse(planText!));
      if (choice === 'merge') {
        await gh.mergePullAsUser(number, 'reviewer');
        const t0 = Date.now();
        const outcome = await review(number);
        timing.reviewMs += Date.now() - t0;
        counts.merges++;
        finals.set(`apply: ${outcome.final}`, (finals.get(`apply: ${outcome.final}`) ?? 0) + 1);
        log.add(`${step}: merged #${number} (${plan.items.length} item(s)) -> ${outcome.final}; ${outcome.deploy ? outcome.deploy.items.map((i) => `${i.action} '${i.name}' ${i.result}`).join(', ') : `no deploy: ${outcome.error?.message ?? ''}`}`);
        if (outcome.plan && planHash(outcome.plan) !== planHash(plan)) findings.violations.push(`${step}: the applied plan is not the one merged from ${APPROVE}`);
        for (const item of outcome.deploy?.items ?? []) {
          if (item.result === 'applied') counts.applied++;
          if (item.result === 'stale') counts.stale++;
          if (item.result === 'failed') counts.failed++;
          counts.writes += item.requests.length;
        }
        checkApply(step, plan, outcome, before, model, findings);
        await checkAppliedOnState(step, plan, outcome, findings);
      } else {
        await gh.closePullAsUser(number, { user: 'reviewer', labels: choice === 'revert' ? ['tenant-sync:revert'] : [] });
        const t0 = Date.now();
        const outcome = await review(number);
        timing.reviewMs += Date.now() - t0;
        if (choice === 'revert') counts.reverts++;
        else counts.rejects++;
        log.add(`${step}: ${choice === 'revert' ? 'reverted' : 'rejected'} #${number} -> ${outcome.final}${outcome.error ? ` (${outcome.error.message})` : ''}`);
        if (outcome.final !== 'Idle') findings.violations.push(`${step}: ${choice} of #${number} ended ${outcome.final}: ${outcome.error?.message ?? ''}`);
        checkNoWrites(step, before, findings);
        if (choice === 'revert') {
          revertedSince = true;
          await checkReverted(step, plan, findings);
        }
      }
      checkModel(step, model, findings);
    };

    const choose = (): 'merge' | 'reject' | 'revert' => {
      const r = rng.next();
      return r < 0.6 ? 'merge' : r < 0.82 ? 'reject' : 'revert';
    };

    const doSync = async (step: string): Promise<TenantOutcome> => {
      const before = rawState(sim);
      const t0 = Date.now();
      const outcome = await sync();
      const ms = Date.now() - t0;
      timing.syncMs += ms;
      counts.syncs++;
      finals.set(`sync: ${outcome.final}`, (finals.get(`sync: ${outcome.final}`) ?? 0) + 1);
      const c = outcome.plan?.counts;
      log.add(`${step}: sync (${ms} ms) -> ${outcome.final}${c ? ` (plan: ${c.creates}c ${c.updates}u ${c.deletes}d ${c.conflicts} conflicts ${c.errors} errors ${c.held} held ${c.drift} drift)` : ''}${outcome.pullRequest ? ` #${outcome.pullRequest.number}` : ''}${outcome.error ? ` ERROR ${outcome.error.code}: ${outcome.error.message}` : ''}${(outcome.plan?.errors ?? []).map((e) => `\n    plan error ${e.code} ${e.message}`).join('')}${(outcome.plan?.conflicts ?? []).map((e) => `\n    conflict ${e.kind} ${e.type} '${e.name}'`).join('')}`);
      if (outcome.final === 'New error' || outcome.final === 'Pending admin consent') {
        findings.violations.push(`${step}: sync ended ${outcome.final}: ${outcome.error?.code} ${outcome.error?.message}\n${outcome.logLines.filter((l) => !l.startsWith('debug')).join('\n')}`);
      }
      checkNoWrites(step, before, findings);
      checkModel(step, model, findings);
      const plan = outcome.plan;
      if (plan) {
        // main is kept consistent by the people editing it and the tenant is consistent: a plan error
        // is tenant-sync's own doing, unless it is about a named location a person deleted on main
        for (const e of plan.errors) {
          const about = e.kind === 'missing-reference' || e.kind === 'ambiguous-reference' ? String(e.params['value'] ?? '') : (e.name ?? '');
          if ((e.kind === 'missing-reference' || e.kind === 'still-referenced') && deletedLocations.has(about)) continue;
          violation(`error ${e.code} ${e.message}`, `${step}: the plan has an error no person caused: ${e.code} (${e.kind}) ${e.message}`);
        }
        // A change proposed as the repository's is about an object a person changed on main: anything
        // else would be a change made in the tenant, proposed for reverting without being reported
        for (const item of plan.items) {
          if (item.origin !== 'repository') continue;
          if (edited.has(`${item.type}/${item.name}`) || (item.action === 'update' && item.previousName !== undefined && edited.has(`${item.type}/${item.previousName}`))) continue;
          violation(
            `unedited ${item.type}/${item.name}/${item.action}`,
            `${step}: the plan proposes to ${item.action} ${item.type} '${item.name}' as a change of the repository, but nobody changed it on main: the tenant's change (${item.changes.slice(0, 3).map((x) => `${x.path}: ${JSON.stringify(x.before)} -> ${JSON.stringify(x.after)}`).join('; ')}) would be reverted without being reported as drift`,
          );
        }
        // Every change made in the portal is reported (drift or conflict) by the first sync that reads
        // its type, unless main already says the same (both made the same change) or the portal put
        // back the version last settled with main
        let trees: [Awaited<ReturnType<typeof objectsOn>>, Awaited<ReturnType<typeof objectsOn>>] | undefined;
        const agreed = async (p: PendingDrift): Promise<boolean> => {
          trees ??= [await objectsOn('main'), await objectsOn(STATE)];
          const [main, state] = trees;
          return [...p.names].some((n) => {
            const [m, t] = [main.get(p.type)?.get(n) ?? [], state.get(p.type)?.get(n) ?? []];
            return m.length === t.length && m.every((x, k) => isDeepStrictEqual(x.object, t[k]!.object));
          });
        };
        for (const [key, p] of pendingDrift) {
          if (plan.skippedTypes.some((t) => t.type === p.type)) continue;
          // A conflict names the object by the repository's name (renamed on main, it differs from
          // every name the portal gave it); it carries the tenant's id, which tells the object.
          const unsettled =
            plan.conflicts.some((x) => x.type === p.type && (p.names.has(x.name) || x.id === p.id)) ||
            plan.drift.some((x) => x.type === p.type && p.names.has(x.name) && x.action !== plan.driftPolicy);
          const reported = unsettled || plan.drift.some((x) => x.type === p.type && p.names.has(x.name));
          const now = configOf(rawById(p.type, p.id));
          if (!reported && !isDeepStrictEqual(now, configOf(p.before)) && !(await agreed(p))) {
            const item = plan.items.find((x) => x.type === p.type && (p.names.has(x.name) || (x.action === 'update' && x.previousName !== undefined && p.names.has(x.previousName))));
            violation(
              `unreported ${key}`,
              `${step}: a change made in the portal to ${p.type} '${[...p.names].join("' / '")}' (${p.what.join(', ')}) was never reported as drift or conflict${item ? `, and the plan proposes to ${item.action} it (origin ${item.origin}), reverting the portal's change` : ''}`,
            );
          }
          // Reported but not settled (a conflict, an adoption held back): the change stays pending
          // from the version before it, the base of the comparisons until it is settled. So a later
          // portal change that puts the object back to that version needs no report.
          if (!unsettled) pendingDrift.delete(key);
        }
        // A conflict stays a conflict until someone resolves it (a revert, or a change to the object)
        if (!revertedSince) {
          for (const c of lastConflicts) {
            if (touched.has(`${c.type}/${c.name}`) || touched.has(`${c.type}/*`) || (c.id !== null && touched.has(`${c.type}#${c.id}`))) continue;
            if (plan.skippedTypes.some((t) => t.type === c.type)) continue;
            if (plan.conflicts.some((x) => x.type === c.type && x.name === c.name)) continue;
            const item = plan.items.find((x) => x.type === c.type && (x.name === c.name || (x.action === 'update' && x.previousName === c.name)));
            violation(
              `conflict ${c.type}/${c.name}/${c.at}`,
              `${step}: the conflict (${c.kind}) on ${c.type} '${c.name}' that ${c.at} reported is gone although nobody resolved it${item ? `: it is now planned as a plain ${item.action} (${item.changes.slice(0, 4).map((x) => `${x.path}: ${JSON.stringify(x.before)} -> ${JSON.stringify(x.after)}`).join('; ')}${item.changes.length > 4 ? '; ...' : ''})` : ''}`,
            );
          }
        }
        lastConflicts = plan.conflicts.map((c) => ({ type: c.type, name: c.name, id: c.id, kind: c.kind, at: step }));
      }
      touched.clear();
      revertedSince = false;
      return outcome;
    };

    let soakMs = 0;
    try {
      await soak();
    } catch (e) {
      fail(`the soak stopped: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    async function soak(): Promise<void> {
      for (let i = 1; i <= ITERATIONS; i++) {
        const step = `#${i}`;
        if (rng.chance(0.45)) {
          for (let k = rng.int(1, 2); k > 0; k--) drift(rng, i, model, log, touched);
          counts.drift++;
        }
        if (rng.chance(0.5)) {
          for (let k = rng.int(1, 2); k > 0; k--) await editMain(rng, i, log, touched, deletedLocations, edited);
          counts.edits++;
        }
        checkModel(`${step} after drift`, model, findings);
        // Sometimes a reviewer acts on a plan made before this drift and these edits (a stale plan)
        const pending = openApproval();
        if (pending !== undefined && rng.chance(0.35)) {
          counts.staleReviews++;
          // ... and sometimes the portal changed an object of that plan meanwhile: its item must be refused as stale
          const pendingPlan = parsePlan(JSON.parse((await gh.readFile(APPROVE, PLAN_PATH)) ?? '{}'));
          const changeable = pendingPlan.items.filter((x) => x.action !== 'create' && x.id !== null && rawById(x.type, x.id) !== undefined);
          if (changeable.length > 0 && rng.chance(0.5)) {
            const item = rng.pick(changeable);
            driftUpdate(rng, i, item.type, rawById(item.type, item.id!)!, log, touched);
            checkModel(`${step} after drift on a planned object`, model, findings);
          }
          if (injectFaults(rng, log)) counts.faults++;
          await decide(`${step} late review`, pending, choose());
          sim.faults.clear();
        }
        if (injectFaults(rng, log)) counts.faults++;
        await doSync(step);
        sim.faults.clear();
        const open = openApproval();
        if (open !== undefined && rng.chance(0.6)) {
          if (injectFaults(rng, log)) counts.faults++;
          await decide(`${step} review`, open, choose());
          sim.faults.clear();
        }
        if (gh.problems().length > 0) {
          findings.violations.push(`${step}: GitHub double problems: ${JSON.stringify(gh.problems()).slice(0, 2000)}`);
          gh.clearLog();
        }
      }
      soakMs = Date.now() - started;

      // Settle what is pending, without faults, until a sync finds nothing to do
      sim.faults.clear();
      let settled = false;
      for (let round = 1; round <= 8 && !settled; round++) {
        const step = `final ${round}`;
        const outcome = await doSync(step);
        const open = openApproval();
        const plan = outcome.plan;
        if (open !== undefined) {
          const hard = (plan?.conflicts.length ?? 0) + (plan?.errors.length ?? 0) + (plan?.held.length ?? 0) > 0;
          await decide(step, open, hard ? 'revert' : 'merge');
        } else if (plan && (plan.items.length > 0 || plan.conflicts.length > 0 || plan.errors.length > 0 || plan.held.length > 0)) {
          // A plan rejected before and not proposed again: put main back to the tenant's state by hand
          const [main, state] = [await objectsOn('main'), await objectsOn(STATE)];
          const files: Record<string, string | null> = {};
          const names = [...plan.items.map((x) => ({ type: x.type, names: [x.name, x.action === 'update' ? x.previousName : undefined] })), ...plan.conflicts.map((x) => ({ type: x.type, names: [x.name] })), ...plan.errors.map((x) => ({ type: x.type, names: [x.name ?? undefined] })), ...plan.held.flatMap((h) => h.items.map((x) => ({ type: x.type, names: [x.name] })))];
          for (const { type, names: list } of names) {
            for (const name of list) {
              if (name === undefined) continue;
              for (const m of main.get(type)?.get(name) ?? []) files[m.path] = null;
              for (const s of state.get(type)?.get(name) ?? []) files[s.path] = renderJson(s.object);
            }
          }
          log.add(`${step}: no pull request for a pending plan (rejected before); main reverted by hand: ${Object.keys(files).join(', ')}`);
          revertedSince = true;
          await gh.commitFiles('main', files, 'Back to the tenant\'s state', { author: { name: 'Alex Admin', email: 'alex@contoso.example' } });
        } else {
          settled = outcome.final === 'Idle';
        }
      }
      if (!settled) fail('the repository and the tenant did not settle in 8 final syncs');
    }

    // The tenant equals main (by type and name) and the state branch (byte for byte)
    const end = (text: string): void => void findings.violations.push(`end: ${text}`);
    const backupRoot = await mkdtemp(join(work, 'final-backup-'));
    const report = await runBackup(sim, backupRoot, { tenant, graph: GRAPH });
    if (report.totals.failedTypes > 0) end(`the final backup failed to read ${report.totals.failedTypes} type(s)`);
    const fresh = await folderFiles(join(backupRoot, 'tenants', tenant.name));
    const stateTree = await gh.readTree(STATE);
    const stateFiles = new Map(Object.entries(stateTree).filter(([p]) => p.startsWith(`tenants/${tenant.name}/`)).map(([p, t]) => [p.slice(`tenants/${tenant.name}/`.length), t]));
    const mismatched = [...new Set([...fresh.keys(), ...stateFiles.keys()])].filter((p) => fresh.get(p) !== stateFiles.get(p)).sort();
    if (mismatched.length > 0) end(`the state branch differs from a fresh backup: ${mismatched.join(', ')}`);
    if (!isDeepStrictEqual(JSON.parse(stateTree[IDS_PATH] ?? '{}'), JSON.parse(await readFile(join(backupRoot, IDS_PATH), 'utf8')))) end('the state branch\'s id map differs from a fresh backup\'s');
    const [mainObjects, stateObjects] = [await objectsOn('main'), await objectsOn(STATE)];
    for (const type of TYPES) {
      const names = new Set([...mainObjects.get(type)!.keys(), ...stateObjects.get(type)!.keys()]);
      for (const name of [...names].sort()) {
        const [m, t] = [mainObjects.get(type)!.get(name) ?? [], stateObjects.get(type)!.get(name) ?? []];
        if (m.length !== t.length || !m.every((x, k) => isDeepStrictEqual(x.object, t[k]!.object))) {
          end(`main and the tenant differ on ${type} '${name}': main ${m.map((x) => x.path).join(', ') || 'has none'}, tenant ${t.map((x) => x.path).join(', ') || 'has none'}`);
        }
      }
    }
    for (const d of duplicateNames(sim)) end(`duplicate name in the tenant: ${d}`);

    // A last sync converges: no commit, no pull request
    const tips = { main: await gh.resolve('main'), state: await gh.resolve(STATE) };
    const last = await doSync('last');
    if (last.final !== 'Idle') end(`the last sync ended ${last.final}`);
    if (!isDeepStrictEqual({ main: await gh.resolve('main'), state: await gh.resolve(STATE) }, tips)) end('the last sync committed');
    if (openApproval() !== undefined) end('the last sync opened a pull request');

    const summary = {
      seed: SEED,
      iterations: ITERATIONS,
      soakMs,
      msPerIteration: Math.round(soakMs / ITERATIONS),
      totalMs: Date.now() - started,
      ...counts,
      ...timing,
      finals: Object.fromEntries(finals),
      unapprovedWrites: findings.unapprovedWrites.length,
      unexpectedChanges: findings.unexpectedChanges.length,
      violations: findings.violations.length,
    };
    console.log(`soak: ${JSON.stringify(summary)}`);
    expect(allFindings(), `soak findings; reproduce with SOAK_SEED=${SEED} SOAK_ITERATIONS=${ITERATIONS} (SOAK_VERBOSE=1 prints every step)`).toEqual([]);
  }
}
