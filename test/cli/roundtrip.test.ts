import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRecordSchema } from '../../src/deploy/record.js';
import { parsePlan } from '../../src/reconcile/index.js';
import { renderJson } from '../../src/snapshot/index.js';
import { runCli } from './runCli.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simEnv, snapshotTree, tempRepo, writeConfig } from '../backup/helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => sim?.close());

const run = (args: string[], cwd: string, env: Record<string, string | undefined> = simEnv(sim)) => runCli(args, cwd, env);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function edit(root: string, path: string, change: (o: Obj) => Obj | void, newName?: string): Promise<void> {
  const file = join(root, 'tenants', 'contoso', path);
  const obj = JSON.parse(await readFile(file, 'utf8')) as Obj;
  const result = change(obj) ?? obj;
  await writeFile(newName ? join(file, '..', newName) : file, renderJson(result));
}

describe('round trip through the CLI: back up, edit, plan, apply, back up again', () => {
  it('deploys edits to nine types (ten objects) and the next backup gives back exactly the edited files', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    expect((await run(['backup', '--tenant', 'contoso'], root)).code).toBe(0);

    // A conditional access policy that names a named location and a group
    await edit(root, 'entra/conditionalAccessPolicies/Require FIDO2 for helpdesk outside allowed countries.json', (o) => {
      o.conditions.users.includeGroups = ['Finance', 'Helpdesk Operators'];
      o.conditions.locations.excludeLocations = ['Country named location', 'IPv4 named location'];
      o.state = 'enabledForReportingButNotEnforced';
    });
    await edit(root, 'entra/namedLocations/Country named location.json', (o) => {
      o.countriesAndRegions = ['US', 'CA', 'FR'];
    });
    // A new named location, created
    await edit(root, 'entra/namedLocations/Country named location.json', (o) => ({ ...o, displayName: 'Nordics', countriesAndRegions: ['NO', 'SE', 'DK'] }), 'Nordics.json');
    await edit(root, 'entra/authorizationPolicy/Authorization policy.json', (o) => {
      o.allowInvitesFrom = 'adminsAndGuestInviters';
      o.defaultUserRolePermissions.allowedToCreateSecurityGroups = false;
    });
    // A settings catalog policy (written with PUT, settings included)
    await edit(root, 'intune/configurationPolicies/Microsoft Edge baseline.json', (o) => {
      o.description = 'Edge baseline, reviewed 2026-11';
    });
    // An assignment: a compliance policy moves to another group
    await edit(root, 'intune/deviceCompliancePolicies/iOS compliance.json', (o) => {
      o.assignments[0].target.groupId = 'All Employees';
      o.passcodeMinimumLength = 8;
    });
    await edit(root, 'intune/assignmentFilters/Supervised iPhones.json', (o) => {
      o.description = 'Corporate iPhones (ADE)';
    });
    await edit(root, 'intune/roleScopeTags/Contoso Europe.json', (o) => {
      o.description = 'Devices and policies of the European subsidiaries';
    });
    await edit(root, 'intune/deviceConfigurations/iOS device restrictions.json', (o) => {
      o.description = 'Restrictions for corporate iPhones';
    });
    await edit(root, 'entra/groupSettings/Password Rule Settings.json', (o) => {
      o.values = (o.values as Obj[]).map((v) => (v.name === 'BannedPasswordCheckOnPremisesMode' ? { ...v, value: 'Enforce' } : v));
    });
    const edited = await snapshotTree(join(root, 'tenants'));

    const plan = await run(['plan', '--tenant', 'contoso', '--out', 'plan.json'], root);
    expect(plan.code, plan.stderr).toBe(4);
    const parsed = parsePlan(JSON.parse(await readFile(join(root, 'plan.json'), 'utf8')));
    expect(parsed.errors).toEqual([]);
    expect(parsed.conflicts).toEqual([]);
    const types = new Set(parsed.items.map((i) => i.type));
    expect(types.size).toBeGreaterThanOrEqual(8);
    expect(parsed.items.filter((i) => i.action === 'create').map((i) => i.name)).toEqual(['Nordics']);

    sim.clearWrites();
    const applied = await run(['apply', '--plan', 'plan.json', '--yes', '--record', 'record.json'], root);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const record = deployRecordSchema.parse(JSON.parse(await readFile(join(root, 'record.json'), 'utf8')));
    expect(record.status).toBe('succeeded');
    expect(record.items.every((i) => i.result === 'applied')).toBe(true);
    // Exactly the writes the record lists: one per object plus /assign and action calls.
    const writes = sim.writes();
    if (process.env.TENANT_SYNC_PRINT_FIGURES) console.log(`round trip: ${parsed.items.length} planned objects over ${types.size} types, ${writes.length} writes`);
    expect(writes.map((w) => `${w.method} ${w.path}`).sort()).toEqual(record.items.flatMap((i) => i.requests.map((r) => `${r.method} ${r.path}`)).sort());
    expect(writes.filter((w) => !/\/(assign|updateAllowedCombinations|targetApps|setPriority)$/.test(w.path))).toHaveLength(parsed.items.length);
    expect(writes.some((w) => w.method === 'PUT' && w.path.includes('/configurationPolicies/'))).toBe(true);
    expect(writes.some((w) => w.path.endsWith('/assign'))).toBe(true);

    // Back up again: every file is byte for byte what was edited, and a new plan is empty.
    expect((await run(['backup', '--tenant', 'contoso'], root)).code).toBe(0);
    const after = await snapshotTree(join(root, 'tenants'));
    expect([...after].map(([p, { hash }]) => [p, hash]).sort()).toEqual([...edited].map(([p, { hash }]) => [p, hash]).sort());
    expect((await run(['plan', '--tenant', 'contoso'], root)).code).toBe(0);
    // Nothing further was written by the backup or the plan.
    expect(sim.writes()).toHaveLength(writes.length);
  });

  it('apply refuses a file that is not a plan, and a plan for a tenant that is not configured', async () => {
    sim.clearWrites();
    const root = await tempRepo();
    await writeConfig(root, sim);
    await writeFile(join(root, 'plan.json'), '{"version": 1}');
    const invalid = await run(['apply', '--plan', 'plan.json', '--yes'], root);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('is not a tenant-sync plan');
    await run(['backup', '--tenant', 'contoso'], root);
    await run(['plan', '--tenant', 'contoso', '--out', 'plan.json'], root);
    const plan = JSON.parse(await readFile(join(root, 'plan.json'), 'utf8')) as { tenant: string };
    await writeFile(join(root, 'plan.json'), JSON.stringify({ ...plan, tenant: 'fabrikam' }));
    const other = await run(['apply', '--plan', 'plan.json', '--yes'], root);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('CONFIG_UNKNOWN_TENANT');
    expect(sim.writes()).toHaveLength(0);
  });
});
