import { z } from 'zod';
import { troubleshootingUrl, type ErrorCode } from '../errors/index.js';

/**
 * The sync statuses, exactly as the design names them. Machine-readable output (JSON, check-run
 * external ids, outputs) uses these English names; what a person reads can be French.
 */
export const syncStatusSchema = z.enum([
  'Not run',
  'Starting',
  'In progress',
  'Pending authentication',
  'Pending approval',
  'Idle',
  'Partially successful',
  'New error',
  'Pending admin consent',
]);
export type SyncStatus = z.infer<typeof syncStatusSchema>;
export const syncStatuses: readonly SyncStatus[] = syncStatusSchema.options;

export const languageSchema = z.enum(['en', 'fr']);
export type Language = z.infer<typeof languageSchema>;

/** The names of the product's French documentation */
export const frenchStatusNames: Record<SyncStatus, string> = {
  'Not run': 'Non exécuté',
  Starting: 'Démarrage',
  'In progress': 'En cours',
  'Pending authentication': 'Authentification en attente',
  'Pending approval': 'Approbation en attente',
  Idle: 'Inactif',
  'Partially successful': 'Partiellement réussi',
  'New error': 'Nouvelle erreur',
  'Pending admin consent': 'Consentement administrateur en attente',
};

export function statusName(status: SyncStatus, language: Language = 'en'): string {
  return language === 'fr' ? frenchStatusNames[status] : status;
}

// ------------------------------------------------------------------------------------------------
// Check runs (GitHub's check run status and conclusion values)

export const checkRunStatusSchema = z.enum(['queued', 'in_progress', 'completed']);
export type CheckRunStatus = z.infer<typeof checkRunStatusSchema>;
export const checkRunConclusionSchema = z.enum(['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out']);
export type CheckRunConclusion = z.infer<typeof checkRunConclusionSchema>;

export type CheckRunState = { status: 'queued' | 'in_progress' } | { status: 'completed'; conclusion: CheckRunConclusion };

/** The design's table: the check run of each status (none for Not run) */
const checkRuns: Record<SyncStatus, CheckRunState | undefined> = {
  'Not run': undefined,
  Starting: { status: 'queued' },
  'In progress': { status: 'in_progress' },
  'Pending authentication': { status: 'in_progress' },
  'Pending approval': { status: 'completed', conclusion: 'action_required' },
  Idle: { status: 'completed', conclusion: 'success' },
  'Partially successful': { status: 'completed', conclusion: 'neutral' },
  'New error': { status: 'completed', conclusion: 'failure' },
  'Pending admin consent': { status: 'completed', conclusion: 'action_required' },
};

export function checkRunFor(status: SyncStatus): CheckRunState | undefined {
  const state = checkRuns[status];
  return state && { ...state };
}

// ------------------------------------------------------------------------------------------------
// What a status carries besides its name

export interface DeviceCodeDetails {
  /** Where the person signs in, e.g. https://microsoft.com/devicelogin */
  verificationUri: string;
  /** The code the person types there (not a secret; the device code session itself is) */
  userCode: string;
  /** ISO time after which the sync stops waiting */
  waitUntil: string;
}

export interface MissingPermission {
  permission: string;
  /** application: a role of the app (admin consent); delegated: a scope of the signed-in user */
  kind: 'application' | 'delegated';
  /** Types that need it (and 'groups'/'users' for names) */
  neededBy: string[];
  access: 'read' | 'write';
}

export interface StatusDetails {
  /** One sentence a person reads */
  message?: string;
  deviceCode?: DeviceCodeDetails;
  /** url: admin consent for the application; delegatedUrl: for the delegated client when it is another app */
  consent?: { url: string; delegatedUrl?: string; missing: MissingPermission[] };
  error?: { code: ErrorCode; message: string; docs: string };
  /** Details URL of the check run (the approval pull request) */
  url?: string;
}

export type StatusListener = (status: SyncStatus, details: StatusDetails) => void | Promise<void>;

