/**
 * uploadRunArtifact through the real @actions/artifact client against the double's artifact
 * service: files round-trip, names per attempt, and every failure is only a warning.
 */
import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uploadRunArtifact } from '../../src/github/artifacts.js';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { runnerEnv, startGitHubDouble, workflowDispatchEvent, type GitHubDouble, type RunnerEnv } from './double/index.js';

let gh: GitHubDouble;
let runner: RunnerEnv;

beforeAll(async () => {
  gh = await startGitHubDouble({ owner: 'contoso', repo: 'tenant-config', defaultBranch: 'main' });
  runner = runnerEnv(gh, await workflowDispatchEvent(gh));
});
afterAll(async () => {
  runner.cleanup();
  await gh.close();
});
afterEach(() => {
  expect(gh.problems()).toEqual([]);
});

function context(env: NodeJS.ProcessEnv): RepoContext {
  return createRepoContext({ env, token: gh.token, defaultBranch: 'main', sha: env.GITHUB_SHA ?? '' });
}

const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning:'));

describe('uploadRunArtifact', () => {
  it('uploads the files with their folders, gives the artifact page, and leaves no temporary folder', async () => {
    // The runner's variables are given as env only: process.env of this test has none of them.
    expect(process.env['ACTIONS_RUNTIME_TOKEN']).toBeUndefined();
    const log = createMemoryLogger();
    const binary = Uint8Array.from([0, 1, 2, 255]);
    const result = await uploadRunArtifact(context(runner.env), {
      name: 'tenant-sync-contoso',
      files: { 'summary.md': '# contoso\n\nIdle\n', 'logs/sync.log': 'line\n'.repeat(1000), 'plan/entra/policy.bin': binary },
      log,
      env: runner.env,
    });

    const [artifact, ...others] = gh.artifacts({ runId: runner.run.id, name: 'tenant-sync-contoso' });
    expect(others).toEqual([]);
    expect(result).toEqual({ id: artifact?.id, name: 'tenant-sync-contoso', url: `${gh.serverUrl}/contoso/tenant-config/actions/runs/${runner.run.id}/artifacts/${artifact?.id}` });
    const files = artifact?.files() ?? new Map<string, Buffer>();
    expect([...files.keys()].sort()).toEqual(['logs/sync.log', 'plan/entra/policy.bin', 'summary.md']);
    expect(files.get('summary.md')?.toString()).toBe('# contoso\n\nIdle\n');
    expect(files.get('logs/sync.log')?.length).toBe(5000);
    expect([...(files.get('plan/entra/policy.bin') ?? [])]).toEqual([0, 1, 2, 255]);
    expect(warnings(log.lines)).toEqual([]);
    expect(readdirSync(runner.env['RUNNER_TEMP'] as string)).toEqual([]);
    expect(process.env['ACTIONS_RUNTIME_TOKEN']).toBeUndefined();
  });

  it('works with process.env as the environment, as in a workflow', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, runner.env);
    try {
      const result = await uploadRunArtifact(context(process.env), { name: 'from-process-env', files: { 'a.txt': 'a' }, log: createMemoryLogger(), env: process.env });
      expect(result?.name).toBe('from-process-env');
      expect(gh.artifacts({ name: 'from-process-env' })[0]?.files().get('a.txt')?.toString()).toBe('a');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('names the artifact after the attempt on a rerun', async () => {
    const env = { ...runner.env, GITHUB_RUN_ATTEMPT: '2' };
    const result = await uploadRunArtifact(context(env), { name: 'tenant-sync-fabrikam', files: { 'summary.md': 'x' }, log: createMemoryLogger(), env });
    expect(result?.name).toBe('tenant-sync-fabrikam-attempt-2');
    expect(gh.artifacts({ name: 'tenant-sync-fabrikam-attempt-2' })).toHaveLength(1);
    expect(gh.artifacts({ name: 'tenant-sync-fabrikam' })).toEqual([]);
  });

  it('outside Actions says so once and uploads nothing', async () => {
    const env = { GITHUB_REPOSITORY: 'contoso/tenant-config', GITHUB_API_URL: gh.apiUrl, GITHUB_SERVER_URL: gh.serverUrl };
    const log = createMemoryLogger();
    const before = gh.artifacts().length;
    const requests = gh.requests.length;
    expect(await uploadRunArtifact(context(env), { name: 'local', files: { 'a.txt': 'a' }, log, env })).toBeUndefined();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/^info: .*not running in GitHub Actions/);
    expect(gh.artifacts()).toHaveLength(before);
    expect(gh.requests.length).toBe(requests);
  });

  it('warns and gives undefined when the service refuses (a second artifact of the same name)', async () => {
    const log = createMemoryLogger();
    const first = await uploadRunArtifact(context(runner.env), { name: 'twice', files: { 'a.txt': '1' }, log, env: runner.env });
    expect(first).toBeDefined();
    await expect(uploadRunArtifact(context(runner.env), { name: 'twice', files: { 'a.txt': '2' }, log, env: runner.env })).resolves.toBeUndefined();
    const warned = warnings(log.lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('twice');
    expect(gh.artifacts({ name: 'twice' })[0]?.files().get('a.txt')?.toString()).toBe('1');
    expect(readdirSync(runner.env['RUNNER_TEMP'] as string)).toEqual([]);
  });

  it('refuses paths that leave the artifact, before writing anything', async () => {
    for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b', 'a//b', 'C:/x', 'a\\b']) {
      const log = createMemoryLogger();
      expect(await uploadRunArtifact(context(runner.env), { name: 'bad-path', files: { 'ok.txt': 'ok', [bad]: 'x' }, log, env: runner.env })).toBeUndefined();
      expect(warnings(log.lines)).toHaveLength(1);
    }
    expect(gh.artifacts({ name: 'bad-path' })).toEqual([]);
    expect(readdirSync(runner.env['RUNNER_TEMP'] as string)).toEqual([]);
  });
});
