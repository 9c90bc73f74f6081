/** Collections: a page is { value: [...], '@odata.nextLink'?: absolute URL of the next page } */

export type Page<T> = { ok: true; items: T[]; nextLink?: string } | { ok: false; reason: string };

export function readPage<T>(body: unknown): Page<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'the body is not a collection page' };
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record.value)) return { ok: false, reason: "the collection page has no 'value' array" };
  const next = record['@odata.nextLink'];
  if (next !== undefined && next !== null && typeof next !== 'string') return { ok: false, reason: "'@odata.nextLink' is not a URL" };
  return { ok: true, items: record.value as T[], ...(typeof next === 'string' && next !== '' ? { nextLink: next } : {}) };
}
