import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../backup/helpers.js';

/** The bundled action, run as the runner runs it: INPUT_* variables, GITHUB_OUTPUT, workflow commands on stdout */
const action = resolve('dist/index.js');

async function runAction(cwd: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const output = join(cwd, 'github-output');
  await writeFile(output, '');
  const vars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [action], {
      cwd,
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, GITHUB_EVENT_NAME: 'workflow_dispatch', ...vars, ...env },
    });
    return { code: 0, stdout, output: await readFile(output, 'utf8') };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout, output: await readFile(output, 'utf8') };
  }
}

const config = `version: 1
tenants:
  - name: contoso
    tenant-id: 3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c
    client-id: 11111111-2222-3333-4444-555555555555
  - name: fabrikam
    tenant-id: fabrikam.onmicrosoft.com
    client-id: 11111111-2222-3333-4444-555555555555
`;

describe('the action (dist/index.js)', () => {
  it('matrix: sets the tenants output as JSON for fromJSON', async () => {
    const root = await tempRepo();
    await writeFile(join(root, 'tenant-sync.yml'), config);
    const result = await runAction(root, { command: 'matrix' });
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/^tenants<<ghadelimiter_[\w-]+\n\["contoso","fabrikam"\]\n/);
  });

  it('validate: problems become error annotations on the file and line, and the step fails', async () => {
    const root = await tempRepo();
    await writeFile(join(root, 'tenant-sync.yml'), config);
    const folder = join(root, 'tenants', 'contoso', 'entra', 'namedLocations');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'HQ.json'), '{\n  "displayName": "HQ",\n  "isTrusted": tru\n}\n');
    const result = await runAction(root, { command: 'validate' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error file=tenants\/contoso\/entra\/namedLocations\/HQ\.json,line=3,col=\d+::.*not valid JSON/);
    expect(result.stdout).toContain('::error::1 problem(s)');
  });

  it('a configuration error is an annotation on tenant-sync.yml with its line', async () => {
    const root = await tempRepo();
    await writeFile(join(root, 'tenant-sync.yml'), config.replace('  - name: fabrikam', '  - name: fabrikam\n    cloud: azure'));
    const result = await runAction(root, { command: 'validate' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error file=tenant-sync\.yml,line=7,col=\d+::tenants\[1\]\.cloud/);
  });

  it('an unknown command input is refused with the list of commands', async () => {
    const root = await tempRepo();
    const result = await runAction(root, { command: 'deploy' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('input \\"command\\" is not valid'.replace(/\\"/g, '"'));
  });
});

describe('the action syncs a tenant against the simulator (backup)', () => {
  it('Starting, In progress, Pending authentication (code in the log and job summary), In progress, Idle; secrets never printed', async () => {
    const { startSimulator } = await import('../simulator/index.js');
    const { configText, simEnv } = await import('../backup/helpers.js');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const sim = await startSimulator({ throttling: false, deviceCode: { intervalSeconds: 1 } });
    try {
      const root = await tempRepo();
      const cacheDir = await mkdtemp(join(tmpdir(), 'tenant-sync-cache-'));
      await writeFile(
        join(root, 'tenant-sync.yml'),
        configText(sim, `    delegated:\n      enabled: true\n      timeout-minutes: 1\n      cache-file: ${join(cacheDir, 'contoso.cache')}\n`),
      );
      const summary = join(root, 'summary.md');
      await writeFile(summary, '');
      const cacheKey = 'cache-key-canary-0123456789abcdefghijklmnopqrstuvwxyz';
      const running = runAction(
        root,
        { command: 'backup' },
        {
          ...simEnv(sim),
          NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '',
          GITHUB_STEP_SUMMARY: summary,
          GITHUB_WORKSPACE: root,
          TENANT_SYNC_TOKEN_CACHE_KEY: cacheKey,
        },
      );
      const pending = await sim.deviceCodes.waitForPending(30_000);
      sim.deviceCodes.approve({ userCode: pending.userCode });
      const result = await running;
      expect(result.code, result.stdout).toBe(0);
      const statuses = [...result.stdout.matchAll(/^contoso: (Starting|In progress|Pending authentication|Idle)/gm)].map((m) => m[1]);
      expect(statuses).toEqual(['Starting', 'In progress', 'Pending authentication', 'In progress', 'Idle']);
      expect(result.stdout).toContain(pending.userCode);
      const text = await readFile(summary, 'utf8');
      expect(text).toContain('### contoso: Idle');
      expect(text).toContain(`enter the code \`${pending.userCode}\``);
      expect(text).toMatch(/\| teams\/teamsAppSettings \| backed-up \| 1 \|/);
      expect(result.output).toMatch(/status-contoso<<ghadelimiter_[\w-]+\nIdle\n/);
      // The runner consumes ::add-mask:: lines and masks those values everywhere else: every secret
      // must be registered that way, and appear in no other line.
      const shown = result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
      for (const secret of [sim.apps.secret.clientSecret, cacheKey]) {
        expect(result.stdout).toContain(`::add-mask::${secret}`);
        expect(shown).not.toContain(secret);
        expect(text).not.toContain(secret);
      }
    } finally {
      await sim.close();
    }
  });
});
