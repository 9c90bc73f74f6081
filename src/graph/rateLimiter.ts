import { AbortedError, type Clock } from './clock.js';
import type { ThrottleBucket } from '../resources/definition.js';

/**
 * Pacing to Graph's documented limits, per throttle bucket, so that requests are not throttled in
 * the first place (a 429 costs a whole Retry-After).
 *
 * Each bucket is a sliding-window log: at most `requests` in any window of `perMs`. A permit is
 * reserved first (it counts against the window as "pending" while the request waits for a
 * connection slot and while it is out), then committed with the time its answer came (the executor
 * commits then: Graph counted the request on its arrival, never later). Counting pending permits
 * keeps the guarantee exact whatever the delay between the grant, the send and the arrival, without
 * holding a connection slot while waiting for the window (which would starve the other buckets).
 * Each item of a $batch envelope takes one permit of its bucket: Graph evaluates batch items
 * individually against its limits. The batch queue asks for "up to 20" permits and fills the
 * envelope with what the window has room for, so a window that is not a multiple of 20 is used in
 * full.
 *
 * A 429 pauses the bucket for its Retry-After, so that the bucket's other requests do not run into
 * the same throttle.
 */

export interface RateLimit {
  requests: number;
  perMs: number;
}

/** Pure sliding-window state of one bucket */
export class SlidingWindow {
  /** Send times, oldest first; entries before `head` have left the window */
  private log: number[] = [];
  private head = 0;
  private pending = 0;
  private pausedUntil = -Infinity;

  /**
   * @param limit undefined: unlimited (the bucket only pauses after a 429)
   * @param marginMs added to the window (timer granularity: permits are logged when their answer came)
   */
  constructor(
    readonly limit: RateLimit | undefined,
    private readonly marginMs = 0,
  ) {
    if (limit && (!(limit.requests >= 1) || !(limit.perMs > 0))) {
      throw new RangeError(`a rate limit needs requests >= 1 and perMs > 0, got ${JSON.stringify(limit)}`);
    }
  }

  /** Most permits one acquisition can take (a batch envelope of a paced bucket is no larger) */
  get capacity(): number {
    return this.limit ? Math.floor(this.limit.requests) : Infinity;
  }

  /** 0 when n permits can be granted now; otherwise ms to wait, Infinity when only a pending permit's commit or release can help */
  delay(n: number, now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    if (!this.limit) return 0;
    const window = this.limit.perMs + this.marginMs;
    this.prune(now, window);
    const active = this.log.length - this.head;
    const excess = active + this.pending + Math.min(n, this.capacity) - this.capacity;
    if (excess <= 0) return 0;
    if (excess > active) return Infinity;
    const expiresAt = (this.log[this.head + excess - 1] ?? now) + window;
    return Math.max(expiresAt - now, 0.001);
  }

  /** Permits free right now (Infinity when unlimited, 0 while paused) */
  available(now: number): number {
    if (now < this.pausedUntil) return 0;
    if (!this.limit) return Infinity;
    this.prune(now, this.limit.perMs + this.marginMs);
    return Math.max(0, this.capacity - (this.log.length - this.head) - this.pending);
  }

  reserve(n: number): void {
    if (this.limit) this.pending += n;
  }

  commit(n: number, now: number): void {
    if (!this.limit) return;
    this.pending -= n;
    for (let i = 0; i < n; i++) this.log.push(now);
  }

  release(n: number): void {
    if (this.limit) this.pending -= n;
  }

  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Sends inside the window ending now (for tests and diagnostics) */
  inWindow(now: number): number {
    if (!this.limit) return 0;
    this.prune(now, this.limit.perMs + this.marginMs);
    return this.log.length - this.head;
  }

  private prune(now: number, window: number): void {
    while (this.head < this.log.length && (this.log[this.head] ?? Infinity) + window <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
  }
}

export interface Permit {
  /** Permits held: what was asked for, or fewer for a partial acquisition */
  readonly count: number;
  /** The request is being sent now */
  commit(): void;
  /** The request will not be sent (aborted before a slot was free) */
  release(): void;
}

interface Waiter {
  n: number;
  /** Take what is free (at least one) instead of waiting for all n */
  partial: boolean;
  grant: (permit: Permit) => void;
  fail: (error: Error) => void;
  detach: () => void;
}

class BucketScheduler {
  private readonly waiters: Waiter[] = [];
  private cancelTimer: (() => void) | undefined;

  constructor(
    readonly window: SlidingWindow,
    private readonly clock: Clock,
  ) {}

