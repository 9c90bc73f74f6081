import { AbortedError } from './clock.js';

interface Waiter {
  grant: () => void;
  fail: (e: Error) => void;
  rank: number;
}

/**
 * At most `max` holders at once. Waiters are served by rank (lowest first), and first come, first
 * served within a rank; a free slot is never held back for a better-ranked waiter still to come.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a whole number of at least 1, got ${max}`);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free and no waiter ranked before `rank` waits */
  acquire(signal?: AbortSignal, rank = 0): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve(this.releaser());
        },
        fail: reject,
        rank,
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Behind every waiter of the same or a better rank (the list stays sorted by rank, stable).
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.rank > rank) at--;
      this.waiters.splice(at, 0, waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) next.grant();
    };
  }
}