export function errorDetails(error: { code: ErrorCode; message: string }): NonNullable<StatusDetails['error']> {
  return { code: error.code, message: error.message, docs: troubleshootingUrl(error.code) };
}

// ------------------------------------------------------------------------------------------------
// The legal moves

/** The statuses a sync ends in; the next sync starts from any of them */
export const finalStatuses: readonly SyncStatus[] = ['Pending approval', 'Idle', 'Partially successful', 'New error', 'Pending admin consent'];

const transitions: Record<SyncStatus, readonly SyncStatus[]> = {
  'Not run': ['Starting'],
  Starting: ['In progress', 'New error', 'Pending admin consent'],
  // Waiting for a person and reading or writing both happen under In progress' watch.
  'In progress': ['In progress', 'Pending authentication', ...finalStatuses],
  // The person signed in (or the wait ended: the application's part goes on), or the run died.
  'Pending authentication': ['Pending authentication', 'In progress', 'New error'],
  'Pending approval': ['Starting'],
  Idle: ['Starting'],
  'Partially successful': ['Starting'],
  'New error': ['Starting'],
  'Pending admin consent': ['Starting'],
};

export function canTransition(from: SyncStatus, to: SyncStatus): boolean {
  return transitions[from].includes(to);
}

export function nextStatuses(from: SyncStatus): readonly SyncStatus[] {
  return transitions[from];
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: SyncStatus,
    readonly to: SyncStatus,
  ) {
    super(`a sync cannot move from "${from}" to "${to}" (allowed: ${transitions[from].join(', ')})`);
    this.name = 'IllegalTransitionError';
  }
}

/** The status after a move; throws IllegalTransitionError for a move the design does not allow */
export function transition(from: SyncStatus, to: SyncStatus): SyncStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}

export interface StatusTracker {
  readonly current: SyncStatus;
  /** Every status reached, in order, with its details (the first is where the tracker started) */
  readonly history: readonly { status: SyncStatus; details: StatusDetails }[];
  move(to: SyncStatus, details?: StatusDetails): Promise<void>;
}

/**
 * Holds a tenant's status through a run, refuses illegal moves, and tells the listener (log, job
 * summary, check run, dashboard) about every move. `move` has the StatusListener's signature, so
 * it can be handed to the engine as its onStatus callback.
 */
export function createStatusTracker(initial: SyncStatus = 'Not run', listener?: StatusListener): StatusTracker {
  let current = initial;
  const history: { status: SyncStatus; details: StatusDetails }[] = [{ status: initial, details: {} }];
  return {
    get current() {
      return current;
    },
    history,
    async move(to, details = {}) {
      current = transition(current, to);
      history.push({ status: to, details });
      await listener?.(to, details);
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Where a sync ends

export interface SyncOutcome {
  /** The sync stopped on an error (an ErrorCode) */
  error?: { code: ErrorCode; message: string };
  /** Permissions the configuration needs that are not granted */
  consentPending?: boolean;
  /** Types that could not be read or written (a delegated sign-in that failed included) */
  failedTypes?: number;
  /** Changes to the tenant wait in an approval pull request */
  pendingApproval?: boolean;
}

/** Error codes that mean "an administrator must grant consent", not "the sync is broken" */
const consentCodes: readonly ErrorCode[] = ['AUTH_CONSENT_MISSING', 'PERMISSIONS_NOT_GRANTED'];

/**
 * The final status of a sync. A fatal error is New error, unless it is missing consent; missing
 * consent comes before partial failures (it is their cause and what a person must do first), and a
 * partial failure before waiting changes.
 */
export function finalStatus(outcome: SyncOutcome): SyncStatus {
  if (outcome.error) return consentCodes.includes(outcome.error.code) ? 'Pending admin consent' : 'New error';
  if (outcome.consentPending) return 'Pending admin consent';
  if ((outcome.failedTypes ?? 0) > 0) return 'Partially successful';
  if (outcome.pendingApproval) return 'Pending approval';
  return 'Idle';
}
