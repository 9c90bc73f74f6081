import type { CredentialSources } from '../auth/credentials.js';
import type { TenantConfig } from '../config/load.js';
import { isTenantSyncError, type TenantSyncError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { createStatusTracker, finalStatus, type StatusDetails, type SyncStatus } from '../status/index.js';
import { backupTenant, type BackupReport } from './backup.js';
import { connectTenant, type ConnectTenantOptions, type TenantConnection } from './connect.js';

export interface SyncRun {
  statuses: SyncStatus[];
  details: { status: SyncStatus; details: StatusDetails }[];
  final: SyncStatus;
  report?: BackupReport;
  connection?: TenantConnection;
  error?: TenantSyncError;
}

export interface SyncBackupOptions {
  tenant: TenantConfig;
  root: string;
  log: Logger;
  sources: CredentialSources;
  /** Every status move, with its details (device code, consent link, error) */
  onStatus?: (status: SyncStatus, details: StatusDetails) => void | Promise<void>;
  graph?: ConnectTenantOptions['graph'];
  delegatedSignIn?: ConnectTenantOptions['delegatedSignIn'];
  /** Runs once In progress, before sign-in (e.g. checking the state branch out into `root`) */
  prepare?: () => Promise<void>;
  /** Runs once signed in, before the backup (e.g. applying an approved plan, so the backup records its result) */
  beforeBackup?: (connection: TenantConnection) => Promise<void>;
  /** Runs after the backup, before the final status (e.g. commit, reconcile, the approval pull request) */
  afterBackup?: (backup: { report: BackupReport; connection: TenantConnection }) => Promise<AfterBackup>;
}

export interface AfterBackup {
  pendingApproval?: boolean;
  /** Something besides the backup only partly succeeded (a deploy with failed items) */
  partial?: boolean;
  /** Something besides the backup failed (a deploy refused or failed entirely) */
  error?: TenantSyncError;
  /** Details of the final status (the pull request's URL) */
  details?: StatusDetails;
}

/**
 * The backup part of a sync, with its statuses: Starting, In progress, the connection (which may pass
 * through Pending authentication), the backup, then the final status from the outcome (Idle,
 * Partially successful, Pending admin consent, New error). A TenantSyncError ends in New error (or
 * Pending admin consent) and is returned, not thrown; anything else is a bug and is thrown.
 */
export async function syncBackup(options: SyncBackupOptions): Promise<SyncRun> {
  const { tenant, root, log } = options;
  const tracker = createStatusTracker('Not run', async (status, details) => {
    await options.onStatus?.(status, details);
  });
  await tracker.move('Starting');
  await tracker.move('In progress');
  let connection: TenantConnection | undefined;
  let report: BackupReport | undefined;
  let error: TenantSyncError | undefined;
  let after: AfterBackup = {};
  try {
    await options.prepare?.();
    connection = await connectTenant({
      tenant,
      log,
      sources: options.sources,
      onStatus: tracker.move,
      graph: options.graph,
      delegatedSignIn: options.delegatedSignIn,
    });
    await options.beforeBackup?.(connection);
    report = await backupTenant({ tenant, root, graph: connection.app, log, delegated: connection.delegated });
    if (options.afterBackup) after = await options.afterBackup({ report, connection });
    error = after.error;
  } catch (e) {
    if (!isTenantSyncError(e)) throw e;
    error = e;
  } finally {
    connection?.close();
  }
  const final = finalStatus({
    error: error && { code: error.code, message: error.message },
    consentPending: connection?.consent.pending,
    failedTypes: (report?.totals.failedTypes ?? 0) + (after.partial ? 1 : 0),
    pendingApproval: after.pendingApproval,
  });
  await tracker.move(final, error ? { error: { code: error.code, message: error.message, docs: error.docs } } : (after.details ?? {}));
  return { statuses: tracker.history.map((h) => h.status), details: [...tracker.history], final, report, connection, error };
}
