import { errorCatalogue, type ErrorCode } from '../errors/index.js';
import { GraphError } from '../graph/types.js';
import type { ResourceDefinition } from '../resources/definition.js';
import type { DeployError } from './record.js';

/**
 * Stable codes of the deploy record's errors. Codes that other modules already define keep their
 * meaning (GRAPH_PERMISSION, GRAPH_READ_FAILED, REFERENCE_UNRESOLVED, READ_ONLY_OBJECT,
 * WRITE_NOT_SUPPORTED, INTERNAL); the DEPLOY_* codes are deploy's own.
 */
const deployCodes = [
  'DEPLOY_NOT_APPROVED',
  'DEPLOY_PLAN_INVALID',
  'DEPLOY_WRONG_TENANT',
  'DEPLOY_STALE',
  'DEPLOY_WRITE_FAILED',
  'DEPLOY_OUTCOME_UNKNOWN',
  'DEPLOY_UNVERIFIED',
  'REFERENCE_UNRESOLVED',
  'READ_ONLY_OBJECT',
  'WRITE_NOT_SUPPORTED',
  'GRAPH_PERMISSION',
  'GRAPH_READ_FAILED',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];

/** The codes a deploy record's errors carry, with their titles from the one error catalogue */
export const DEPLOY_ERROR_CODES = Object.fromEntries(deployCodes.map((c) => [c, errorCatalogue[c]])) as {
  [K in (typeof deployCodes)[number]]: (typeof errorCatalogue)[K];
};
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
