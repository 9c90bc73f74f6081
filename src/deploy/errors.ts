import { GraphError } from '../graph/types.js';
import type { ResourceDefinition } from '../resources/definition.js';
import type { DeployError } from './record.js';

/**
 * Stable codes of the deploy record's errors. Codes that other modules already define keep their
 * meaning (GRAPH_PERMISSION, GRAPH_READ_FAILED, REFERENCE_UNRESOLVED, READ_ONLY_OBJECT,
 * WRITE_NOT_SUPPORTED, INTERNAL); the DEPLOY_* codes are deploy's own.
 */
export const DEPLOY_ERROR_CODES = {
  DEPLOY_NOT_APPROVED: 'The plan has no approval',
  DEPLOY_PLAN_INVALID: 'The plan is not valid',
  DEPLOY_WRONG_TENANT: 'The plan was made for another tenant',
  DEPLOY_STALE: 'The tenant changed since the plan was made',
  DEPLOY_WRITE_FAILED: 'Graph refused a write',
  DEPLOY_OUTCOME_UNKNOWN: 'A write got no answer; it may or may not have been made',
  DEPLOY_UNVERIFIED: 'The object read back differs from the plan',
  REFERENCE_UNRESOLVED: 'A name could not be resolved to an id',
  READ_ONLY_OBJECT: 'A built-in object cannot be written',
  WRITE_NOT_SUPPORTED: 'The type cannot be written this way',
  GRAPH_PERMISSION: 'A Graph permission is missing',
  GRAPH_READ_FAILED: 'The tenant could not be read',
  INTERNAL: 'Unexpected internal error',
} as const;
export type DeployErrorCode = keyof typeof DEPLOY_ERROR_CODES;

export function deployError(code: DeployErrorCode, message: string, fix: string): DeployError {
  return { code, message, fix };
}

/** Thrown inside an item's processing to end it with a result and an error. */
export class ItemStop extends Error {
  constructor(
    readonly result: 'failed' | 'stale' | 'skipped',
    readonly error: DeployError | undefined,
    readonly note?: string,
    readonly differences?: string[],
  ) {
    super(error?.message ?? note ?? result);
    this.name = 'ItemStop';
  }
}

/** The record error for a write Graph refused or never answered. `done` says what had already been written. */
export function writeError(def: ResourceDefinition, file: string, error: unknown, done: string | undefined): DeployError {
  const prefix = `${file}: ${done ? `${done}, but ` : ''}`;
  if (error instanceof GraphError) {
    const where = `${error.method} ${error.url}`;
    if (error.isPermission) {
      return deployError(
        'GRAPH_PERMISSION',
        `${prefix}${where} was refused (${error.status} ${error.code}): ${error.message}`,
        `Grant the application the ${def.permissions.write ?? 'write'} permission (application permission with admin consent), then approve the change again.`,
      );
    }
    if (error.status === undefined) {
      return deployError(
        'DEPLOY_OUTCOME_UNKNOWN',
        `${prefix}${where} got no answer (${error.code}): ${error.message}`,
        'The write may or may not have been made. Run a sync: the next backup shows the tenant as it is, and a new plan proposes what is still missing.',
      );
    }
    return deployError(
      'DEPLOY_WRITE_FAILED',
      `${prefix}${where} failed (${error.status} ${error.code}): ${error.message}`,
      'Correct the file so that Graph accepts it (the message says what Graph refused), then approve the change again.',
    );
  }
  return deployError('INTERNAL', `${prefix}${error instanceof Error ? error.message : String(error)}`, 'Report this as a bug with the deploy record attached.');
}

export function readError(file: string, error: GraphError, what: string): DeployError {
  if (error.isPermission) {
    return deployError('GRAPH_PERMISSION', `${file}: ${what} could not be read (${error.status} ${error.code}): ${error.message}`, 'Grant the application the read permission of the type, then approve the change again.');
  }
  return deployError('GRAPH_READ_FAILED', `${file}: ${what} could not be read (${error.status ?? error.code}): ${error.message}`, 'Nothing was written for this object. Run the apply again later.');
}
