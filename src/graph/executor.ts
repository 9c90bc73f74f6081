import { randomUUID } from 'node:crypto';
import type { TokenSource } from './auth.js';
import { parseRetryAfter } from './backoff.js';
import { sleep, throwIfAborted, isAbortError, type Clock } from './clock.js';
import type { Semaphore } from './concurrency.js';
import { faultError, httpError, parseErrorBody, tokenError } from './errors.js';
import type { Permit, RateLimiter } from './rateLimiter.js';
import { decideRetry, isSafeToRepeat, type AttemptOutcome, type RetryPolicy } from './retry.js';
import { TransportError, type Transport } from './transport.js';
import type { Attempt as SentAttempt, GraphError, GraphEvent, GraphResponse, GraphStats, HttpMethod } from './types.js';
import type { GraphTarget } from './url.js';
import type { ThrottleBucket } from '../resources/definition.js';

/** What the request and batch paths share: time, pacing, statistics, events */
export interface ExecutorContext {
  clock: Clock;
  /** Epoch milliseconds, to read Retry-After dates */
  wallNow: () => number;
  random: () => number;
  policy: RetryPolicy;
  rate: RateLimiter;
  /** Write limits per bucket (writes take a permit here and one of `rate`) */
  writeRate?: RateLimiter;
  stats: GraphStats;
  emit: (event: GraphEvent) => void;
  signal?: AbortSignal;
}

export interface ExecutorOptions extends ExecutorContext {
  transport: Transport;
  tokens: TokenSource;
  slots: Semaphore;
  timeoutMs: number;
  userAgent: string;
}

export interface Call {
  method: HttpMethod;
  target: GraphTarget;
  body?: unknown;
  headers?: Record<string, string>;
  bucket: ThrottleBucket;
  /** A $batch envelope: how many Graph requests it carries (each takes a permit of the bucket) */
  batchItems?: number;
  /** Permits already reserved for the first attempt (the batch queue sizes envelopes to them) */
  permit?: Permit;
  /**
   * Stops the request while it waits (its turn, a connection, a backoff) and before an attempt goes
   * out; an attempt already sent is never cut by it (its answer is what says whether Graph has it)
   */
  signal?: AbortSignal;
}

/** The end of a request after its retries; an aborted request throws instead */
export type Exchange = { ok: true; response: GraphResponse; attempts: number } | { ok: false; error: GraphError };

type Attempt =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: unknown; requestId: string; sent: SentAttempt }
  | { kind: 'fault'; code: string; detail: string; requestId: string; sent: SentAttempt };

/** An abort carries the attempts that went out before it (a write among them may have landed) */
export function triesOfAbort(error: unknown): readonly SentAttempt[] | undefined {
  return (error as { tries?: readonly SentAttempt[] } | undefined)?.tries;
}

function waiting(client: AbortSignal | undefined, call: AbortSignal | undefined): AbortSignal | undefined {
  return client && call ? AbortSignal.any([client, call]) : (call ?? client);
}

/** Sends requests: token, rate permit, connection slot, transport; retries per decideRetry */
export class Executor {
  constructor(private readonly o: ExecutorOptions) {}

  async run(call: Call): Promise<Exchange> {
    const tries: SentAttempt[] = [];
    try {
      return await this.runAttempts(call, tries);
    } catch (error) {
      if (isAbortError(error) && error !== null && typeof error === 'object') {
        const inFlight = (error as { inFlight?: SentAttempt }).inFlight;
        const sent = inFlight ? [...tries, inFlight] : tries;
        if (sent.length > 0) Object.assign(error, { tries: sent });
      }
      throw error;
    } finally {
      call.permit?.release(); // unused when the first attempt never went out
    }
  }

  private async runAttempts(call: Call, tries: SentAttempt[]): Promise<Exchange> {
    const { o } = this;
    let reserved = call.permit;
    const safe = isSafeToRepeat(call.method, call.target.relative, call.body);
    const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    let retries = 0;
    let attempts = 0;
    let refreshed = false;
    let token: string | undefined;
    for (;;) {
      throwIfAborted(waiting(o.signal, call.signal));
      if (token === undefined) {
        try {
          token = await o.tokens.current();
        } catch (error) {
          if (isAbortError(error)) throw error;
          return { ok: false, error: tokenError(call.method, call.target.display, attempts, error, [...tries]) };
        }
      }
      const used = token;
      const result = await this.attempt(call, used, payload, safe, reserved);
      reserved = undefined;
      attempts++;
      tries.push(result.sent);
      if (result.kind === 'response' && result.status < 400) {
        return {
          ok: true,
          attempts,
          response: { status: result.status, headers: result.headers, body: result.body, requestId: result.requestId, tries: [...tries] },
        };
      }
      if (result.kind === 'response' && result.status === 429) o.stats.throttled++;
      const outcome: AttemptOutcome =
        result.kind === 'response'
          ? { kind: 'status', status: result.status, retryAfterMs: parseRetryAfter(result.headers['retry-after'], o.wallNow()) }
          : { kind: 'fault', code: result.code };
      const decision = decideRetry(outcome, { safeToRepeat: safe, retries, canRefreshToken: !refreshed }, o.policy, o.random);
      if (!decision.retry) {
        const unsafe = decision.reason === 'unsafe';
        const error =
          result.kind === 'response'
            ? httpError({
                method: call.method,
                url: call.target.display,
                status: result.status,
                body: result.body,
                requestId: result.requestId,
                attempts,
                notRetriedUnsafe: unsafe,
                tries: [...tries],
              })
            : faultError({
                method: call.method,
                url: call.target.display,
                code: result.code,
                detail: result.detail,
                attempts,
                notRetriedUnsafe: unsafe,
                requestId: result.requestId,
                tries: [...tries],
              });
        return { ok: false, error };
      }
      o.stats.retries++;
      if (decision.refreshToken) {
        refreshed = true;
        try {
          token = await o.tokens.refresh(used);
        } catch (error) {
          if (isAbortError(error)) throw error;
          return { ok: false, error: tokenError(call.method, call.target.display, attempts, error, [...tries]) };
        }
      } else {
        retries++;
        token = undefined;
      }
      if (decision.throttled) o.rate.pause(call.bucket, decision.waitMs);
      o.emit({
        kind: 'retry',
        method: call.method,
        url: call.target.display,
        ...(result.kind === 'response' ? { status: result.status } : {}),
        code: result.kind === 'response' ? (parseErrorBody(result.body).code ?? `HTTP${result.status}`) : result.code,
        waitMs: decision.waitMs,
        attempt: attempts,
      });
      await sleep(o.clock, decision.waitMs, waiting(o.signal, call.signal));
    }
  }

