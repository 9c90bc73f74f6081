import type { Language } from '../status/index.js';
import { frenchErrorCatalogue, type ErrorText } from './messages.fr.js';

export { frenchErrorCatalogue, type ErrorText };

/**
 * Every error a person can meet carries a stable code, says what to do, and has a page under
 * docs/troubleshooting/<code>.md. The catalogue below is the single list; a test checks that every
 * code has its page.
 */
export const errorCatalogue = {
  CONFIG_NOT_FOUND: 'The configuration file tenant-sync.yml is missing',
  CONFIG_INVALID: 'The configuration file is not valid',
  CONFIG_UNKNOWN_TENANT: 'The tenant is not in the configuration',
  CONFIG_UNKNOWN_TYPE: 'An unknown resource type is named',
  CONFIG_ENDPOINT: 'A sign-in or Graph endpoint is not acceptable',
  CREDENTIAL_MISSING: 'A credential the configuration names is not set',
  CREDENTIAL_INVALID: 'A credential cannot be used',
  AUTH_BAD_SECRET: 'The client secret was rejected (AADSTS7000215)',
  AUTH_SECRET_EXPIRED: 'The client secret has expired (AADSTS7000222)',
  AUTH_BAD_CERTIFICATE: 'The certificate was rejected (AADSTS700027)',
  AUTH_NO_CREDENTIAL: 'The application has no credential (AADSTS7000218)',
  AUTH_FEDERATION_MISMATCH: 'The federated credential does not match (AADSTS700213)',
  AUTH_UNKNOWN_APP: 'The application is not found in the tenant (AADSTS700016)',
  AUTH_UNKNOWN_TENANT: 'The tenant is not found (AADSTS90002)',
  AUTH_CONSENT_MISSING: 'Admin consent is missing (AADSTS65001)',
  AUTH_CONDITIONAL_ACCESS: 'Sign-in is blocked by Conditional Access (AADSTS53003)',
  AUTH_MFA_REQUIRED: 'Sign-in requires multi-factor authentication (AADSTS50076, 50079)',
  AUTH_REFRESH_EXPIRED: 'The stored sign-in has expired (AADSTS70008, 700082, 50173)',
  AUTH_DEVICE_CODE_TIMEOUT: 'Delegated sign-in was not completed in time',
  AUTH_CACHE_UNREADABLE: 'The stored delegated sign-in cannot be read',
  AUTH_FAILED: 'Sign-in failed',
  PERMISSIONS_NOT_GRANTED: 'Permissions the configuration needs are not granted',
  GRAPH_PERMISSION: 'A Graph permission is missing',
  GRAPH_READ_FAILED: 'A type could not be read from Graph',
  REFERENCE_UNRESOLVED: 'A reference could not be resolved to a name',
  DUPLICATE_NAME: 'Two objects of one type have the same name',
  DEPLOY_NOT_APPROVED: 'The plan has no approval',
  DEPLOY_PLAN_INVALID: 'The plan is not valid',
  DEPLOY_WRONG_TENANT: 'The plan was made for another tenant',
  DEPLOY_STALE: 'The tenant changed since the plan was made',
  DEPLOY_WRITE_FAILED: 'Graph refused a write',
  DEPLOY_OUTCOME_UNKNOWN: 'A write got no answer; it may or may not have been made',
  DEPLOY_UNVERIFIED: 'The object read back differs from the plan',
  DELETE_GUARD: 'A plan would delete more objects of a type than the delete guard allows',
  READ_ONLY_OBJECT: 'A built-in object cannot be changed',
  WRITE_NOT_SUPPORTED: 'Graph cannot make this change to this type',
  FILE_INVALID: 'A file in the repository is not valid',
  GIT_FAILED: 'A git operation on the repository failed',
  GITHUB_REQUEST_FAILED: 'GitHub refused or failed a request',
  APPROVAL_REFUSED: 'A closed pull request cannot be used as an approval',
  SYNC_CANCELLED: 'The run was cancelled before it finished',
  USAGE: 'The command line is not valid',
  INTERNAL: 'Unexpected internal error',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}

/**
 * What a person reading another language than English is shown for an error of this code: its
 * title and a generic "what to do" (messages.fr.ts). Undefined in English (the error's own message
 * and fix are shown, as always) and for a string that is not a code. The error's message and
 * specific fix stay English: they carry Graph's or Entra's words, and are shown as the technical
 * detail.
 */
export function translatedError(code: string, language: Language): ErrorText | undefined {
  if (language === 'en' || !isErrorCode(code)) return undefined;
  return frenchErrorCatalogue[code];
}

export const docsBaseUrl = 'https://github.com/tenant-sync/tenant-sync/blob/main/docs/troubleshooting';

export function troubleshootingUrl(code: ErrorCode): string {
  return `${docsBaseUrl}/${code}.md`;
}

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class TenantSyncError extends Error {
  readonly code: ErrorCode;
  /** What the person should do about it */
  readonly fix: string;
  readonly location?: ErrorLocation;

  constructor(code: ErrorCode, message: string, fix: string, options?: { location?: ErrorLocation; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TenantSyncError';
    this.code = code;
    this.fix = fix;
    this.location = options?.location;
  }

  get docs(): string {
    return troubleshootingUrl(this.code);
  }

  /** file:line:column: message. Fix. (code, docs) */
  describe(): string {
    const where = this.location?.file
      ? `${this.location.file}${this.location.line ? `:${this.location.line}${this.location.column ? `:${this.location.column}` : ''}` : ''}: `
      : '';
    return `${where}${this.message}\n  Fix: ${this.fix}\n  (${this.code}, see ${this.docs})`;
  }
}

export function isTenantSyncError(e: unknown): e is TenantSyncError {
  return e instanceof TenantSyncError;
}

/** Closest candidate by edit distance, for "did you mean" hints */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
