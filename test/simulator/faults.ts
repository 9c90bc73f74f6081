/** Faults on demand: error statuses, dropped connections, latency, a failing type, a failing page. */
import type { ActiveFault, FaultMatch, FaultSpec } from './types.js';
import type { Prng } from './util.js';

export interface FaultRequest {
  method: string;
  path: string;
  type?: string;
  isRead: boolean;
  /** list page (1-based) of the type or of its child collection */
  page?: number;
  child?: string;
}

export type FaultDecision =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; fault: ActiveFault }
  | { kind: 'drop'; phase: 'before' | 'after'; fault: ActiveFault };

function matches(match: FaultMatch | undefined, req: FaultRequest): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== req.method) return false;
  if (match.pathIncludes && !req.path.toLowerCase().includes(match.pathIncludes.toLowerCase())) return false;
  if (match.type && match.type !== req.type) return false;
  return true;
}

export class Faults {
  private active: ActiveFault[] = [];
  private nextId = 1;

  constructor(private readonly prng: Prng) {}

  add(spec: FaultSpec): ActiveFault {
    const count = 'count' in spec ? spec.count : undefined;
    const fault: ActiveFault = { id: this.nextId++, spec, fired: 0, remaining: count };
    this.active.push(fault);
    return fault;
  }

  remove(id: number): boolean {
    const before = this.active.length;
    this.active = this.active.filter((f) => f.id !== id);
    return this.active.length !== before;
  }

  clear(): void {
    this.active = [];
  }

  list(): ActiveFault[] {
    return this.active.map((f) => ({ ...f }));
  }

  private fire(fault: ActiveFault, rate: number | undefined): boolean {
    if (fault.remaining !== undefined && fault.remaining <= 0) return false;
    if (rate !== undefined && this.prng.next() >= rate) return false;
    fault.fired++;
    if (fault.remaining !== undefined) fault.remaining--;
    return true;
  }

  private prune(): void {
    this.active = this.active.filter((f) => f.remaining === undefined || f.remaining > 0);
  }

  /** Simulated latency in ms for an HTTP request (sum of matching latency faults). */
  latency(req: FaultRequest): number {
    let total = 0;
    for (const fault of this.active) {
      const spec = fault.spec;
      if (spec.kind !== 'latency' || !matches(spec.match, req)) continue;
      fault.fired++;
      total += spec.fixedMs + (spec.jitterMs ? this.prng.next() * spec.jitterMs : 0);
    }
    return total;
  }

  /** A dropped connection for an HTTP request (plain or $batch envelope). */
  drop(req: FaultRequest): FaultDecision | undefined {
    for (const fault of this.active) {
      const spec = fault.spec;
      if (spec.kind !== 'drop' || !matches(spec.match, req)) continue;
      if (this.fire(fault, spec.rate)) {
        this.prune();
        return { kind: 'drop', phase: spec.phase ?? 'after', fault };
      }
    }
    return undefined;
  }

  /** An error status for a logical request (plain or $batch item). */
  status(req: FaultRequest): FaultDecision | undefined {
    for (const fault of this.active) {
      const spec = fault.spec;
      let hit = false;
      let status = 500;
      let retryAfterSeconds: number | undefined;
      if (spec.kind === 'status' && matches(spec.match, req)) {
        hit = this.fire(fault, spec.rate);
        status = spec.status;
        retryAfterSeconds = spec.retryAfterSeconds;
      } else if (spec.kind === 'failType' && req.isRead && req.type === spec.type) {
        hit = this.fire(fault, undefined);
        status = spec.status;
      } else if (
        spec.kind === 'failPage' &&
        req.method === 'GET' &&
        req.type === spec.type &&
        req.page === spec.page &&
        (spec.child ?? undefined) === (req.child ?? undefined)
      ) {
        hit = this.fire(fault, undefined);
        status = spec.status ?? 500;
      }
      if (hit) {
        this.prune();
        return { kind: 'status', status, retryAfterSeconds, fault };
      }
    }
    return undefined;
  }
}
