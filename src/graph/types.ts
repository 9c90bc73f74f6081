import type { ThrottleBucket } from '../resources/definition.js';

/**
 * Every read has three outcomes. A failed read is never an empty result: callers that treat
 * "failed" as "absent" end up proposing to delete what they could not read.
 */
export type ReadOutcome<T> =
  | { status: 'found'; value: T }
  | { status: 'absent' }
  | { status: 'failed'; error: GraphError };

export interface GraphErrorDetails {
  /** HTTP status, absent for network faults and timeouts */
  status?: number;
  /** Graph's error.code (Authorization_RequestDenied, ...) or a network code (ECONNRESET, ETIMEDOUT) */
  code: string;
  /** Method and path (never the query's secrets; Graph URLs carry none) */
  method: string;
  url: string;
  /** Graph's request-id / client-request-id of the last attempt */
  requestId?: string;
  attempts: number;
  /** Every attempt sent, in order (set for requests sent alone, not for $batch items) */
  tries?: readonly Attempt[];
}

/**
 * One attempt of a request as it went out: the client-request-id it carried (Graph logs it, so an
 * attempt whose answer was lost can still be found) and its answer, null when none came.
 */
export interface Attempt {
  clientRequestId: string;
  status: number | null;
  /** Graph's request-id, when an answer came */
  requestId: string | null;
}

export class GraphError extends Error implements GraphErrorDetails {
  readonly status?: number;
  readonly code: string;
  readonly method: string;
  readonly url: string;
  readonly requestId?: string;
  readonly attempts: number;
  readonly tries?: readonly Attempt[];

  constructor(message: string, details: GraphErrorDetails) {
    super(message);
    this.name = 'GraphError';
    this.status = details.status;
    this.code = details.code;
    this.method = details.method;
    this.url = details.url;
    this.requestId = details.requestId;
    this.attempts = details.attempts;
    this.tries = details.tries;
  }

  /** 401/403: retrying will not help, a permission or consent is missing */
  get isPermission(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface GraphRequest {
  method: HttpMethod;
  /** Relative to the endpoint ('/v1.0/identity/conditionalAccess/policies?$top=100') or an absolute @odata.nextLink */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Throttling budget the request draws on (documented per type) */
  bucket?: ThrottleBucket;
  /** Stops the request before it goes out (never an attempt already sent) */
  signal?: AbortSignal;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  requestId?: string;
  /** Requests sent for it (retries after a lost answer, a 429 or a 5xx included); set by the client */
  attempts?: number;
  /** Each of those requests, in order; the last is the answer above */
  tries?: readonly Attempt[];
}

export interface TokenProvider {
  /** An access token for Graph; forceRefresh after a 401 for an expired token */
  (options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface GraphStats {
  /** HTTP requests sent, a $batch counting as one */
  requests: number;
  /** Requests inside $batch envelopes */
  batchedItems: number;
  /** Logical requests Graph saw: plain requests plus batched items (what throttling counts) */
  graphRequests: number;
  retries: number;
  /** 429 answers, per request or per batch item */
  throttled: number;
  /** Requests that failed after retries */
  failures: number;
  bytesReceived: number;
}

export interface GraphClientOptions {
  /** Graph root, e.g. https://graph.microsoft.com (no version) */
  endpoint: string;
  token: TokenProvider;
  /** Requests in flight at once (default 8) */
  concurrency?: number;
  /** Retries of one request after 429/503/504/network faults (default 8) */
  maxRetries?: number;
  /** Time allowed for one attempt (default 60 s) */
  timeoutMs?: number;
  /** Cap on one backoff wait (default 60 s) */
  maxBackoffMs?: number;
  /** Pace each bucket to Graph's documented limit instead of discovering it through 429s */
  rateLimits?: Partial<Record<ThrottleBucket, { requests: number; perMs: number }>>;
  /**
   * Pace each bucket's writes (POST, PATCH, PUT, DELETE; not $batch envelopes of GETs) to Graph's
   * documented write limit, e.g. Intune 100 writes per 20 s; writes count against rateLimits too
   */
  writeRateLimits?: Partial<Record<ThrottleBucket, { requests: number; perMs: number }>>;
  userAgent?: string;
  signal?: AbortSignal;
  /** Progress and retry notices; never carries a token */
  onEvent?: (event: GraphEvent) => void;
}

export type GraphEvent =
  | { kind: 'retry'; method: string; url: string; status?: number; code: string; waitMs: number; attempt: number }
  | { kind: 'response'; method: string; url: string; status: number; ms: number };

/** What a page's handler answers: 'stop' ends a paged read after this page */
export type PageHandled = void | 'stop';

export interface GraphClient {
  /** One request with retries (429 Retry-After, 503/504, network faults, 401 token refresh) */
  request(req: GraphRequest): Promise<GraphResponse>;
  /** GET one resource: found, absent (404) or failed */
  get<T = unknown>(url: string, bucket?: ThrottleBucket): Promise<ReadOutcome<T>>;
  /** GET a collection and follow @odata.nextLink to the end; any failed page fails the whole read */
  list<T = unknown>(url: string, bucket?: ThrottleBucket): Promise<ReadOutcome<T[]>>;
  /**
   * The same read, each page handed to `onPage` as it comes; the next page is asked for once
   * `onPage` is done with this one, and not at all when it answers 'stop'
   */
  listPages<T = unknown>(url: string, onPage: (items: T[], page: number) => PageHandled | Promise<PageHandled>, bucket?: ThrottleBucket): Promise<ReadOutcome<void>>;
  /** Many GETs through $batch (20 per envelope), each item retried on its own; results in input order */
  getMany<T = unknown>(urls: string[], bucket?: ThrottleBucket): Promise<ReadOutcome<T>[]>;
  /** Many paged collections through $batch; next pages are batched too; results in input order */
  listMany<T = unknown>(urls: string[], bucket?: ThrottleBucket): Promise<ReadOutcome<T[]>[]>;
  readonly stats: GraphStats;
}
