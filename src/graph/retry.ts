import { backoffDelay } from './backoff.js';
import type { HttpMethod } from './types.js';

/**
 * Which failures are worth another attempt, and after how long. Pure: the caller counts attempts,
 * sleeps and refreshes the token.
 */

export type AttemptOutcome =
  /** Graph answered with an error status; retryAfterMs from its Retry-After header */
  | { kind: 'status'; status: number; retryAfterMs?: number }
  /** No complete answer: connection reset, socket hang up, timeout, ... */
  | { kind: 'fault'; code: string };

export interface RetryPolicy {
  maxRetries: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface RetryState {
  /** Repeating the request cannot apply a change twice (not a POST, or a $batch of GETs) */
  safeToRepeat: boolean;
  /** Retries made so far (a token refresh is not counted, it happens at most once) */
  retries: number;
  /** A 401 may be answered by refreshing the token once */
  canRefreshToken: boolean;
}

export type RetryDecision =
  | { retry: true; waitMs: number; refreshToken: boolean; throttled: boolean }
  | { retry: false; reason: 'final' | 'exhausted' | 'unsafe' };

/** Statuses that say "try again later": 408 Request Timeout, 502/503/504 from Graph's gateways */
const TRANSIENT_STATUSES = new Set([408, 502, 503, 504]);

/** Faults where the request certainly never reached Graph, so even a POST may be repeated */
const NOT_SENT_FAULTS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** TLS verification failures: retrying cannot make a certificate trusted */
export function isCertificateFault(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME_MISMATCH|ERR_SSL/.test(code);
}

export function decideRetry(outcome: AttemptOutcome, state: RetryState, policy: RetryPolicy, random: () => number): RetryDecision {
  const backoff = (): number => backoffDelay(state.retries, policy.baseBackoffMs, policy.maxBackoffMs, random);
  const exhausted = state.retries >= policy.maxRetries;

  if (outcome.kind === 'fault') {
    if (outcome.code === 'Aborted' || isCertificateFault(outcome.code)) return { retry: false, reason: 'final' };
    if (!state.safeToRepeat && !NOT_SENT_FAULTS.has(outcome.code)) return { retry: false, reason: 'unsafe' };
    if (exhausted) return { retry: false, reason: 'exhausted' };
    return { retry: true, waitMs: backoff(), refreshToken: false, throttled: false };
  }

  const { status } = outcome;
  if (status === 401) {
    return state.canRefreshToken ? { retry: true, waitMs: 0, refreshToken: true, throttled: false } : { retry: false, reason: 'final' };
  }
  if (status === 429) {
    // Throttled requests were not processed: safe to repeat whatever the method.
    if (exhausted) return { retry: false, reason: 'exhausted' };
    return { retry: true, waitMs: outcome.retryAfterMs ?? backoff(), refreshToken: false, throttled: true };
  }
  if (TRANSIENT_STATUSES.has(status)) {
    if (!state.safeToRepeat) return { retry: false, reason: 'unsafe' };
    if (exhausted) return { retry: false, reason: 'exhausted' };
    return { retry: true, waitMs: outcome.retryAfterMs ?? backoff(), refreshToken: false, throttled: false };
  }
  return { retry: false, reason: 'final' };
}

/**
 * A POST may create something; repeating it after an answer that never came could create it twice.
 * A $batch envelope is a POST, but one that holds only GETs is as safe to repeat as a GET.
 */
export function isSafeToRepeat(method: HttpMethod, relativePath: string, body: unknown): boolean {
  if (method !== 'POST') return true;
  if (/^\/\$batch(\?|$)/.test(relativePath)) return isGetOnlyBatch(body);
  return false;
}

export function isGetOnlyBatch(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const requests = (body as { requests?: unknown }).requests;
  return (
    Array.isArray(requests) &&
    requests.every((r) => typeof r === 'object' && r !== null && String((r as { method?: unknown }).method).toUpperCase() === 'GET')
  );
}
