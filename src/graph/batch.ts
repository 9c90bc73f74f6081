/**
 * JSON batching (https://learn.microsoft.com/graph/json-batching), the pure part: envelopes of at
 * most 20 requests with ids unique in the envelope and URLs relative to the version root, and
 * responses mapped back by id (Graph answers in any order).
 */

export const MAX_BATCH_SIZE = 20;

export interface BatchRequestItem {
  id: string;
  method: 'GET';
  url: string;
}

export interface BatchEnvelope {
  requests: BatchRequestItem[];
}

export interface BatchResponseItem {
  id: string;
  status: number;
  /** Lower-case names */
  headers: Record<string, string>;
  body: unknown;
}

/** Ids are the 1-based positions in the envelope */
export function buildEnvelope(relativeUrls: readonly string[]): BatchEnvelope {
  if (relativeUrls.length > MAX_BATCH_SIZE) throw new RangeError(`a $batch envelope holds at most ${MAX_BATCH_SIZE} requests`);
  return { requests: relativeUrls.map((url, index) => ({ id: String(index + 1), method: 'GET', url })) };
}

/** Responses by id; undefined when the body is not a batch response at all */
export function parseEnvelopeResponse(body: unknown): Map<string, BatchResponseItem> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const responses = (body as { responses?: unknown }).responses;
  if (!Array.isArray(responses)) return undefined;
  const byId = new Map<string, BatchResponseItem>();
  for (const entry of responses) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, status, headers, body: itemBody } = entry as Record<string, unknown>;
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof status !== 'number') continue;
    byId.set(String(id), { id: String(id), status, headers: lowerCaseHeaders(headers), body: itemBody });
  }
  return byId;
}

/** Split into runs of at most size, keeping order */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const step = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step));
  return out;
}

/** Envelope size for a bucket paced to `capacity` requests per window: one envelope never exceeds it */
export function envelopeSize(capacity: number): number {
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(capacity)));
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}
