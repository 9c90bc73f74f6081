import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/graph/backoff.js';
import { buildEnvelope, chunk, envelopeSize, parseEnvelopeResponse } from '../../src/graph/batch.js';
import { httpError, parseErrorBody } from '../../src/graph/errors.js';
import { readPage } from '../../src/graph/paging.js';
import { decideRetry, isSafeToRepeat, type RetryPolicy } from '../../src/graph/retry.js';
import { GraphUrlError, parseEndpoint, resolveGraphUrl } from '../../src/graph/url.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('10', now)).toBe(10_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });
  it('reads an HTTP date, a past date meaning now', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('backoffDelay (full jitter)', () => {
  it('is uniform in [0, min(cap, base * 2^retry))', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, 1000, 60_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(100, 1000, 60_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(0);
  });
});

describe('decideRetry', () => {
  const policy: RetryPolicy = { maxRetries: 2, baseBackoffMs: 1000, maxBackoffMs: 10_000 };
  const random = () => 0.5;
  const get = { safeToRepeat: true, retries: 0, canRefreshToken: true };
  const post = { ...get, safeToRepeat: false };

  it('honours Retry-After on 429, for any method', () => {
    expect(decideRetry({ kind: 'status', status: 429, retryAfterMs: 7000 }, post, policy, random)).toEqual({
      retry: true,
      waitMs: 7000,
      refreshToken: false,
      throttled: true,
    });
  });
  it('backs off on 429 without Retry-After, 503, 504 and faults', () => {
    expect(decideRetry({ kind: 'status', status: 429 }, { ...get, retries: 1 }, policy, random)).toMatchObject({ retry: true, waitMs: 1000 });
    expect(decideRetry({ kind: 'status', status: 503 }, get, policy, random)).toMatchObject({ retry: true, waitMs: 500, throttled: false });
    expect(decideRetry({ kind: 'status', status: 504 }, get, policy, random)).toMatchObject({ retry: true });
    expect(decideRetry({ kind: 'fault', code: 'ECONNRESET' }, get, policy, random)).toMatchObject({ retry: true });
    expect(decideRetry({ kind: 'fault', code: 'ETIMEDOUT' }, get, policy, random)).toMatchObject({ retry: true });
  });
  it('uses Retry-After on a 503 when Graph sends one', () => {
    expect(decideRetry({ kind: 'status', status: 503, retryAfterMs: 3000 }, get, policy, random)).toMatchObject({ waitMs: 3000 });
  });
  it('stops after maxRetries', () => {
    expect(decideRetry({ kind: 'status', status: 503 }, { ...get, retries: 2 }, policy, random)).toEqual({ retry: false, reason: 'exhausted' });
  });
  it('never repeats a POST that may have been applied', () => {
    expect(decideRetry({ kind: 'status', status: 503 }, post, policy, random)).toEqual({ retry: false, reason: 'unsafe' });
    expect(decideRetry({ kind: 'fault', code: 'ECONNRESET' }, post, policy, random)).toEqual({ retry: false, reason: 'unsafe' });
    expect(decideRetry({ kind: 'fault', code: 'ECONNREFUSED' }, post, policy, random)).toMatchObject({ retry: true });
  });
  it('refreshes the token once on 401', () => {
    expect(decideRetry({ kind: 'status', status: 401 }, get, policy, random)).toEqual({ retry: true, waitMs: 0, refreshToken: true, throttled: false });
    expect(decideRetry({ kind: 'status', status: 401 }, { ...get, canRefreshToken: false }, policy, random)).toEqual({ retry: false, reason: 'final' });
  });
  it('does not retry other 4xx or 500', () => {
    for (const status of [400, 403, 404, 409, 412, 500]) {
      expect(decideRetry({ kind: 'status', status }, get, policy, random)).toEqual({ retry: false, reason: 'final' });
    }
    expect(decideRetry({ kind: 'status', status: 408 }, get, policy, random)).toMatchObject({ retry: true });
  });
});

describe('isSafeToRepeat', () => {
  it('treats POST as unsafe except a $batch of GETs', () => {
    expect(isSafeToRepeat('GET', '/users', undefined)).toBe(true);
    expect(isSafeToRepeat('PATCH', '/users/1', {})).toBe(true);
    expect(isSafeToRepeat('POST', '/users', {})).toBe(false);
    expect(isSafeToRepeat('POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: '/me' }] })).toBe(true);
    expect(isSafeToRepeat('POST', '/$batch', { requests: [{ id: '1', method: 'POST', url: '/groups' }] })).toBe(false);
  });
});

describe('resolveGraphUrl', () => {
  const endpoint = parseEndpoint('https://graph.microsoft.com');
  it('splits version and version-relative path', () => {
    expect(resolveGraphUrl(endpoint, '/v1.0/identity/conditionalAccess/policies?$top=100')).toMatchObject({
      version: 'v1.0',
      relative: '/identity/conditionalAccess/policies?$top=100',
      display: '/v1.0/identity/conditionalAccess/policies?$top=100',
    });
    expect(resolveGraphUrl(endpoint, 'beta/deviceManagement/deviceConfigurations').relative).toBe('/deviceManagement/deviceConfigurations');
  });
  it('turns an absolute nextLink into a relative batch URL', () => {
    const t = resolveGraphUrl(endpoint, 'https://graph.microsoft.com/beta/users?$skiptoken=X%27Y');
    expect(t).toMatchObject({ version: 'beta', relative: '/users?$skiptoken=X%27Y' });
  });
  it('handles an endpoint with a path prefix', () => {
    const prefixed = parseEndpoint('http://127.0.0.1:8080/graph/');
    expect(resolveGraphUrl(prefixed, '/v1.0/users')).toMatchObject({ version: 'v1.0', relative: '/users', display: '/graph/v1.0/users' });
    expect(resolveGraphUrl(prefixed, 'http://127.0.0.1:8080/graph/beta/users?page=2').relative).toBe('/users?page=2');
  });
  it('refuses other hosts and URLs without a version', () => {
    expect(() => resolveGraphUrl(endpoint, 'https://graph.microsoft.com.evil.example/v1.0/users')).toThrow(GraphUrlError);
    expect(() => resolveGraphUrl(endpoint, 'http://graph.microsoft.com/v1.0/users')).toThrow(GraphUrlError);
    expect(() => resolveGraphUrl(endpoint, '/')).toThrow(GraphUrlError);
    expect(() => resolveGraphUrl(endpoint, '/$batch')).toThrow(GraphUrlError);
  });
});

describe('batch envelopes', () => {
  it('numbers requests and rejects more than 20', () => {
    expect(buildEnvelope(['/a', '/b'])).toEqual({
      requests: [
        { id: '1', method: 'GET', url: '/a' },
        { id: '2', method: 'GET', url: '/b' },
      ],
    });
    expect(() => buildEnvelope(Array(21).fill('/a'))).toThrow(RangeError);
  });
  it('maps responses by id, whatever their order, with lower-case headers', () => {
    const map = parseEnvelopeResponse({
      responses: [
        { id: '2', status: 429, headers: { 'Retry-After': '5' }, body: {} },
        { id: '1', status: 200, body: { id: 'a' } },
        { id: 3, status: 404 },
        { status: 200 },
      ],
    });
    expect(map?.get('1')).toEqual({ id: '1', status: 200, headers: {}, body: { id: 'a' } });
    expect(map?.get('2')?.headers).toEqual({ 'retry-after': '5' });
    expect(map?.get('3')?.status).toBe(404);
    expect(map?.size).toBe(3);
    expect(parseEnvelopeResponse({ value: [] })).toBeUndefined();
  });
  it('chunks and sizes envelopes to a paced bucket', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(envelopeSize(Infinity)).toBe(20);
    expect(envelopeSize(1)).toBe(1);
    expect(envelopeSize(1000)).toBe(20);
  });
});

describe('paging and errors', () => {
  it('reads a page', () => {
    expect(readPage({ value: [1], '@odata.nextLink': 'https://x/v1.0/a?page=2' })).toEqual({ ok: true, items: [1], nextLink: 'https://x/v1.0/a?page=2' });
    expect(readPage({ value: [] })).toEqual({ ok: true, items: [] });
    expect(readPage({ id: 1 }).ok).toBe(false);
    expect(readPage(undefined).ok).toBe(false);
  });
  it("reads Graph's error body", () => {
    expect(parseErrorBody({ error: { code: 'Request_ResourceNotFound', message: 'gone', innerError: { 'request-id': 'r1' } } })).toEqual({
      code: 'Request_ResourceNotFound',
      message: 'gone',
      requestId: 'r1',
    });
    expect(parseErrorBody('<html>')).toEqual({});
  });
  it('builds a message naming method, path, code, request-id and what to do', () => {
    const error = httpError({
      method: 'GET',
      url: '/beta/deviceManagement/configurationPolicies',
      status: 403,
      body: { error: { code: 'Forbidden', message: 'Application is not authorized', innerError: { 'request-id': 'r2' } } },
      attempts: 1,
    });
    expect(error.message).toBe(
      'GET /beta/deviceManagement/configurationPolicies failed with 403 Forbidden: Application is not authorized (1 attempt, request-id r2). ' +
        'The request is not allowed: grant the application the Graph permission this configuration needs and give admin consent (a missing license or directory role also answers 403).',
    );
    expect(error).toMatchObject({ status: 403, code: 'Forbidden', requestId: 'r2', attempts: 1, isPermission: true });
  });
});
