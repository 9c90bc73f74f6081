/**
 * What the soak (soak.test.ts) found, each reduced to the few steps that show it, through the same
 * in-process lifecycle (syncTenant / reviewTenant against the simulator and the GitHub double).
 * These tests state the expected behaviour; they fail while the product behaves otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../src/config/load.js';
import { reviewOf } from '../../src/github/approvalPullRequest.js';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { GitRepository } from '../../src/github/git.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { reviewTenant } from '../../src/main/review.js';
import { syncTenant } from '../../src/main/sync.js';
import { renderJson } from '../../src/snapshot/index.js';
import { configText, simEnv, tenantFor } from '../backup/helpers.js';
import type { Obj } from '../deploy/helpers.js';
import { pullRequestEvent, startGitHubDouble, type GitHubDouble } from '../github/double/index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { smallTenant, TYPES_CONFIG } from './property-support.js';

const exec = promisify(execFile);
const GRAPH = { rateLimits: {}, writeRateLimits: {}, maxBackoffMs: 200 };
const LOCATIONS = 'tenants/contoso/entra/namedLocations/';
const POLICIES = 'tenants/contoso/entra/conditionalAccessPolicies/';
const COMPLIANCE = 'tenants/contoso/intune/deviceCompliancePolicies/';

let sim: Simulator;
let gh: GitHubDouble;
let tenant: TenantConfig;
let ctx: RepoContext;
let git: GitRepository;
let work: string;

beforeEach(async () => {
  sim = await startSimulator({ tenant: smallTenant(1, 0), throttling: false });
  gh = await startGitHubDouble({
    collaborators: { contoso: 'admin', reviewer: 'write' },
    initialFiles: { 'README.md': '# tenant configuration\n', 'tenant-sync.yml': configText(sim, TYPES_CONFIG) },
  });
  tenant = tenantFor(sim, TYPES_CONFIG);
  work = await mkdtemp(join(tmpdir(), 'tenant-sync-findings-'));
  await exec('git', ['clone', '--quiet', gh.remoteUrl, join(work, 'checkout')]);
  const env = { ...process.env, RUNNER_TEMP: work, GITHUB_REPOSITORY: 'contoso/tenant-config', GITHUB_API_URL: gh.apiUrl };
  git = new GitRepository(join(work, 'checkout'), createMemoryLogger(), env);
  ctx = createRepoContext({ env, token: gh.token, defaultBranch: 'main', sha: (await gh.resolve('main'))! });
});
afterEach(async () => {
  await gh?.close();
  await sim?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const options = () => ({ ctx, git, tenant, log: createMemoryLogger(), sources: { env: simEnv(sim) }, onStatus: () => undefined, tempRoot: work, graph: GRAPH });
const sync = () => syncTenant(options());

function byName(type: string, name: string): Obj {
  return (sim.state(type) as Obj[]).find((o) => o['displayName'] === name)!;
}

describe('soak findings', () => {
  // Soak seed 7031 (before main edits kept references consistent), steps #15-#26: a named
  // location is renamed in the portal while the conditional access policies cannot be read.
  it('adopting a renamed named location while the policies naming it are unread leaves no dangling reference on main', async () => {
    expect((await sync()).final).toBe('Idle');
    // 'Require phishing-resistant MFA for Finance' excludes 'IPv4 named location'
    const location = byName('namedLocations', 'IPv4 named location');
    sim.tenant.update('namedLocations', String(location['id']), { displayName: 'Office range' });
    sim.faults.add({ kind: 'failType', type: 'conditionalAccessPolicies', status: 403 });
    const partial = await sync();
    expect(partial.final).toBe('Partially successful');
    sim.faults.clear();

    const next = await sync();
    // Expected: the policy's reference follows the rename (adopted like any drift); observed: main
    // names a location it no longer has, the plan carries REFERENCE_UNRESOLVED and nothing is adopted
    expect(next.plan?.errors.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
    const main = await gh.readTree('main');
    const policy = JSON.parse(main[`${POLICIES}Require phishing-resistant MFA for Finance.json`]!) as { conditions: { locations: { excludeLocations: string[] } } };
    expect(policy.conditions.locations.excludeLocations).toEqual(['Office range']);
    // ... and it converges: a sync with nothing new has nothing to report
    const again = await sync();
    expect(again.final).toBe('Idle');
    expect(again.plan?.errors ?? []).toEqual([]);
  });

  // Soak seed 5, steps #46-#50: main renames a named location (and the policies naming it); the
  // plan is made while conditional access cannot be read, so it holds only the location; it is
  // closed with the revert label.
  it('reverting a rename of a named location renames the references on main back too, so none dangles', async () => {
    expect((await sync()).final).toBe('Idle');
    const locationPath = `${LOCATIONS}IPv4 named location.json`;
    const policyPath = `${POLICIES}Require phishing-resistant MFA for Finance.json`;
    const location = JSON.parse((await gh.readFile('main', locationPath))!) as Obj;
    const policy = JSON.parse((await gh.readFile('main', policyPath))!) as { conditions: { locations: { excludeLocations: string[] } } };
    expect(policy.conditions.locations.excludeLocations).toEqual(['IPv4 named location']);
    policy.conditions.locations.excludeLocations = ['Office range'];
    await gh.commitFiles('main', { [locationPath]: renderJson({ ...location, displayName: 'Office range' }), [policyPath]: renderJson(policy) }, 'Rename the office range');

    sim.faults.add({ kind: 'failType', type: 'conditionalAccessPolicies', status: 403 });
    const proposed = await sync();
    sim.faults.clear();
    expect(proposed.final).toBe('Partially successful');
    expect(proposed.plan?.items.map((i) => `${i.action} ${i.type} ${i.name}`)).toEqual(['update namedLocations Office range']);

    await gh.closePullAsUser(proposed.pullRequest!.number, { user: 'reviewer', labels: ['tenant-sync:revert'] });
    const event = await pullRequestEvent(gh, proposed.pullRequest!.number);
    const reverted = await reviewTenant({ ...options(), review: reviewOf(ctx, event.payload['pull_request'], [tenant.name])!, sender: 'reviewer' });
    expect(reverted.final).toBe('Idle');
    expect(JSON.parse((await gh.readFile('main', locationPath))!)['displayName']).toBe('IPv4 named location');
    // Expected: the policy names the location by the name it has again. Observed before: main's
    // policy still named 'Office range', and the next plan carried REFERENCE_UNRESOLVED.
    const after = JSON.parse((await gh.readFile('main', policyPath))!) as typeof policy;
    expect(after.conditions.locations.excludeLocations).toEqual(['IPv4 named location']);
    const next = await sync();
    expect(next.plan?.errors.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
    expect(next.final).toBe('Idle');
  });

  // Soak seed 3, steps #32-#49: a named location renamed in the portal while a policy naming it is
  // in conflict (changed on main too): the rename is held; then the plan is reverted.
  it('reverting a conflict whose tenant version names a renamed location takes the held rename too, so none dangles', async () => {
    expect((await sync()).final).toBe('Idle');
    const policyPath = `${POLICIES}Require phishing-resistant MFA for Finance.json`;
    const policy = JSON.parse((await gh.readFile('main', policyPath))!) as Obj;
    await gh.commitFiles('main', { [policyPath]: renderJson({ ...policy, state: 'disabled' }) }, 'Disable the Finance policy');
    const location = byName('namedLocations', 'IPv4 named location');
    sim.tenant.update('namedLocations', String(location['id']), { displayName: 'Office range' });

    const held = await sync();
    expect(held.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['both-changed Require phishing-resistant MFA for Finance']);
    expect(held.plan?.drift.map((d) => `${d.name} ${d.action}`)).toEqual(['IPv4 named location report']);
    expect(held.notes.some((n) => n.includes('was not adopted onto main yet'))).toBe(true);
    expect(await gh.readFile('main', `${LOCATIONS}IPv4 named location.json`)).toBeDefined();

    await gh.closePullAsUser(held.pullRequest!.number, { user: 'reviewer', labels: ['tenant-sync:revert'] });
    const event = await pullRequestEvent(gh, held.pullRequest!.number);
    expect((await reviewTenant({ ...options(), review: reviewOf(ctx, event.payload['pull_request'], [tenant.name])!, sender: 'reviewer' })).final).toBe('Idle');
    const main = await gh.readTree('main');
    expect(JSON.parse(main[policyPath]!)).toEqual(JSON.parse((await gh.readFile('tenant-sync/state/contoso', policyPath))!));
    expect(main[`${LOCATIONS}IPv4 named location.json`]).toBeUndefined();
    expect(JSON.parse(main[`${LOCATIONS}Office range.json`]!)['displayName']).toBe('Office range');

    const next = await sync();
    expect(next.plan?.errors.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
    expect(next.final).toBe('Idle');
  });

  // Soak seed 7031, steps #2-#3: the same compliance policy changed in the tenant and on main.
  it('a conflict stays a conflict until someone resolves it; the next sync does not turn it into an update that overwrites the tenant', async () => {
    expect((await sync()).final).toBe('Idle');
    const policy = byName('deviceCompliancePolicies', 'iOS compliance');
    sim.tenant.update('deviceCompliancePolicies', String(policy['id']), { description: 'changed in the portal' });
    const path = `${COMPLIANCE}iOS compliance.json`;
    const file = JSON.parse((await gh.readFile('main', path))!) as Obj;
    await gh.commitFiles('main', { [path]: renderJson({ ...file, description: 'changed in the repository' }) }, 'Describe iOS compliance');

    const first = await sync();
    expect(first.final).toBe('Pending approval');
    expect(first.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['both-changed iOS compliance']);
    expect(first.plan?.items).toEqual([]);

    // Nobody touches anything; the next scheduled sync
    const second = await sync();
    // Expected: still the conflict, nothing planned for it. Observed: the state branch now records
    // the portal's change as the base, so the repository's version is planned as a plain update
    // (before: 'changed in the portal'), with no conflict shown, and the portal's change is neither
    // adopted nor reported any more.
    expect(second.plan?.items.map((i) => `${i.action} ${i.name}: ${JSON.stringify(i.changes)}`)).toEqual([]);
    expect(second.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['both-changed iOS compliance']);
  });

  it('a conflict between a change on main and a delete in the tenant is not turned into a create by the next sync', async () => {
    expect((await sync()).final).toBe('Idle');
    const policy = byName('deviceCompliancePolicies', 'iOS compliance');
    sim.tenant.remove('deviceCompliancePolicies', String(policy['id']));
    const path = `${COMPLIANCE}iOS compliance.json`;
    const file = JSON.parse((await gh.readFile('main', path))!) as Obj;
    await gh.commitFiles('main', { [path]: renderJson({ ...file, description: 'changed in the repository' }) }, 'Describe iOS compliance');

    const first = await sync();
    expect(first.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['deleted-in-tenant-changed-in-repo iOS compliance']);
    const second = await sync();
    // Expected: still the conflict. Observed: planned as a create of the object the portal deleted.
    expect(second.plan?.items.map((i) => `${i.action} ${i.name}`)).toEqual([]);
    expect(second.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['deleted-in-tenant-changed-in-repo iOS compliance']);
  });

  // Soak seed 11, steps #21-#22: a policy changed in the portal and deleted on main.
  it('a conflict between a delete on main and a change in the tenant is not turned into a plain delete by the next sync', async () => {
    expect((await sync()).final).toBe('Idle');
    const policy = byName('conditionalAccessPolicies', 'Block legacy auth: all users/apps');
    sim.tenant.update('conditionalAccessPolicies', String(policy['id']), { state: 'disabled' });
    await gh.commitFiles('main', { [`${POLICIES}Block legacy auth_ all users_apps.json`]: null }, 'Remove the legacy auth policy');

    const first = await sync();
    expect(first.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['changed-in-tenant-deleted-in-repo Block legacy auth: all users/apps']);
    const second = await sync();
    // Expected: still the conflict. Observed: a plain delete of the policy the portal just changed.
    expect(second.plan?.items.map((i) => `${i.action} ${i.name}`)).toEqual([]);
    expect(second.plan?.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['changed-in-tenant-deleted-in-repo Block legacy auth: all users/apps']);
  });

  // Soak seed 7031, steps #39-#40 (and the probe that followed): the portal changes an object while
  // an approval pull request waits; the pull request is merged.
  it('a change made in the tenant while an approval waits is adopted after the apply, not proposed for reverting', async () => {
    expect((await sync()).final).toBe('Idle');
    const path = `${COMPLIANCE}iOS compliance.json`;
    const file = JSON.parse((await gh.readFile('main', path))!) as Obj;
    await gh.commitFiles('main', { [path]: renderJson({ ...file, description: 'changed in the repository' }) }, 'Describe iOS compliance');
    const proposed = await sync();
    expect(proposed.plan?.items.map((i) => `${i.action} ${i.name}`)).toEqual(['update iOS compliance']);

    // Meanwhile, in the portal: an unrelated named location is trusted
    const location = byName('namedLocations', 'IPv4 named location');
    sim.tenant.update('namedLocations', String(location['id']), { isTrusted: true });

    await gh.mergePullAsUser(proposed.pullRequest!.number, 'reviewer');
    const event = await pullRequestEvent(gh, proposed.pullRequest!.number);
    const applied = await reviewTenant({ ...options(), review: reviewOf(ctx, event.payload['pull_request'], [tenant.name])!, sender: 'reviewer' });
    expect(applied.deploy?.items.map((i) => `${i.action} ${i.name} ${i.result}`)).toEqual(['update iOS compliance applied']);

    const next = await sync();
    // Expected (drift policy adopt): the portal's change is reported as drift and adopted onto main.
    // Observed: the apply's backup recorded it on the state branch as the base, so it is never seen
    // as drift; main's old value is proposed as a repository change that reverts the portal's change.
    expect(next.plan?.items.map((i) => `${i.action} (${i.origin}) ${i.name}: ${JSON.stringify(i.changes)}`)).toEqual([]);
    expect(next.plan?.drift.map((d) => `${d.kind} ${d.name}`)).toEqual(['changed IPv4 named location']);
    const main = JSON.parse((await gh.readFile('main', `${LOCATIONS}IPv4 named location.json`))!) as Obj;
    expect(main['isTrusted']).toBe(true);
  });
});
