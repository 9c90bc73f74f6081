import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type TenantConfig } from '../../src/config/load.js';
import { syncBackup, type SyncRun as EngineSyncRun } from '../../src/engine/sync.js';
import { createMemoryLogger, type Logger } from '../../src/log/index.js';
import type { StatusDetails, SyncStatus } from '../../src/status/index.js';
import type { CredentialSources } from '../../src/auth/credentials.js';
import type { Simulator } from '../simulator/index.js';
import { configText, simEnv } from '../backup/helpers.js';

export const CACHE_KEY_ENV = 'TENANT_SYNC_TOKEN_CACHE_KEY';

/** A random-looking key of the length the cache needs */
export function cacheKey(label = 'key'): string {
  return `${label}-${Math.random().toString(36).slice(2)}-0123456789abcdefghijklmnopqrstuvwxyz`;
}

/** A folder outside any git working tree (the token cache refuses to live inside one) */
export async function tempDir(prefix = 'tenant-sync-auth-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface DelegatedTenantOptions {
  cacheFile: string;
  timeoutMinutes?: number;
  /** Extra YAML at the tenant's level (4 spaces) */
  extra?: string;
}

/** The simulator's tenant with delegated sign-in on (so teamsAppSettings, delegated only, is enabled) */
export function delegatedTenant(sim: Simulator, options: DelegatedTenantOptions): TenantConfig {
  const delegated = `    delegated:
      enabled: true
      cache-file: ${options.cacheFile}
${options.timeoutMinutes === undefined ? '' : `      timeout-minutes: ${options.timeoutMinutes}\n`}`;
  return parseConfig(configText(sim, delegated + (options.extra ?? '')), 'tenant-sync.yml', simEnv(sim)).tenants[0]!;
}

export interface SyncRun extends EngineSyncRun {
  log: string[];
}

/**
 * One sync of a tenant as the entry points run it (src/engine/sync.ts), against the simulator.
 * onStatus is where the test plays the person (approve or refuse the device code).
 */
export async function runSync(
  sim: Simulator,
  root: string,
  tenant: TenantConfig,
  options: {
    env?: Record<string, string | undefined>;
    sources?: Partial<CredentialSources>;
    onStatus?: (status: SyncStatus, details: StatusDetails) => void | Promise<void>;
    /** Default: a memory logger of this run */
    logger?: Logger;
  } = {},
): Promise<SyncRun> {
  const memory = createMemoryLogger();
  const run = await syncBackup({
    tenant,
    root,
    log: options.logger ?? memory,
    sources: { env: options.env ?? simEnv(sim), ...options.sources },
    onStatus: options.onStatus,
  });
  return { ...run, log: memory.lines };
}

/** Approve (or refuse) the device code as soon as the sync shows it */
export function person(sim: Simulator, action: 'approve' | { refuse: 53003 | 50076 | 50079 | 65001 | 'declined' } | 'ignore') {
  return (status: SyncStatus, details: StatusDetails) => {
    if (status !== 'Pending authentication' || action === 'ignore') return;
    const userCode = details.deviceCode?.userCode;
    if (action === 'approve') sim.deviceCodes.approve({ userCode });
    else sim.deviceCodes.refuse({ userCode, error: action.refuse });
  };
}

/** Every file under a folder with its content */
export async function readTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.set(path, await readFile(path, 'utf8'));
    }
  };
  await walk(root);
  return out;
}

export function teamsFile(root: string): string {
  return join(root, 'tenants', 'contoso', 'teams', 'teamsAppSettings', 'Teams app settings.json');
}
