/** Waiting between attempts: Retry-After when Graph gives one, exponential backoff with full jitter otherwise. */

/**
 * Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3). Returns milliseconds, or
 * undefined when the header is absent or unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: string | undefined, nowEpochMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP-date names its day or month ('Wed, 21 Oct 2015 07:28:00 GMT'); '-5' is no date.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowEpochMs);
}

/**
 * Full jitter (AWS architecture blog, "Exponential backoff and jitter"): a uniform wait between 0
 * and min(cap, base * 2^retry). retry counts from 0.
 */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
}
