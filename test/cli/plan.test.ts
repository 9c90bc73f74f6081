import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/reconcile/index.js';
import { runCli } from './runCli.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simEnv, tempRepo, writeConfig } from '../backup/helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => sim?.close());

const run = (args: string[], cwd: string, env: Record<string, string | undefined> = simEnv(sim)) => runCli(args, cwd, env);

const caFolder = join('tenants', 'contoso', 'entra', 'conditionalAccessPolicies');

describe('tenant-sync plan and validate (the bundled CLI)', () => {
  it('plan: nothing to do right after a backup (exit 0), the edits as a plan otherwise (exit 4), never a write', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    expect((await run(['backup', '--tenant', 'contoso'], root)).code).toBe(0);
    const unchanged = await run(['plan', '--tenant', 'contoso'], root);
    expect(unchanged.code).toBe(0);

    const file = join(root, caFolder, 'Block legacy auth_ all users_apps.json');
    const policy = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...policy, state: 'disabled' }, null, 2));
    await writeFile(join(root, caFolder, 'New policy.json'), JSON.stringify({ ...policy, displayName: 'New policy', state: 'enabledForReportingButNotEnforced' }));
    const changed = await run(['plan', '--tenant', 'contoso', '--out', 'plan.json'], root);
    expect(changed.code).toBe(4);
    expect(changed.stdout).toContain('Block legacy auth: all users/apps');
    expect(changed.stdout).toContain('New policy');
    const plan = parsePlan(JSON.parse(await readFile(join(root, 'plan.json'), 'utf8')));
    expect(plan.items.map((i) => [i.action, i.type, i.name]).sort()).toEqual([
      ['create', 'conditionalAccessPolicies', 'New policy'],
      ['update', 'conditionalAccessPolicies', 'Block legacy auth: all users/apps'],
    ]);
    const update = plan.items.find((i) => i.action === 'update')!;
    expect(update.changes).toEqual([{ path: 'state', kind: 'changed', before: 'enabled', after: 'disabled' }]);
    expect(sim.writes()).toHaveLength(0);
  });

  it('plan: a type that cannot be read is left out: no creates, no deletes, whatever its files say', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    await run(['backup', '--tenant', 'contoso'], root);
    const folder = join(root, 'tenants', 'contoso', 'intune', 'deviceConfigurations');
    await rm(join(folder, 'Windows custom OMA-URI.json'));
    await writeFile(join(folder, 'Extra.json'), JSON.stringify({ '@odata.type': '#microsoft.graph.iosGeneralDeviceConfiguration', displayName: 'Extra' }));
    sim.faults.add({ kind: 'failType', type: 'deviceConfigurations', status: 500 });
    try {
      const result = await run(['plan', '--tenant', 'contoso', '--json'], root);
      const plan = parsePlan(JSON.parse(result.stdout));
      expect(plan.items.filter((i) => i.type === 'deviceConfigurations')).toEqual([]);
      expect(plan.skippedTypes.map((t) => t.type)).toContain('deviceConfigurations');
      expect(result.stderr).toContain('deviceConfigurations could not be read and is left out of the plan');
      expect(sim.writes()).toHaveLength(0);
    } finally {
      sim.faults.clear();
    }
  });

  it('validate: duplicate names and a missing reference, each with its file', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    await run(['backup', '--tenant', 'contoso'], root);
    expect((await run(['validate'], root)).code).toBe(0);
    const file = join(root, caFolder, 'Block legacy auth_ all users_apps.json');
    const policy = JSON.parse(await readFile(file, 'utf8')) as { conditions: { locations: unknown } };
    await writeFile(join(root, caFolder, 'Copy.json'), JSON.stringify(policy));
    await writeFile(
      join(root, caFolder, 'Other.json'),
      JSON.stringify({ ...policy, displayName: 'Other', conditions: { ...policy.conditions, locations: { includeLocations: ['Nowhere HQ'], excludeLocations: [] } } }),
    );
    const result = await run(['validate'], root);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('DUPLICATE_NAME');
    expect(result.stderr).toMatch(/Other\.json.*\n?.*Nowhere HQ/);
    expect(result.stderr).toContain('REFERENCE_UNRESOLVED');
    expect(result.stderr).toContain('Fix:');
  });

  it('validate: a file that is not JSON is named with its line, and its type is not checked further', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    await run(['backup', '--tenant', 'contoso'], root);
    await writeFile(join(root, caFolder, 'Broken.json'), '{\n  "displayName": "Broken",\n  "state": enabled\n}\n');
    const result = await run(['validate'], root);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('error: tenants/contoso/entra/conditionalAccessPolicies/Broken.json:3: not valid JSON');
    expect(result.stderr).toContain('FILE_INVALID');
  });

  it('validate: deleting most of a type is held by the delete guard', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim, '    delete-guard:\n      max-share: 0.1\n      min-count: 1\n');
    await run(['backup', '--tenant', 'contoso'], root);
    const folder = join(root, 'tenants', 'contoso', 'intune', 'deviceConfigurations');
    const files = ['Windows 10_ BitLocker _ TPM.json', 'Windows Update ring - Pilot.json', 'Windows custom OMA-URI.json'];
    for (const f of files) await rm(join(folder, f));
    const result = await run(['validate', '--tenant', 'contoso'], root);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('DELETE_GUARD');
    expect(result.stderr).toContain('3 of the 4');
  });
});
