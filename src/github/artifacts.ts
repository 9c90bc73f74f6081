import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import type { Logger } from '../log/index.js';
import type { RepoContext } from './context.js';

export interface RunArtifact {
  id: number;
  name: string;
  /** The artifact's page in the run */
  url: string;
}

/** What @actions/artifact reads from process.env while an upload starts */
const artifactVariables = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL', 'GITHUB_SERVER_URL', 'GITHUB_RETENTION_DAYS'] as const;

/**
 * Uploads files (path relative to the artifact's root → content) as one artifact of the run.
 * The name gets `-attempt-<n>` on a rerun, as names are unique in a run. Outside Actions (no
 * ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL in env) nothing is uploaded. Never throws: a
 * failure is warned about and gives undefined.
 */
export async function uploadRunArtifact(
  ctx: RepoContext,
  options: { name: string; files: Record<string, string | Uint8Array>; log: Logger; env: NodeJS.ProcessEnv },
): Promise<RunArtifact | undefined> {
  const { files, log, env } = options;
  const name = ctx.runAttempt > 1 ? `${options.name}-attempt-${ctx.runAttempt}` : options.name;
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    log.info(`Artifact ${name} not uploaded: not running in GitHub Actions (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set).`);
    return undefined;
  }
  const paths = Object.keys(files);
  const bad = paths.filter((p) => !isSafeRelativePath(p));
  if (bad.length > 0) {
    log.warn(`Artifact ${name} not uploaded: file paths must be relative and stay inside the artifact (${bad.join(', ')}).`);
    return undefined;
  }
  if (paths.length === 0) {
    log.debug(`artifact ${name}: no files, nothing uploaded`);
    return undefined;
  }
  let root: string | undefined;
  try {
    root = mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), 'tenant-sync-artifact-'));
    const absolute: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      const target = join(root, ...path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      absolute.push(target);
    }
    const client = new DefaultArtifactClient();
    const upload = withArtifactEnv(env, () => client.uploadArtifact(name, absolute, root as string, {}));
    const { id } = await upload;
    if (id === undefined) throw new Error('the artifact service gave no artifact id');
    const runId = ctx.runId ?? env.GITHUB_RUN_ID;
    const base = `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/actions`;
    return { id, name, url: runId ? `${base}/runs/${runId}/artifacts/${id}` : base };
  } catch (error) {
    log.warn(`Artifact ${name} could not be uploaded (${error instanceof Error ? error.message : String(error)}). The sync's result does not depend on it.`);
    return undefined;
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * @actions/artifact reads its settings from process.env, and only while an upload starts (the
 * client and its token are made before its first request). So the caller's env is laid over
 * process.env for that synchronous start and put back at once; in a workflow the two are the same.
 */
function withArtifactEnv<T>(env: NodeJS.ProcessEnv, start: () => T): T {
  if (env === process.env) return start();
  const saved = artifactVariables.map((k) => [k, process.env[k]] as const);
  try {
    for (const k of artifactVariables) {
      if (env[k] === undefined) delete process.env[k];
      else process.env[k] = env[k];
    }
    return start();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function isSafeRelativePath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || /^[a-zA-Z]:/.test(path) || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
