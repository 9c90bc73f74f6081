/**
 * The real @actions/artifact 6 client uploads to the double's artifact service (Twirp + Azure-blob
 * block upload), and the files are readable from the double and listed by the REST API.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerEnv, startGitHubDouble, unzip, workflowDispatchEvent, type GitHubDouble, type RunnerEnv } from './double/index.js';

let gh: GitHubDouble;
let runner: RunnerEnv;
let files: string;
const saved = { ...process.env };

beforeAll(async () => {
  gh = await startGitHubDouble();
  runner = runnerEnv(gh, await workflowDispatchEvent(gh));
  Object.assign(process.env, runner.env);
  files = mkdtempSync(join(tmpdir(), 'gh-double-artifact-'));
  mkdirSync(join(files, 'logs'));
  writeFileSync(join(files, 'summary.md'), '# Sync summary\n\nIdle\n');
  writeFileSync(join(files, 'logs', 'sync.log'), 'line\n'.repeat(10_000));
});
afterAll(async () => {
  for (const k of Object.keys(runner.env)) if (saved[k] === undefined) delete process.env[k];
  Object.assign(process.env, saved);
  runner.cleanup();
  rmSync(files, { recursive: true, force: true });
  await gh.close();
});

describe('artifact service', () => {
  it('takes a real uploadArtifact and keeps the files', async () => {
    const client = new DefaultArtifactClient();
    const result = await client.uploadArtifact('tenant-sync-contoso', [join(files, 'summary.md'), join(files, 'logs', 'sync.log')], files, { retentionDays: 5 });
    expect(result.id).toBeGreaterThan(0);
    expect(result.size).toBeGreaterThan(0);

    const [artifact] = gh.artifacts({ runId: runner.run.id });
    expect(artifact).toMatchObject({ id: result.id, name: 'tenant-sync-contoso', size: result.size, digest: `sha256:${result.digest ?? ''}` });
    const content = artifact?.files() ?? new Map<string, Buffer>();
    expect([...content.keys()].sort()).toEqual(['logs/sync.log', 'summary.md']);
    expect(content.get('summary.md')?.toString()).toBe('# Sync summary\n\nIdle\n');
    expect(content.get('logs/sync.log')?.length).toBe(50_000);

    // Listed by the REST API with its URLs; the zip downloads through the redirect.
    const octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });
    const listed = await octokit.rest.actions.listWorkflowRunArtifacts({ owner: gh.owner, repo: gh.repo, run_id: runner.run.id });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.artifacts[0]).toMatchObject({ id: result.id, name: 'tenant-sync-contoso', size_in_bytes: result.size, archive_download_url: `${gh.apiUrl}/repos/contoso/tenant-config/actions/artifacts/${result.id}/zip` });
    const zip = await octokit.rest.actions.downloadArtifact({ owner: gh.owner, repo: gh.repo, artifact_id: result.id as number, archive_format: 'zip' });
    expect(unzip(Buffer.from(zip.data as ArrayBuffer)).get('summary.md')?.toString()).toContain('Idle');
    expect(gh.problems()).toEqual([]);
  });

  it('refuses a second artifact of the same name in the run, and lists and downloads with the client', async () => {
    const client = new DefaultArtifactClient();
    await expect(client.uploadArtifact('tenant-sync-contoso', [join(files, 'summary.md')], files)).rejects.toThrow(/already exists|Conflict|409/);
    const listed = await client.listArtifacts();
    expect(listed.artifacts.map((a) => a.name)).toEqual(['tenant-sync-contoso']);
    const out = mkdtempSync(join(tmpdir(), 'gh-double-download-'));
    try {
      const got = await client.downloadArtifact(listed.artifacts[0]?.id as number, { path: out });
      expect(got.downloadPath).toBe(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
