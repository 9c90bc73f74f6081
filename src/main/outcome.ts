import type { TenantConfig } from '../config/load.js';
import type { DeployRecord } from '../deploy/record.js';
import type { BackupReport } from '../engine/backup.js';
import type { TenantSyncError } from '../errors/index.js';
import type { Plan } from '../reconcile/index.js';
import type { StatusDetails, SyncStatus } from '../status/index.js';

/** What one command did for one tenant: what the reporter shows in the check run, summary, dashboard and artifacts */
export interface TenantOutcome {
  tenant: TenantConfig;
  command: 'sync' | 'apply' | 'reject' | 'revert';
  final: SyncStatus;
  /** Every status reached, with its details */
  history: { status: SyncStatus; details: StatusDetails }[];
  report?: BackupReport;
  error?: TenantSyncError;
  plan?: Plan;
  planMarkdown?: string;
  deploy?: DeployRecord;
  pullRequest?: { number: number; url: string };
  /** Permissions not granted (Pending admin consent) */
  consent?: StatusDetails['consent'];
  /** Sentences for a person: what happened to branches and pull requests */
  notes: string[];
}
