import { TokenSource } from './auth.js';
import { BatchQueue, fetchBatched } from './batcher.js';
import { isAbortError, systemClock, type Clock } from './clock.js';
import { Semaphore } from './concurrency.js';
import { abortedError, invalidUrlError } from './errors.js';
import { Executor, triesOfAbort, type Exchange, type ExecutorContext } from './executor.js';
import { RateLimiter, type RateLimit } from './rateLimiter.js';
import { readAll, readOne, readPages, type Fetch } from './reads.js';
import { createTransport, type Transport } from './transport.js';
import type { GraphClient, GraphClientOptions, GraphEvent, GraphRequest, GraphResponse, GraphStats, PageHandled, ReadOutcome } from './types.js';
import { GraphUrlError, parseEndpoint, resolveGraphUrl, type GraphTarget } from './url.js';
import type { ThrottleBucket } from '../resources/definition.js';

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_MAX_RETRIES = 8;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_BACKOFF_MS = 60_000;
export const DEFAULT_BASE_BACKOFF_MS = 1_000;

/** Knobs for tests and benchmarks; production code passes none */
export interface GraphClientInternals {
  /** Time source for waits and pacing (a scaled clock makes Retry-After: 2 last 2 ms) */
  clock?: Clock;
  /** Epoch milliseconds, to read Retry-After HTTP dates */
  wallNow?: () => number;
  /** Jitter source in [0, 1) */
  random?: () => number;
  /** First backoff ceiling (default 1 s, doubling per retry up to maxBackoffMs) */
  baseBackoffMs?: number;
  /** Added to each paced window (default 1% of it, at most 10 ms) */
  rateLimitMarginMs?: (limit: RateLimit) => number;
  transport?: Transport;
}

export interface ClosableGraphClient extends GraphClient {
  /** Close pooled keep-alive sockets (they never keep the process alive) */
  close(): void;
}

export function createGraphClient(options: GraphClientOptions, internals: GraphClientInternals = {}): ClosableGraphClient {
  const endpoint = parseEndpoint(options.endpoint);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const clock = internals.clock ?? systemClock;
  const stats: GraphStats = { requests: 0, batchedItems: 0, graphRequests: 0, retries: 0, throttled: 0, failures: 0, bytesReceived: 0 };
  const onEvent = options.onEvent;
  const emit = (event: GraphEvent): void => {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
      // A listener's fault must not fail a request.
    }
  };
  const rate = new RateLimiter(options.rateLimits ?? {}, clock, internals.rateLimitMarginMs);
  const writeRate = options.writeRateLimits ? new RateLimiter(options.writeRateLimits, clock, internals.rateLimitMarginMs) : undefined;
  const context: ExecutorContext = {
    clock,
    wallNow: internals.wallNow ?? Date.now,
    random: internals.random ?? Math.random,
    policy: {
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      baseBackoffMs: internals.baseBackoffMs ?? DEFAULT_BASE_BACKOFF_MS,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
    },
    rate,
    writeRate,
    stats,
    emit,
    signal: options.signal,
  };
  const slots = new Semaphore(concurrency);
  const transport = internals.transport ?? createTransport({ maxSockets: concurrency });
  const executor = new Executor({
    ...context,
    transport,
    tokens: new TokenSource(options.token),
    slots,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    userAgent: options.userAgent ?? 'tenant-sync',
  });
  const queue = new BatchQueue(executor, endpoint, rate, options.signal);

  /** Resolve the URL and run; an abort or a bad URL becomes a failed exchange */
  const guarded = async (method: string, url: string, run: (target: GraphTarget) => Promise<Exchange>): Promise<Exchange> => {
    try {
      return await run(resolveGraphUrl(endpoint, url));
    } catch (error) {
      if (isAbortError(error)) {
        const tries = triesOfAbort(error);
        return { ok: false, error: abortedError(method, displayOf(url), tries?.length ?? 0, tries) };
      }
      if (error instanceof GraphUrlError) return { ok: false, error: invalidUrlError(method, displayOf(url), error.message) };
      throw error;
    }
  };
  const direct =
    (bucket: ThrottleBucket): Fetch =>
    (url) =>
      guarded('GET', url, (target) => executor.run({ method: 'GET', target, bucket }));
  const batched =
    (bucket: ThrottleBucket): Fetch =>
    (url) =>
      guarded('GET', url, (target) => fetchBatched(context, queue, target, bucket));
  const counted = <T>(outcome: ReadOutcome<T>): ReadOutcome<T> => {
    if (outcome.status === 'failed') stats.failures++;
    return outcome;
  };

  return {
    stats,
    async request(req: GraphRequest): Promise<GraphResponse> {
      const exchange = await guarded(req.method, req.url, (target) =>
        executor.run({ method: req.method, target, body: req.body, headers: req.headers, bucket: req.bucket ?? 'default', signal: req.signal }),
      );
      if (!exchange.ok) {
        stats.failures++;
        throw exchange.error;
      }
      return { ...exchange.response, attempts: exchange.attempts };
    },
    async get<T = unknown>(url: string, bucket: ThrottleBucket = 'default'): Promise<ReadOutcome<T>> {
      return counted(await readOne<T>(direct(bucket), url));
    },
    async list<T = unknown>(url: string, bucket: ThrottleBucket = 'default'): Promise<ReadOutcome<T[]>> {
      return counted(await readAll<T>(direct(bucket), url));
    },
    async listPages<T = unknown>(url: string, onPage: (items: T[], page: number) => PageHandled | Promise<PageHandled>, bucket: ThrottleBucket = 'default'): Promise<ReadOutcome<void>> {
      return counted(await readPages<T>(direct(bucket), url, onPage));
    },
    async getMany<T = unknown>(urls: string[], bucket: ThrottleBucket = 'default'): Promise<ReadOutcome<T>[]> {
      const fetch = batched(bucket);
      return (await Promise.all(urls.map((url) => readOne<T>(fetch, url)))).map(counted);
    },
    async listMany<T = unknown>(urls: string[], bucket: ThrottleBucket = 'default'): Promise<ReadOutcome<T[]>[]> {
      const fetch = batched(bucket);
      return (await Promise.all(urls.map((url) => readAll<T>(fetch, url)))).map(counted);
    },
    close() {
      transport.close();
    },
  };
}

function displayOf(url: string): string {
  try {
    const parsed = new URL(url, 'http://relative.invalid');
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}
