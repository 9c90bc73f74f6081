export * from './types.js';
export {
  createGraphClient,
  DEFAULT_BASE_BACKOFF_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  type ClosableGraphClient,
  type GraphClientInternals,
} from './client.js';
export { systemClock, sleep, type Clock } from './clock.js';
export { parseRetryAfter, backoffDelay } from './backoff.js';
export { decideRetry, isSafeToRepeat, type AttemptOutcome, type RetryDecision, type RetryPolicy } from './retry.js';
export { RateLimiter, SlidingWindow, type RateLimit, type Permit } from './rateLimiter.js';
export { Semaphore } from './concurrency.js';
export { MAX_BATCH_SIZE, buildEnvelope, parseEnvelopeResponse, type BatchEnvelope, type BatchResponseItem } from './batch.js';
export { readPage } from './paging.js';
export { parseErrorBody } from './errors.js';
export { parseEndpoint, resolveGraphUrl, type GraphEndpoint, type GraphTarget } from './url.js';