  private async attempt(call: Call, token: string, payload: Buffer | undefined, safe: boolean, reserved: Permit | undefined): Promise<Attempt> {
    const { o } = this;
    const permits = call.batchItems ?? 1;
    const isWrite = call.method !== 'GET' && call.batchItems === undefined;
    const wait = waiting(o.signal, call.signal);
    const writePermit = isWrite && o.writeRate ? await o.writeRate.acquire(call.bucket, 1, wait) : undefined;
    let permit: Permit;
    try {
      permit = reserved ?? (await o.rate.acquire(call.bucket, permits, wait));
    } catch (error) {
      writePermit?.release();
      throw error;
    }
    let release: () => void;
    try {
      release = await o.slots.acquire(wait, o.rate.scarcity(call.bucket));
    } catch (error) {
      permit.release();
      writePermit?.release();
      throw error;
    }
    // The last moment to stop it: past this point Graph may receive it
    if (call.signal?.aborted) {
      release();
      permit.release();
      writePermit?.release();
      throwIfAborted(call.signal);
    }
    const clientRequestId = randomUUID();
    const started = o.clock.now();
    // The permit is pending (it counts against the window) from its grant until the answer is in,
    // and is then logged at the time the answer came: Graph counted the request when it arrived,
    // which is never later than that. Logged at the send instead, a request delayed on its way
    // (a loaded machine, a slow network) could land in Graph's next window on top of that window's
    // own requests, and be throttled; logged at the answer, the pacing holds whatever the delay,
    // and costs only the round trip's time once per window, not a margin on every window.
    let written = false;
    const onWrite = (): void => {
      written = true;
    };
    try {
      o.stats.requests++;
      o.stats.graphRequests += permits;
      if (call.batchItems !== undefined) o.stats.batchedItems += call.batchItems;
      const headers: Record<string, string> = {
        ...lowerCaseKeys(call.headers ?? {}),
        accept: 'application/json',
        'accept-encoding': 'gzip',
        'user-agent': o.userAgent,
        'client-request-id': clientRequestId,
        'return-client-request-id': 'true',
        authorization: `Bearer ${token}`,
      };
      if (payload) headers['content-type'] = 'application/json';
      const res = await o.transport.send({
        method: call.method,
        url: call.target.url,
        headers,
        body: payload,
        timeoutMs: o.timeoutMs,
        reuseConnection: safe,
        signal: o.signal,
        onWrite,
      });
      written = true;
      o.stats.bytesReceived += res.bytes;
      o.emit({ kind: 'response', method: call.method, url: call.target.display, status: res.status, ms: Math.round(o.clock.now() - started) });
      return {
        kind: 'response',
        status: res.status,
        headers: res.headers,
        body: parseBody(res.body, res.headers['content-type']),
        requestId: res.headers['request-id'] ?? res.headers['client-request-id'] ?? clientRequestId,
        sent: { clientRequestId, status: res.status, requestId: res.headers['request-id'] ?? null },
      };
    } catch (error) {
      if (error instanceof TransportError) {
        o.stats.bytesReceived += error.bytes;
        return { kind: 'fault', code: error.code, detail: error.message, requestId: clientRequestId, sent: { clientRequestId, status: null, requestId: null } };
      }
      // Aborted while out: Graph may have it
      if (written && isAbortError(error)) Object.assign(error as object, { inFlight: { clientRequestId, status: null, requestId: null } satisfies SentAttempt });
      throw error;
    } finally {
      if (written) {
        permit.commit();
        writePermit?.commit();
      } else {
        // Never connected: Graph did not see it, the permit goes back.
        permit.release();
        writePermit?.release();
      }
      release();
    }
  }
}

/** JSON when it parses, text otherwise, undefined when empty */
export function parseBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (looksJson) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