  acquire(n: number, partial: boolean, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.waiters.length === 0) {
      const granted = this.grantable(n, partial, this.clock.now());
      if (granted > 0) {
        this.window.reserve(granted);
        return Promise.resolve(this.permit(granted));
      }
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new AbortedError());
        if (index === 0) this.pump();
      };
      const waiter: Waiter = {
        n,
        partial,
        grant: resolve,
        fail: reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  pause(until: number): void {
    this.window.pauseUntil(until);
    this.pump();
  }

  /** Grant what the window allows, first come first served; otherwise wake up when it will */
  pump(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (;;) {
      const head = this.waiters[0];
      if (!head) return;
      const now = this.clock.now();
      const granted = this.grantable(head.n, head.partial, now);
      if (granted > 0) {
        this.waiters.shift();
        head.detach();
        this.window.reserve(granted);
        head.grant(this.permit(granted));
        continue;
      }
      const wait = this.window.delay(head.partial ? 1 : head.n, now);
      if (Number.isFinite(wait)) {
        this.cancelTimer = this.clock.setTimeout(() => {
          this.cancelTimer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
  }

  /** Permits that can be granted now: n, or for a partial waiter what is free up to n; 0 to wait */
  private grantable(n: number, partial: boolean, now: number): number {
    if (!partial) return this.window.delay(n, now) === 0 ? n : 0;
    return Math.min(n, this.window.available(now));
  }

  private permit(n: number): Permit {
    let done = false;
    return {
      count: n,
      commit: () => {
        if (done) return;
        done = true;
        this.window.commit(n, this.clock.now());
        this.pump();
      },
      release: () => {
        if (done) return;
        done = true;
        this.window.release(n);
        this.pump();
      },
    };
  }
}

/**
 * Default margin: 1% of the window, at most 10 ms. A permit is logged at the time its answer came,
 * which is already later than Graph counted the request by a whole round trip; the margin only
 * covers the clock's granularity (a timer may fire a millisecond early).
 */
export function defaultMarginMs(limit: RateLimit): number {
  return Math.min(10, limit.perMs * 0.01);
}

export class RateLimiter {
  private readonly buckets = new Map<ThrottleBucket, BucketScheduler>();

  constructor(
    private readonly limits: Partial<Record<ThrottleBucket, RateLimit>>,
    private readonly clock: Clock,
    private readonly marginMs: (limit: RateLimit) => number = defaultMarginMs,
  ) {}

  /** Reserve n permits of the bucket (one per Graph request, batch items included) */
  acquire(bucket: ThrottleBucket, n: number, signal?: AbortSignal): Promise<Permit> {
    return this.scheduler(bucket).acquire(n, false, signal);
  }

  /**
   * Reserve between 1 and n permits: as many as are free once at least one is. A $batch envelope
   * is then filled to what the window allows instead of waiting for room for a full one (with
   * 50 per window and envelopes of 20, waiting for full envelopes would use only 40).
   */
  acquireUpTo(bucket: ThrottleBucket, n: number, signal?: AbortSignal): Promise<Permit> {
    return this.scheduler(bucket).acquire(n, true, signal);
  }

  /** Hold every request of the bucket back for ms (after a 429) */
  pause(bucket: ThrottleBucket, ms: number): void {
    if (ms > 0) this.scheduler(bucket).pause(this.clock.now() + ms);
  }

  /**
   * How scarce the bucket's budget is, for ordering requests that wait for a connection: its
   * sustained rate (requests per ms; Infinity when unlimited), lowest first. A connection given to
   * the scarcest budget first keeps that budget (the one that sets a backup's pace) from waiting
   * behind reads whose own budget has room to spare; those take the connections it leaves free.
   * Its requests hold permits before they wait, so it can never keep the others waiting for long.
   */
  scarcity(bucket: ThrottleBucket): number {
    const limit = this.limits[bucket];
    return limit ? limit.requests / limit.perMs : Infinity;
  }

  /** Largest number of permits one request of the bucket may take */
  capacity(bucket: ThrottleBucket): number {
    return this.scheduler(bucket).window.capacity;
  }

  private scheduler(bucket: ThrottleBucket): BucketScheduler {
    let scheduler = this.buckets.get(bucket);
    if (!scheduler) {
      const limit = this.limits[bucket];
      scheduler = new BucketScheduler(new SlidingWindow(limit, limit ? this.marginMs(limit) : 0), this.clock);
      this.buckets.set(bucket, scheduler);
    }
    return scheduler;
  }
}
