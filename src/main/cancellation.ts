/**
 * What a cancelled run does in the little time it has. The runner sends SIGINT to a cancelled
 * step, SIGTERM 7.5 s later and kills the process tree 2.5 s after that (GitHub's "Canceling a
 * workflow"). An apply under way stops before its next change and reports itself, its deploy record
 * finished; a tenant that cannot end in time (a sync, or a write whose answer has not come) is
 * reported from what was recorded so far. Each tenant is reported once, whichever comes first.
 */

export interface CancelTimes {
  /** How long an apply under way gets to stop and report itself */
  ownEndMs: number;
  /** When everything must be reported, counted from the first signal */
  deadlineMs: number;
}

/**
 * Within the runner's 10 s from SIGINT to the kill (its SIGTERM at 7.5 s is taken as the same
 * cancel), with time left for the report from the record
 */
export const RUNNER_CANCEL_TIMES: CancelTimes = { ownEndMs: 6_000, deadlineMs: 9_000 };

export interface TrackedTenant {
  /** True while the tenant's run is one that stops by itself on the signal (an apply under way) */
  stopsOnSignal(): Promise<boolean>;
  /** Reports the tenant as cancelled from what was recorded so far */
  reportCancel(signal: string): Promise<void>;
}

export interface TenantRun {
  /** The tenant's one final report: the first call runs, later ones get the same promise */
  report(send: () => Promise<unknown>): Promise<unknown>;
  /** The tenant's own run is over (reported or not) */
  end(): void;
}

export interface Cancellation {
  /** Aborted at the first signal */
  signal: AbortSignal;
  track(name: string, tenant: TrackedTenant): TenantRun;
  /** Aborts, then reports every tenant still running; resolves by the deadline whatever happens */
  cancel(signal: string): Promise<void>;
}

export function createCancellation(times: CancelTimes = RUNNER_CANCEL_TIMES): Cancellation {
  const controller = new AbortController();
  const running = new Map<string, { tenant: TrackedTenant; run: TenantRun; ended: Promise<void> }>();
  let cancelling: Promise<void> | undefined;
  const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const cancelOne = async (signal: string, entry: { tenant: TrackedTenant; run: TenantRun; ended: Promise<void> }): Promise<void> => {
    if (await entry.tenant.stopsOnSignal().catch(() => false)) await Promise.race([entry.ended, delay(times.ownEndMs)]);
    // A no-op when the run has reported itself; otherwise the cancel is reported from the record
    await entry.run.report(() => entry.tenant.reportCancel(signal));
  };

  return {
    signal: controller.signal,
    track(name, tenant) {
      let reported: Promise<unknown> | undefined;
      let ended!: () => void;
      const entry = {
        tenant,
        ended: new Promise<void>((r) => (ended = r)),
        run: {
          report: (send: () => Promise<unknown>) => (reported ??= send()),
          end: () => {
            ended();
            if (running.get(name) === entry) running.delete(name);
          },
        },
      };
      running.set(name, entry);
      return entry.run;
    },
    cancel(signal) {
      // The runner's SIGTERM after its SIGINT is the same cancel: it does not start another
      cancelling ??= (async () => {
        controller.abort();
        const all = Promise.all([...running.values()].map((entry) => cancelOne(signal, entry).catch(() => undefined)));
        await Promise.race([all, delay(times.deadlineMs)]);
      })();
      return cancelling;
    },
  };
}
