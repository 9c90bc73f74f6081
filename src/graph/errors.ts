import { isCertificateFault } from './retry.js';
import { GraphError, type Attempt, type HttpMethod } from './types.js';

/**
 * GraphError messages: method and path, Graph's code and message, the request-id, how many attempts
 * were made, and what to do. Only Graph's answer and the request line go into a message, never a
 * header of the request (the Authorization header in particular).
 */

export interface GraphErrorBody {
  code?: string;
  message?: string;
  requestId?: string;
}

/** Graph's error body: { error: { code, message, innerError: { 'request-id', date } } } */
export function parseErrorBody(body: unknown): GraphErrorBody {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (!error) return {};
  const inner = isRecord(error.innerError) ? error.innerError : isRecord(error.innererror) ? error.innererror : undefined;
  const requestId = inner?.['request-id'] ?? inner?.['client-request-id'];
  return {
    code: typeof error.code === 'string' && error.code !== '' ? error.code : undefined,
    message: typeof error.message === 'string' && error.message !== '' ? error.message : undefined,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

export interface HttpFailure {
  method: HttpMethod | string;
  url: string;
  status: number;
  body: unknown;
  requestId?: string;
  attempts: number;
  /** The request was a POST that failed in a way that leaves open whether Graph applied it */
  notRetriedUnsafe?: boolean;
  tries?: readonly Attempt[];
}

export function httpError(f: HttpFailure): GraphError {
  const parsed = parseErrorBody(f.body);
  const requestId = parsed.requestId ?? f.requestId;
  const code = parsed.code ?? `HTTP${f.status}`;
  const graphSays = parsed.message ? `: ${parsed.message}` : '';
  const advice = f.notRetriedUnsafe ? notRetriedAdvice(f.method) : adviceFor(f.status, f.attempts);
  const message =
    `${f.method} ${f.url} failed with ${f.status} ${code}${graphSays}` +
    ` (${attemptsText(f.attempts)}${requestId ? `, request-id ${requestId}` : ''}). ${advice}`;
  return new GraphError(message, { status: f.status, code, method: f.method, url: f.url, requestId, attempts: f.attempts, tries: f.tries });
}

export interface FaultFailure {
  method: HttpMethod | string;
  url: string;
  /** ECONNRESET, ETIMEDOUT, ... */
  code: string;
  detail: string;
  attempts: number;
  notRetriedUnsafe?: boolean;
  requestId?: string;
  tries?: readonly Attempt[];
}

export function faultError(f: FaultFailure): GraphError {
  const advice = f.notRetriedUnsafe
    ? notRetriedAdvice(f.method)
    : isCertificateFault(f.code)
      ? "The Graph endpoint's TLS certificate is not trusted: if a proxy or test server re-signs traffic, add its CA certificate to NODE_EXTRA_CA_CERTS (TLS checks stay on)."
      : f.code === 'ETIMEDOUT'
      ? 'Graph did not answer in time; run the sync again later, or raise the timeout if large pages time out.'
      : 'Check the network path to the Graph endpoint (proxy, firewall, DNS, TLS certificates) and run the sync again.';
  const message =
    `${f.method} ${f.url} failed: ${f.detail} (${f.code}, ${attemptsText(f.attempts)}` +
    `${f.requestId ? `, client-request-id ${f.requestId}` : ''}). ${advice}`;
  return new GraphError(message, { code: f.code, method: f.method, url: f.url, requestId: f.requestId, attempts: f.attempts, tries: f.tries });
}

export function abortedError(method: string, url: string, attempts: number, tries?: readonly Attempt[]): GraphError {
  return new GraphError(`${method} ${url} was cancelled: the sync was aborted before Graph answered.`, {
    code: 'Aborted',
    method,
    url,
    attempts,
    tries,
  });
}

export function tokenError(method: string, url: string, attempts: number, cause: unknown, tries?: readonly Attempt[]): GraphError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const error = new GraphError(
    `${method} ${url} was not sent: no access token for Graph could be obtained (${reason}). Check the tenant's credentials and sign-in.`,
    { code: 'TokenUnavailable', method, url, attempts, tries },
  );
  (error as Error).cause = cause;
  return error;
}

export function invalidUrlError(method: string, url: string, reason: string): GraphError {
  return new GraphError(`${method} ${url} was not sent: ${reason}.`, { code: 'InvalidUrl', method, url, attempts: 0 });
}

export function unexpectedResponseError(method: string, url: string, what: string, requestId: string | undefined, attempts: number): GraphError {
  return new GraphError(
    `${method} ${url} returned an unexpected response: ${what}${requestId ? ` (request-id ${requestId})` : ''}. Report this with the request-id.`,
    { code: 'UnexpectedResponse', method, url, requestId, attempts },
  );
}

/** The same failure, with more context in front of the message (page 3 of a list, an item of a batch) */
export function withContext(error: GraphError, context: string, overrides: Partial<Pick<GraphError, 'method' | 'url'>> = {}): GraphError {
  const wrapped = new GraphError(`${context}: ${error.message}`, {
    status: error.status,
    code: error.code,
    method: overrides.method ?? error.method,
    url: overrides.url ?? error.url,
    requestId: error.requestId,
    attempts: error.attempts,
  });
  (wrapped as Error).cause = error;
  return wrapped;
}

function adviceFor(status: number, attempts: number): string {
  if (status === 400) return 'Graph rejected the request as invalid; check it against the Graph documentation of this resource.';
  if (status === 401) return 'The access token was rejected, also after a refresh: check the tenant id, the application credentials and that the token is issued for Microsoft Graph.';
  if (status === 403) {
    return 'The request is not allowed: grant the application the Graph permission this configuration needs and give admin consent (a missing license or directory role also answers 403).';
  }
  if (status === 404) return 'The resource does not exist or is not visible to the application.';
  if (status === 409 || status === 412) return 'The resource changed or conflicts with another; read it again before retrying.';
  if (status === 429) return `Graph kept throttling the request through ${attempts} attempts; run the sync again later or lower the concurrency.`;
  if (status >= 500) return `Graph did not answer successfully through ${attempts} attempts; run the sync again later.`;
  return 'Graph refused the request.';
}

function notRetriedAdvice(method: string): string {
  return `The ${method} was not retried because Graph may already have applied it; check the tenant before running again.`;
}

function attemptsText(attempts: number): string {
  return attempts === 1 ? '1 attempt' : `${attempts} attempts`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
