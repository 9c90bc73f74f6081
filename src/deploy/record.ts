import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * The deploy record: every write an apply made, object by object, written to disk incrementally
 * and durably. An item is marked 'in-progress' (and the record made durable) before its first
 * write request is sent, and each write request is recorded as soon as Graph answers, so after a
 * crash the record names exactly the object that may have been written and what was sent so far.
 * It never holds a token, a secret or a request body: only methods, paths, statuses and Graph's
 * request ids.
 */

export const DEPLOY_RECORD_VERSION = 1;

export const approvalSchema = z.object({
  /** How the plan was approved: a merged approval pull request, or a person at the command line */
  kind: z.enum(['pull-request', 'cli']),
  /** The pull request (URL or number), or what the CLI user confirmed */
  reference: z.string().min(1),
  approvedBy: z.string().optional(),
});
export type Approval = z.infer<typeof approvalSchema>;

export const deployErrorSchema = z.object({
  /** Stable code (see DEPLOY_ERROR_CODES in errors.ts) */
  code: z.string(),
  message: z.string(),
  /** What to do about it */
  fix: z.string(),
});
export type DeployError = z.infer<typeof deployErrorSchema>;

export const requestRecordSchema = z.object({
  method: z.enum(['POST', 'PATCH', 'PUT', 'DELETE']),
  /** Path under the Graph endpoint, without query: '/v1.0/identity/conditionalAccess/policies/{id}' */
  path: z.string(),
  /** HTTP status; null when no answer came (connection lost, timeout): Graph may have applied it */
  status: z.int().nullable(),
  /** Graph's request-id, for Microsoft support */
  requestId: z.string().nullable(),
  /**
   * The client-request-id the request carried: Graph logs it, so a request whose answer was lost
   * can still be looked up (audit logs, Microsoft support)
   */
  clientRequestId: z.string().nullable().default(null),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

export const itemResultSchema = z.enum([
  /** Not reached yet (or never: the run stopped before it) */
  'pending',
  /** Its first write request is about to be sent or was sent, with no outcome recorded yet */
  'in-progress',
  /** Written and read back as planned */
  'applied',
  /** The tenant changed since the plan was made: refused, nothing written */
  'stale',
  /** Not written, or a write failed (see error and requests) */
  'failed',
  /** Written, but reading it back did not show the planned object (see differences) */
  'unverified',
  /** Nothing to write: the tenant already is as planned */
  'skipped',
]);
export type ItemResult = z.infer<typeof itemResultSchema>;

export const recordItemSchema = z.object({
  type: z.string(),
  /** The object's name (display name, or the name field of the type) */
  name: z.string(),
  /** The file in the repository, without .json (as in the plan) */
  file: z.string(),
  action: z.enum(['create', 'update', 'delete']),
  /** The object's id in the tenant: known before the write for updates and deletes, after it for creates */
  id: z.string().nullable(),
  result: itemResultSchema,
  /** Every write request sent for the object, in order */
  requests: z.array(requestRecordSchema),
  error: deployErrorSchema.optional(),
  /** A note that is not an error (a redacted value that was not sent, already as planned, ...) */
  message: z.string().optional(),
  /** Paths that differ: tenant vs plan (stale), or read back vs plan (unverified) */
  differences: z.array(z.string()).optional(),
});
export type RecordItem = z.infer<typeof recordItemSchema>;

export const recordCountsSchema = z.object({
  items: z.int().min(0),
  pending: z.int().min(0),
  inProgress: z.int().min(0),
  applied: z.int().min(0),
  stale: z.int().min(0),
  failed: z.int().min(0),
  unverified: z.int().min(0),
  skipped: z.int().min(0),
  /** Write requests sent */
  requests: z.int().min(0),
});
export type RecordCounts = z.infer<typeof recordCountsSchema>;

export const deployStatusSchema = z.enum([
  /** The apply is under way (a record left in this state is from a run that did not finish) */
  'running',
  /** Every item applied (or already as planned) */
  'succeeded',
  /** Some items applied, others failed, were stale or could not be verified */
  'partial',
  /** Every item failed or was stale: nothing was changed */
  'failed',
  /** The run was cancelled: the items it reached are as they say, the pending ones were not started */
  'cancelled',
  /** The plan was not applied at all (no approval, invalid, another tenant) */
  'refused',
]);
export type DeployStatus = z.infer<typeof deployStatusSchema>;

export const deployRecordSchema = z.object({
  version: z.literal(DEPLOY_RECORD_VERSION),
  /** The tenant's short name (tenant-sync.yml) */
  tenant: z.string(),
  /** planHash of the plan applied (sha256 of the plan as given when it was not a valid plan) */
  planHash: z.string(),
  /** The approval the caller proved; null only in a refused record */
  approval: approvalSchema.nullable(),
  startedAt: z.string(),
  /** null while running (and in the record of a run that crashed) */
  finishedAt: z.string().nullable(),
  status: deployStatusSchema,
  /** Why the whole plan was refused */
  error: deployErrorSchema.optional(),
  /** In the order they are applied: creates and updates in dependency order, then deletes in reverse */
  items: z.array(recordItemSchema),
  counts: recordCountsSchema,
});
export type DeployRecord = z.infer<typeof deployRecordSchema>;

export function countItems(items: readonly RecordItem[]): RecordCounts {
  const counts: RecordCounts = { items: items.length, pending: 0, inProgress: 0, applied: 0, stale: 0, failed: 0, unverified: 0, skipped: 0, requests: 0 };
  for (const item of items) {
    if (item.result === 'in-progress') counts.inProgress++;
    else counts[item.result]++;
    counts.requests += item.requests.length;
  }
  return counts;
}

/**
 * The run's outcome from its items: every item applied or already as planned -> succeeded; every
 * item failed or stale (nothing changed) -> failed; anything else -> partial.
 */
export function overallStatus(items: readonly RecordItem[]): Exclude<DeployStatus, 'running' | 'refused' | 'cancelled'> {
  if (items.every((i) => i.result === 'applied' || i.result === 'skipped')) return 'succeeded';
  if (items.every((i) => i.result === 'failed' || i.result === 'stale')) return 'failed';
  return 'partial';
}

/**
 * The status a run ends with: cancelled when the run was cancelled with a change not finished
 * (pending, or a write in flight: made or not, as the item says); otherwise its items' outcome
 */
export function statusAtEnd(items: readonly RecordItem[], cancelled: boolean): Exclude<DeployStatus, 'running' | 'refused'> {
  return cancelled && items.some((i) => i.result === 'pending' || i.result === 'in-progress') ? 'cancelled' : overallStatus(items);
}

/**
 * The record of a run that is being cancelled before the apply could finish it, finished now. A
 * record the apply had already finished is returned as it is.
 */
export function endedByCancel(record: DeployRecord, at: Date): DeployRecord {
  if (record.status !== 'running') return record;
  return { ...record, status: statusAtEnd(record.items, true), finishedAt: at.toISOString() };
}

/**
 * Writes the record so that a crash at any moment leaves either the previous or the new version,
 * complete: a temporary file next to it, flushed to the disk, renamed over it, then the folder
 * flushed so the rename itself survives a power loss.
 */
export async function writeRecordFile(file: string, record: DeployRecord): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await handle.close();
  await rename(tmp, file);
  try {
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // Some platforms (Windows) cannot open or flush a folder; the rename is as durable as they allow.
  }
}

/** Reads a record back; throws a ZodError naming what is wrong. */
export async function readRecordFile(file: string): Promise<DeployRecord> {
  return deployRecordSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}
