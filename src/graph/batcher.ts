import { parseRetryAfter } from './backoff.js';
import { buildEnvelope, envelopeSize, parseEnvelopeResponse } from './batch.js';
import { sleep, throwIfAborted } from './clock.js';
import { faultError, httpError, parseErrorBody, withContext } from './errors.js';
import type { Exchange, Executor, ExecutorContext } from './executor.js';
import type { Permit, RateLimiter } from './rateLimiter.js';
import { decideRetry, type AttemptOutcome } from './retry.js';
import type { GraphError } from './types.js';
import { batchTarget, type GraphEndpoint, type GraphTarget } from './url.js';
import type { ThrottleBucket } from '../resources/definition.js';

/**
 * GETs sent through $batch. Callers fetch one URL at a time; the queue gathers the GETs waiting
 * into envelopes per API version and throttle bucket (an envelope's items share a version) of at
 * most 20 items, or as many as the bucket's window has room for (each item is one Graph request to
 * the throttle). Next pages of many lists, submitted together when their envelope answers, share
 * envelopes the same way.
 *
 * An envelope that fails as a whole (429, 503, a dropped connection) is retried as an envelope by
 * the executor: it holds only GETs. An item that fails on its own (429 with its own Retry-After,
 * 503, 504) is retried on its own, in a later envelope.
 */

export type ItemOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: unknown; requestId?: string }
  /** Graph's batch response did not answer this item */
  | { kind: 'fault'; code: string; detail: string; requestId?: string }
  /** The envelope failed past its retries */
  | { kind: 'failed'; error: GraphError };

interface Queued {
  target: GraphTarget;
  resolve: (outcome: ItemOutcome) => void;
  reject: (error: unknown) => void;
}

interface Group {
  version: string;
  bucket: ThrottleBucket;
  items: Queued[];
  /** The group's dispatch loop is running or scheduled */
  active: boolean;
}

export class BatchQueue {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly executor: Executor,
    private readonly endpoint: GraphEndpoint,
    private readonly rate: RateLimiter,
    private readonly signal?: AbortSignal,
  ) {}

  /** One GET, answered when its envelope is */
  submit(target: GraphTarget, bucket: ThrottleBucket): Promise<ItemOutcome> {
    return new Promise((resolve, reject) => {
      const key = `${target.version}\u0000${bucket}`;
      let group = this.groups.get(key);
      if (!group) {
        group = { version: target.version, bucket, items: [], active: false };
        this.groups.set(key, group);
      }
      group.items.push({ target, resolve, reject });
      if (!group.active) {
        group.active = true;
        const started = group;
        // After the current turn's promise continuations: everything submitted together goes together.
        setImmediate(() => void this.dispatch(started));
      }
    });
  }

  /**
   * Form envelopes while items wait: reserve permits for up to 20 (fewer when the bucket's window
   * has less room), take that many items, send them, repeat.
   */
  private async dispatch(group: Group): Promise<void> {
    try {
      while (group.items.length > 0) {
        const wanted = envelopeSize(Math.min(group.items.length, this.rate.capacity(group.bucket)));
        let permit: Permit;
        try {
          permit = await this.rate.acquireUpTo(group.bucket, wanted, this.signal);
        } catch (error) {
          for (const item of group.items.splice(0)) item.reject(error);
          return;
        }
        const items = group.items.splice(0, permit.count);
        if (items.length < permit.count) permit.release();
        this.send(group.version, group.bucket, items, permit).then(
          (outcomes) => items.forEach((item, i) => item.resolve(outcomes[i] ?? missing(item.target))),
          (error: unknown) => items.forEach((item) => item.reject(error)),
        );
      }
    } finally {
      group.active = false;
    }
  }

  private async send(version: string, bucket: ThrottleBucket, items: Queued[], permit: Permit): Promise<ItemOutcome[]> {
    const exchange: Exchange = await this.executor.run({
      method: 'POST',
      target: batchTarget(this.endpoint, version),
      body: buildEnvelope(items.map((item) => item.target.relative)),
      bucket,
      batchItems: items.length,
      ...(permit.count === items.length ? { permit } : {}),
    });
    if (!exchange.ok) return items.map(() => ({ kind: 'failed', error: exchange.error }));
    const byId = parseEnvelopeResponse(exchange.response.body);
    const requestId = exchange.response.requestId;
    return items.map((item, index): ItemOutcome => {
      const answer = byId?.get(String(index + 1));
      if (!answer) {
        return byId
          ? { kind: 'fault', code: 'MissingBatchResponse', detail: 'the $batch response has no answer for this request', requestId }
          : { kind: 'fault', code: 'InvalidBatchResponse', detail: 'the $batch response has no responses array', requestId };
      }
      return { kind: 'response', status: answer.status, headers: answer.headers, body: answer.body, requestId: parseErrorBody(answer.body).requestId ?? requestId };
    });
  }
}

function missing(target: GraphTarget): ItemOutcome {
  return { kind: 'fault', code: 'MissingBatchResponse', detail: `no answer for ${target.display}` };
}

/** One GET through the batch queue, with its own retries */
export async function fetchBatched(ctx: ExecutorContext, queue: BatchQueue, target: GraphTarget, bucket: ThrottleBucket): Promise<Exchange> {
  let retries = 0;
  let attempts = 0;
  for (;;) {
    throwIfAborted(ctx.signal);
    const outcome = await queue.submit(target, bucket);
    attempts++;
    if (outcome.kind === 'failed') {
      return { ok: false, error: withContext(outcome.error, `GET ${target.display} was sent in a $batch request that failed`, { method: 'GET', url: target.display }) };
    }
    if (outcome.kind === 'response' && outcome.status < 400) {
      return { ok: true, attempts, response: { status: outcome.status, headers: outcome.headers, body: outcome.body, requestId: outcome.requestId } };
    }
    if (outcome.kind === 'response' && outcome.status === 429) ctx.stats.throttled++;
    const attempt: AttemptOutcome =
      outcome.kind === 'response'
        ? { kind: 'status', status: outcome.status, retryAfterMs: parseRetryAfter(outcome.headers['retry-after'], ctx.wallNow()) }
        : { kind: 'fault', code: outcome.code };
    // The envelope's token was accepted: a 401 on an item is not an expired token.
    const decision = decideRetry(attempt, { safeToRepeat: true, retries, canRefreshToken: false }, ctx.policy, ctx.random);
    if (!decision.retry) {
      const error =
        outcome.kind === 'response'
          ? httpError({ method: 'GET', url: target.display, status: outcome.status, body: outcome.body, requestId: outcome.requestId, attempts })
          : faultError({ method: 'GET', url: target.display, code: outcome.code, detail: outcome.detail, attempts, requestId: outcome.requestId });
      return { ok: false, error };
    }
    retries++;
    ctx.stats.retries++;
    if (decision.throttled) ctx.rate.pause(bucket, decision.waitMs);
    ctx.emit({
      kind: 'retry',
      method: 'GET',
      url: target.display,
      ...(outcome.kind === 'response' ? { status: outcome.status } : {}),
      code: outcome.kind === 'response' ? (parseErrorBody(outcome.body).code ?? `HTTP${outcome.status}`) : outcome.code,
      waitMs: decision.waitMs,
      attempt: attempts,
    });
    await sleep(ctx.clock, decision.waitMs, ctx.signal);
  }
}
