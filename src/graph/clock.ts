/**
 * Time, made injectable so that tests can honour a Retry-After of whole seconds without waiting
 * for them, and so that the rate limiter's logic can be checked against a manual clock.
 */
export interface Clock {
  /** Monotonic milliseconds */
  now(): number;
  /** Run fn after ms; returns a function that cancels it */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/** The error every wait and request rejects with once the client's signal is aborted */
export class AbortedError extends Error {
  constructor() {
    super('The operation was aborted');
    this.name = 'AbortError';
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof AbortedError || (error instanceof Error && error.name === 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

/** Wait ms on the clock; rejects with AbortedError as soon as the signal aborts */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(new AbortedError());
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
