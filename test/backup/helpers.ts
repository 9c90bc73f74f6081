import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseConfig, type TenantConfig } from '../../src/config/load.js';
import { backupTenant, type BackupReport } from '../../src/engine/backup.js';
import { connect } from '../../src/engine/connect.js';
import type { GraphClientOptions } from '../../src/graph/types.js';
import { createMemoryLogger } from '../../src/log/index.js';
import type { Simulator } from '../simulator/index.js';

export async function tempRepo(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tenant-sync-test-'));
}

export function configText(sim: Simulator, extra = ''): string {
  return `version: 1
tenants:
  - name: contoso
    tenant-id: ${sim.tenantId}
    client-id: ${sim.apps.secret.clientId}
    auth:
      method: secret
${extra}`;
}

/** The environment a tenant-sync process needs to reach the simulator (the CA is trusted through NODE_EXTRA_CA_CERTS) */
export function simEnv(sim: Simulator): Record<string, string> {
  return {
    TENANT_SYNC_AUTHORITY_HOST: sim.loginUrl,
    TENANT_SYNC_GRAPH_ENDPOINT: sim.graphUrl,
    TENANT_SYNC_CLIENT_SECRET: sim.apps.secret.clientSecret,
  };
}

export function tenantFor(sim: Simulator, extra = ''): TenantConfig {
  return parseConfig(configText(sim, extra), 'tenant-sync.yml', simEnv(sim)).tenants[0]!;
}

export async function runBackup(
  sim: Simulator,
  root: string,
  options: { tenant?: TenantConfig; graph?: Partial<GraphClientOptions> } = {},
): Promise<BackupReport & { log: string[] }> {
  const tenant = options.tenant ?? tenantFor(sim);
  const log = createMemoryLogger();
  const graph = await connect({ tenant, log, sources: { env: simEnv(sim) }, graph: options.graph });
  try {
    const report = await backupTenant({ tenant, root, graph, log });
    return { ...report, log: log.lines };
  } finally {
    (graph as { close?: () => void }).close?.();
  }
}

/** Every file under a folder with its content hash and modification time */
export async function snapshotTree(root: string): Promise<Map<string, { hash: string; mtimeMs: number }>> {
  const out = new Map<string, { hash: string; mtimeMs: number }>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const [content, info] = await Promise.all([readFile(path), stat(path)]);
        out.set(relative(root, path), { hash: createHash('sha256').update(content).digest('hex'), mtimeMs: info.mtimeMs });
      }
    }
  };
  await walk(root);
  return out;
}

export async function writeConfig(root: string, sim: Simulator, extra = ''): Promise<string> {
  const file = join(root, 'tenant-sync.yml');
  await writeFile(file, configText(sim, extra));
  return file;
}
