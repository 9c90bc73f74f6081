import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, runCli } from './runCli.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { configText, simEnv, tempRepo, writeConfig } from '../backup/helpers.js';


let sim: Simulator;

beforeAll(async () => {
  expect(existsSync(cli), 'dist/cli/index.js exists (npm run build)').toBe(true);
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => sim?.close());
beforeEach(() => {
  sim.reset();
});

const run = (args: string[], cwd: string, env: Record<string, string | undefined> = simEnv(sim)) => runCli(args, cwd, env);

describe('tenant-sync backup (the bundled CLI in its own process)', () => {
  it('backs up the tenant, prints the summary, and a rerun writes nothing', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    const first = await run(['backup', '--tenant', 'contoso'], root);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/contoso: 23\/23 types backed up, \d+ objects, \d+ files written, 0 removed/);
    expect(first.stdout).toMatch(/Graph: \d+ requests \(\d+ HTTP, \d+ in \$batch\), \d+ retries, \d+ throttled \(429\)/);
    expect(await readdir(join(root, 'tenants', 'contoso'))).toEqual(['entra', 'intune', 'sharepoint']);
    const second = await run(['backup', '--tenant', 'contoso'], root);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('0 files written, 0 removed');
  });

  it('signs in with a certificate', async () => {
    const root = await tempRepo();
    const app = sim.apps.certificate;
    await writeFile(
      join(root, 'tenant-sync.yml'),
      configText(sim).replace(sim.apps.secret.clientId, app.clientId).replace('method: secret', 'method: certificate'),
    );
    const result = await run(['backup', '--tenant', 'contoso', '--json'], root, {
      ...simEnv(sim),
      TENANT_SYNC_CERTIFICATE: `${app.privateKeyPem}\n${app.certPem}`,
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { totals: { failedTypes: number; objects: number } };
    expect(report.totals.failedTypes).toBe(0);
    expect(report.totals.objects).toBeGreaterThan(50);
    expect(result.stdout).not.toContain('PRIVATE KEY');
  });

  it('a permission not granted: Pending admin consent (exit 6) with the consent link; the type is reported, its files kept', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    sim.setScenario({ appRoles: sim.scenario.appRoles.filter((r) => !r.startsWith('RoleManagement.')) });
    const result = await run(['backup', '--tenant', 'contoso'], root);
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/FAILED\s+entra\/directoryRoleDefinitions/);
    expect(result.stdout).toContain('grant the application permission RoleManagement.Read.Directory and admin consent');
    expect(result.stderr).toContain('PERMISSIONS_NOT_GRANTED');
    expect(result.stderr).toContain(`${sim.loginUrl}/${sim.tenantId}/v2.0/adminconsent?client_id=${sim.apps.secret.clientId}`);
    expect(result.stdout).toContain('contoso: Pending admin consent');
  });

  it('a type whose reads fail: Partially successful (exit 3), its files kept', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    sim.faults.add({ kind: 'failType', type: 'groupSettings', status: 500 });
    const result = await run(['backup', '--tenant', 'contoso'], root);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/FAILED\s+entra\/groupSettings/);
    expect(result.stdout).toContain('contoso: Partially successful');
  });

  it('a rejected secret: exit 1, AADSTS7000215 explained, the secret never printed', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    const canary = 'canary-secret-Zq9~x7Lk2Pw';
    const result = await run(['backup', '--tenant', 'contoso'], root, { ...simEnv(sim), TENANT_SYNC_CLIENT_SECRET: canary });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('AADSTS7000215');
    expect(result.stderr).toContain('AUTH_BAD_SECRET');
    expect(result.stderr).toContain('docs/troubleshooting/AUTH_BAD_SECRET.md');
    expect(result.stdout + result.stderr).not.toContain(canary);
    expect(await readdir(root)).toEqual(['tenant-sync.yml']);
  });

  it.each([
    ['no tenant-sync.yml', [], undefined, 'CONFIG_NOT_FOUND', 'tenant-sync.yml was not found'],
    ['an unknown tenant', ['--tenant', 'contosso'], configText, 'CONFIG_UNKNOWN_TENANT', 'Did you mean "contoso"?'],
    ['an unknown cloud', [], (s: Simulator) => configText(s).replace('    auth:', '    cloud: azure\n    auth:'), 'CONFIG_INVALID', 'tenant-sync.yml:6: tenants[0].cloud'],
    ['an unknown type', [], (s: Simulator) => `${configText(s)}    types:\n      exclude: [conditionalAccessPolicy]\n`, 'CONFIG_UNKNOWN_TYPE', 'Did you mean "conditionalAccessPolicies"?'],
  ])('bad input, %s: exit 2 with the file and the fix', async (_name, args, config, code, text) => {
    const root = await tempRepo();
    if (config) await writeFile(join(root, 'tenant-sync.yml'), config(sim));
    const result = await run(['backup', ...(args.length ? args : ['--tenant', 'contoso'])], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(code);
    expect(result.stderr).toContain(text);
    expect(result.stderr).toContain('Fix:');
    expect(await readdir(root)).toEqual(config ? ['tenant-sync.yml'] : []);
  });

  it('a missing credential and a non-HTTPS endpoint are refused before anything is read', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    const noSecret = await run(['backup', '--tenant', 'contoso'], root, { ...simEnv(sim), TENANT_SYNC_CLIENT_SECRET: undefined });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('TENANT_SYNC_CLIENT_SECRET is not set');
    const http = await run(['backup', '--tenant', 'contoso'], root, { ...simEnv(sim), TENANT_SYNC_GRAPH_ENDPOINT: sim.graphUrl.replace('https:', 'http:') });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('CONFIG_ENDPOINT');
    expect(sim.counters().requests).toBe(0);
  });

  it('usage errors exit 2; matrix prints the tenants as JSON', async () => {
    const root = await tempRepo();
    await writeConfig(root, sim);
    expect((await run(['frobnicate'], root)).code).toBe(2);
    expect((await run(['backup'], root)).stderr).toContain('backup needs --tenant');
    const matrix = await run(['matrix'], root);
    expect(matrix.code).toBe(0);
    expect(JSON.parse(matrix.stdout)).toEqual(['contoso']);
  });
});
