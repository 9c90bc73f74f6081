/**
 * Graph's documented throttling limits as sliding windows. Windows run on the simulator's clock:
 * with timeScale k a limit of N requests per W ms is enforced as N per W/k real ms.
 *
 * - Identity protection and conditional access (conditional access policies, named locations):
 *   1 request per second per tenant for all apps; 429 WITHOUT Retry-After (documented).
 * - Intune device configuration: per app per tenant 1,000 requests and 100 writes
 *   (POST/PUT/PATCH/DELETE) per 20 s; per tenant for all apps 2,000 requests and 200 writes per 20 s.
 * - Identity and access (directory): per app+tenant 3,500 requests per 10 s (small tenant) and
 *   3,000 writes per 150 s, with Retry-After; configurable.
 */
import type { ThrottleBucket } from '../../src/resources/definition.js';

export interface Limit {
  requests: number;
  perMs: number;
}

export interface ThrottlingConfig {
  conditionalAccess: false | Limit;
  intune: false | { perApp: Limit; perAppWrites: Limit; perTenant: Limit; perTenantWrites: Limit };
  directory: false | (Limit & { writes?: Limit; retryAfterSeconds?: number });
}

export const DOCUMENTED_LIMITS: ThrottlingConfig = {
  conditionalAccess: { requests: 1, perMs: 1_000 },
  intune: {
    perApp: { requests: 1_000, perMs: 20_000 },
    perAppWrites: { requests: 100, perMs: 20_000 },
    perTenant: { requests: 2_000, perMs: 20_000 },
    perTenantWrites: { requests: 200, perMs: 20_000 },
  },
  directory: { requests: 3_500, perMs: 10_000, writes: { requests: 3_000, perMs: 150_000 } },
};

export const NO_LIMITS: ThrottlingConfig = { conditionalAccess: false, intune: false, directory: false };

class Window {
  private times: number[] = [];
  private head = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}
  /** ms until a slot frees, 0 when one is free now */
  waitMs(now: number): number {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    const count = this.times.length - this.head;
    if (count < this.limit) return 0;
    const oldest = this.times[this.times.length - this.limit] as number;
    return Math.max(1, oldest + this.windowMs - now);
  }
  record(now: number): void {
    this.times.push(now);
  }
}

export interface ThrottleDecision {
  /** real milliseconds until the request would be accepted */
  waitMs: number;
  /** whether the 429 carries Retry-After (conditional access does not) */
  retryAfter: boolean;
  /** fixed Retry-After seconds (directory option), real seconds before scaling */
  retryAfterSeconds?: number;
  scope: string;
}

export class Throttler {
  private windows = new Map<string, Window>();

  constructor(
    private config: ThrottlingConfig,
    private timeScale: number,
  ) {}

  configure(config: ThrottlingConfig, timeScale: number): void {
    const changed = JSON.stringify(config) !== JSON.stringify(this.config) || timeScale !== this.timeScale;
    this.config = config;
    this.timeScale = timeScale;
    if (changed) this.windows.clear();
  }

  reset(): void {
    this.windows.clear();
  }

  private window(key: string, limit: Limit): Window {
    let w = this.windows.get(key);
    if (!w) {
      w = new Window(limit.requests, limit.perMs / this.timeScale);
      this.windows.set(key, w);
    }
    return w;
  }

  /**
   * Checks and (when accepted) records one logical request. Returns undefined when accepted, the
   * decision when throttled. Throttled requests do not consume the budget.
   */
  check(bucket: ThrottleBucket, appId: string, isWrite: boolean, now = performance.now()): ThrottleDecision | undefined {
    const checks: { key: string; limit: Limit; scope: string }[] = [];
    let retryAfter = true;
    let retryAfterSeconds: number | undefined;
    switch (bucket) {
      case 'conditionalAccess': {
        const c = this.config.conditionalAccess;
        if (c) checks.push({ key: 'ca:tenant', limit: c, scope: 'Tenant/ReadWrite' });
        retryAfter = false;
        break;
      }
      case 'intune': {
        const c = this.config.intune;
        if (c) {
          checks.push({ key: `intune:app:${appId}`, limit: c.perApp, scope: 'Tenant_Application/ReadWrite' });
          checks.push({ key: 'intune:tenant', limit: c.perTenant, scope: 'Tenant/ReadWrite' });
          if (isWrite) {
            checks.push({ key: `intune:app-writes:${appId}`, limit: c.perAppWrites, scope: 'Tenant_Application/Write' });
            checks.push({ key: 'intune:tenant-writes', limit: c.perTenantWrites, scope: 'Tenant/Write' });
          }
        }
        break;
      }
      case 'directory': {
        const c = this.config.directory;
        if (c) {
          checks.push({ key: `dir:app:${appId}`, limit: c, scope: 'Tenant_Application/ReadWrite' });
          if (isWrite && c.writes) checks.push({ key: `dir:app-writes:${appId}`, limit: c.writes, scope: 'Tenant_Application/Write' });
          retryAfterSeconds = c.retryAfterSeconds;
        }
        break;
      }
      default:
        break;
    }
    let worst: { waitMs: number; scope: string } | undefined;
    for (const check of checks) {
      const wait = this.window(check.key, check.limit).waitMs(now);
      if (wait > 0 && (!worst || wait > worst.waitMs)) worst = { waitMs: wait, scope: check.scope };
    }
    if (worst) return { waitMs: worst.waitMs, retryAfter, retryAfterSeconds, scope: worst.scope };
    for (const check of checks) this.window(check.key, check.limit).record(now);
    return undefined;
  }
}

/**
 * Retry-After header value for a real wait. 'integer': whole seconds (RFC 9110 delay-seconds),
 * at least 1. 'decimal': seconds with millisecond precision, as in Graph's documented sample
 * ("Retry-After: 2.128").
 */
export function formatRetryAfter(waitMs: number, mode: 'integer' | 'decimal'): string {
  if (mode === 'decimal') return Math.max(0.001, waitMs / 1000).toFixed(3);
  return String(Math.max(1, Math.ceil(waitMs / 1000)));
}
