import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type ClosableGraphClient, type GraphClientInternals } from '../../src/graph/client.js';
import { GraphError, type GraphClientOptions, type GraphEvent } from '../../src/graph/types.js';
import * as zlib from 'node:zlib';
import { fastClock, graphError, json, startServer, type Handler, type TestServer } from './server.js';

const TOKEN = 'secret-token-value';
const servers: TestServer[] = [];
const clients: ClosableGraphClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const server = await startServer(handler);
  servers.push(server);
  return server;
}

function connect(
  server: TestServer,
  options: Partial<GraphClientOptions> = {},
  internals: GraphClientInternals = {},
): { client: ClosableGraphClient; events: GraphEvent[] } {
  const events: GraphEvent[] = [];
  const client = createGraphClient(
    { endpoint: server.url, token: async () => TOKEN, maxRetries: 3, timeoutMs: 5_000, onEvent: (e) => events.push(e), ...options },
    // Virtual time 1000x faster: Retry-After and backoff waits take real microseconds.
    { clock: fastClock(1000), random: () => 0.5, ...internals },
  );
  clients.push(client);
  return { client, events };
}

const retries = (events: GraphEvent[]) => events.filter((e) => e.kind === 'retry');

describe('paging', () => {
  it('follows @odata.nextLink across 5 pages, in order', async () => {
    const server = await serve((req, res) => {
      const page = Number(new URL(req.path, 'http://x').searchParams.get('page') ?? '1');
      const value = [1, 2, 3].map((i) => ({ id: `p${page}-${i}` }));
      const next = page < 5 ? { '@odata.nextLink': `${server.url}/v1.0/things?page=${page + 1}&$skiptoken=abc` } : {};
      json(res, 200, { value, ...next });
    });
    const { client } = connect(server);
    const result = await client.list<{ id: string }>('/v1.0/things');
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    expect(result.value.map((v) => v.id)).toEqual([1, 2, 3, 4, 5].flatMap((p) => [1, 2, 3].map((i) => `p${p}-${i}`)));
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1.0/things',
      ...[2, 3, 4, 5].map((p) => `/v1.0/things?page=${p}&$skiptoken=abc`),
    ]);
    expect(client.stats.requests).toBe(5);
    expect(client.stats.graphRequests).toBe(5);
  });

  it('reports the whole list as failed when page 3 fails, never a partial list', async () => {
    const server = await serve((req, res) => {
      const page = Number(new URL(req.path, 'http://x').searchParams.get('page') ?? '1');
      if (page === 3) return json(res, 403, graphError('Authorization_RequestDenied', 'Insufficient privileges'));
      json(res, 200, { value: [{ id: String(page) }], '@odata.nextLink': `${server.url}/v1.0/things?page=${page + 1}` });
    });
    const { client } = connect(server);
    const result = await client.list('/v1.0/things');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.status).toBe(403);
    expect(result.error.message).toMatch(/Page 3/);
    expect(server.requests).toHaveLength(3);
    expect(client.stats.failures).toBe(1);
  });

  it('refuses a nextLink to another host (the token stays with Graph)', async () => {
    const server = await serve((_req, res) => json(res, 200, { value: [{ id: 1 }], '@odata.nextLink': 'https://evil.example.com/v1.0/things?page=2' }));
    const { client } = connect(server);
    const result = await client.list('/v1.0/things');
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error.code).toBe('InvalidUrl');
    expect(server.requests).toHaveLength(1);
  });

  it('fails a page that is not a collection', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'x' }));
    const { client } = connect(server);
    const result = await client.list('/v1.0/things');
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error.code).toBe('UnexpectedResponse');
  });
});

describe('retries', () => {
  it('honours Retry-After on 429 and pauses before the retry', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 429, graphError('TooManyRequests', 'Please retry again later.'), { 'retry-after': '2' });
      json(res, 200, { id: 'x' });
    });
    const speedup = 100; // Retry-After: 2 lasts 20 real ms
    const { client, events } = connect(server, {}, { clock: fastClock(speedup) });
    const result = await client.get('/v1.0/things/x');
    expect(result).toEqual({ status: 'found', value: { id: 'x' } });
    expect(retries(events)).toEqual([
      { kind: 'retry', method: 'GET', url: '/v1.0/things/x', status: 429, code: 'TooManyRequests', waitMs: 2000, attempt: 1 },
    ]);
    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    // The retry came after the Retry-After (in virtual time: 2000 ms = 20 real ms; 1 ms timer slack)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000 / speedup - 1);
    expect(client.stats).toMatchObject({ requests: 2, retries: 1, throttled: 1, failures: 0 });
  });

  it('reads Retry-After given as an HTTP date', async () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 429, graphError('TooManyRequests', 'later'), { 'retry-after': 'Wed, 01 May 2024 10:00:05 GMT' });
      json(res, 200, { id: 'x' });
    });
    const { client, events } = connect(server, {}, { wallNow: () => now });
    expect((await client.get('/v1.0/things/x')).status).toBe('found');
    expect(retries(events).map((e) => e.kind === 'retry' && e.waitMs)).toEqual([5000]);
  });

  it('backs off exponentially with full jitter on 429 without Retry-After', async () => {
    const server = await serve((req, res) => {
      if (req.seq < 3) return json(res, 429, graphError('TooManyRequests', 'later'));
      json(res, 200, { id: 'x' });
    });
    // random 0.5, base 1000: retry n waits 0.5 * min(cap, 1000 * 2^n)
    const { client, events } = connect(server, { maxRetries: 5, maxBackoffMs: 3000 });
    expect((await client.get('/v1.0/things/x')).status).toBe('found');
    expect(retries(events).map((e) => e.kind === 'retry' && e.waitMs)).toEqual([500, 1000, 1500]);
    expect(server.requests).toHaveLength(4);
    expect(client.stats.throttled).toBe(3);
  });

  it('retries 503 and then succeeds', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 503, graphError('ServiceUnavailable', 'busy'));
      json(res, 200, { id: 'x' });
    });
    const { client, events } = connect(server);
    expect(await client.get('/v1.0/things/x')).toEqual({ status: 'found', value: { id: 'x' } });
    expect(server.requests).toHaveLength(2);
    expect(retries(events)[0]).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
  });

  it('gives up after maxRetries and says how many attempts were made', async () => {
    const server = await serve((_req, res) => json(res, 504, graphError('GatewayTimeout', 'gateway'), { 'request-id': 'rid-9' }));
    const { client } = connect(server, { maxRetries: 2 });
    const result = await client.get('/v1.0/things/x');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(server.requests).toHaveLength(3);
    expect(result.error).toMatchObject({ status: 504, code: 'GatewayTimeout', attempts: 3, method: 'GET', url: '/v1.0/things/x' });
    expect(result.error.message).toMatch(/3 attempts/);
    expect(client.stats.failures).toBe(1);
  });

  it('retries a connection dropped in the middle of the response', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"value": [{"id": "par');
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
      json(res, 200, { id: 'x' });
    });
    const { client, events } = connect(server);
    expect(await client.get('/v1.0/things/x')).toEqual({ status: 'found', value: { id: 'x' } });
    expect(server.requests).toHaveLength(2);
    expect(retries(events)[0]).toMatchObject({ code: 'ECONNRESET' });
    expect(client.stats.bytesReceived).toBeGreaterThan(0);
  });

  it('retries a socket closed before any answer (socket hang up)', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return void res.socket?.destroy();
      json(res, 200, { id: 'x' });
    });
    const { client } = connect(server);
    expect((await client.get('/v1.0/things/x')).status).toBe('found');
    expect(server.requests).toHaveLength(2);
  });

  it('times out an attempt that gets no answer, aborts its socket and retries', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return; // never answers
      json(res, 200, { id: 'x' });
    });
    const { client, events } = connect(server, { timeoutMs: 100 });
    expect((await client.get('/v1.0/things/x')).status).toBe('found');
    expect(server.requests).toHaveLength(2);
    expect(retries(events)[0]).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('fails with ETIMEDOUT when every attempt times out', async () => {
    const server = await serve(() => undefined);
    const { client } = connect(server, { timeoutMs: 50, maxRetries: 1 });
    const result = await client.get('/v1.0/things/x');
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error).toMatchObject({ code: 'ETIMEDOUT', attempts: 2 });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a POST on 503: it may have been applied', async () => {
    const server = await serve((_req, res) => json(res, 503, graphError('ServiceUnavailable', 'busy')));
    const { client } = connect(server);
    const error = await client.request({ method: 'POST', url: '/v1.0/things', body: { displayName: 'a' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ status: 503, method: 'POST', url: '/v1.0/things', attempts: 1 });
    expect((error as GraphError).message).toMatch(/not retried because Graph may already have applied it/);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body).toEqual({ displayName: 'a' });
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('lists every attempt of a write with the client-request-id it carried and its answer (null when none came)', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 503, graphError('ServiceUnavailable', 'busy'), { 'request-id': 'r-503' });
      if (req.seq === 1) return void res.socket?.destroy();
      json(res, 200, { id: 'x' }, { 'request-id': 'r-200' });
    });
    const { client } = connect(server);
    const response = await client.request({ method: 'PATCH', url: '/v1.0/things/x', body: { a: 1 } });
    const sent = server.requests.map((r) => r.headers['client-request-id']);
    expect(new Set(sent).size).toBe(3);
    expect(response.tries).toEqual([
      { clientRequestId: sent[0], status: 503, requestId: 'r-503' },
      { clientRequestId: sent[1], status: null, requestId: null },
      { clientRequestId: sent[2], status: 200, requestId: 'r-200' },
    ]);
    expect(response.attempts).toBe(3);

    const lost = await serve((_req, res) => void res.socket?.destroy());
    const error = (await connect(lost).client.request({ method: 'POST', url: '/v1.0/things', body: {} }).catch((e: unknown) => e)) as GraphError;
    expect(error.tries).toEqual([{ clientRequestId: lost.requests[0]!.headers['client-request-id'], status: null, requestId: null }]);
  });

  it('a request stopped by its own signal while it waits for its turn is never sent', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const { client } = connect(server, { rateLimits: { default: { requests: 1, perMs: 60_000 } } });
    await client.request({ method: 'PATCH', url: '/v1.0/things/a', body: {} });
    const stop = new AbortController();
    const second = client.request({ method: 'PATCH', url: '/v1.0/things/b', body: {}, signal: stop.signal }).catch((e: unknown) => e);
    stop.abort();
    expect(await second).toMatchObject({ code: 'Aborted', attempts: 0 });
    expect(((await second) as GraphError).tries ?? []).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1.0/things/a']);
  });

  it('does not retry a POST after a dropped connection', async () => {
    const server = await serve((_req, res) => void res.socket?.destroy());
    const { client } = connect(server);
    const error = await client.request({ method: 'POST', url: '/v1.0/things', body: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET', attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a POST on 429: Graph did not process it', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 429, graphError('TooManyRequests', 'later'), { 'retry-after': '1' });
      json(res, 201, { id: 'new' });
    });
    const { client } = connect(server);
    const response = await client.request({ method: 'POST', url: '/v1.0/things', body: { displayName: 'a' } });
    expect(response).toMatchObject({ status: 201, body: { id: 'new' } });
    expect(server.requests).toHaveLength(2);
  });

  it('retries PATCH like a GET (idempotent)', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 503, graphError('ServiceUnavailable', 'busy'));
      res.writeHead(204).end();
    });
    const { client } = connect(server);
    const response = await client.request({ method: 'PATCH', url: '/v1.0/things/1', body: { displayName: 'b' } });
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry 400', async () => {
    const server = await serve((_req, res) => json(res, 400, graphError('BadRequest', 'Invalid filter clause')));
    const { client } = connect(server);
    const result = await client.get('/v1.0/things?$filter=x');
    expect(result.status).toBe('failed');
    expect(server.requests).toHaveLength(1);
  });
});

describe('read outcomes', () => {
  it('404 is absent', async () => {
    const server = await serve((_req, res) => json(res, 404, graphError('ResourceNotFound', 'not found')));
    const { client } = connect(server);
    expect(await client.get('/v1.0/things/gone')).toEqual({ status: 'absent' });
    expect(server.requests).toHaveLength(1);
    expect(client.stats.failures).toBe(0);
  });

  it('403 is failed (not absent), not retried, and says what to do', async () => {
    const server = await serve((_req, res) =>
      json(res, 403, graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', 'abc-123')),
    );
    const { client } = connect(server);
    const result = await client.get('/v1.0/identity/conditionalAccess/policies');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error).toBeInstanceOf(GraphError);
    expect(result.error.isPermission).toBe(true);
    expect(result.error).toMatchObject({ status: 403, code: 'Authorization_RequestDenied', requestId: 'abc-123', attempts: 1 });
    expect(result.error.message).toContain('GET /v1.0/identity/conditionalAccess/policies');
    expect(result.error.message).toContain('Insufficient privileges');
    expect(result.error.message).toContain('abc-123');
    expect(result.error.message).toMatch(/permission.*admin consent/);
    expect(server.requests).toHaveLength(1);
  });

  it('request() rejects with a GraphError on a 404', async () => {
    const server = await serve((_req, res) => json(res, 404, graphError('ResourceNotFound', 'not found')));
    const { client } = connect(server);
    await expect(client.request({ method: 'DELETE', url: '/v1.0/things/1' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('authentication', () => {
  it('refreshes the token once after a 401 and retries', async () => {
    let current = 'expired-token';
    const calls: Array<{ forceRefresh?: boolean } | undefined> = [];
    const server = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer fresh-token') return json(res, 401, graphError('InvalidAuthenticationToken', 'Access token has expired.'));
      json(res, 200, { id: 'x' });
    });
    const { client, events } = connect(server, {
      token: async (options) => {
        calls.push(options);
        if (options?.forceRefresh) current = 'fresh-token';
        return current;
      },
    });
    expect(await client.get('/v1.0/things/x')).toEqual({ status: 'found', value: { id: 'x' } });
    expect(calls.filter((c) => c?.forceRefresh)).toHaveLength(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer expired-token', 'Bearer fresh-token']);
    expect(JSON.stringify(events)).not.toContain('token"');
    expect(JSON.stringify(events)).not.toContain('expired-token');
  });

  it('fails after one refresh when the token is still refused, and keeps the token out of the error', async () => {
    let refreshes = 0;
    const server = await serve((_req, res) => json(res, 401, graphError('InvalidAuthenticationToken', 'Access token validation failure.')));
    const { client, events } = connect(server, {
      token: async (options) => {
        if (options?.forceRefresh) refreshes++;
        return TOKEN;
      },
    });
    const result = await client.get('/v1.0/things/x');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(refreshes).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(result.error.status).toBe(401);
    expect(result.error.message).not.toContain(TOKEN);
    expect(JSON.stringify(result.error)).not.toContain(TOKEN);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  it('shares one forced refresh between concurrent 401s', async () => {
    let refreshes = 0;
    let current = 'old';
    const server = await serve((req, res) => {
      if (req.headers.authorization === 'Bearer old') return setTimeout(() => json(res, 401, graphError('InvalidAuthenticationToken', 'expired')), 10);
      json(res, 200, { id: 'x' });
    });
    const { client } = connect(server, {
      concurrency: 4,
      token: async (options) => {
        if (options?.forceRefresh) {
          refreshes++;
          await new Promise((r) => setTimeout(r, 5));
          current = 'new';
        }
        return current;
      },
    });
    const results = await Promise.all([1, 2, 3, 4].map((i) => client.get(`/v1.0/things/${i}`)));
    expect(results.every((r) => r.status === 'found')).toBe(true);
    expect(refreshes).toBe(1);
  });

  it('turns a token provider failure into a failed read', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const { client } = connect(server, {
      token: async () => {
        throw new Error('AADSTS7000215: Invalid client secret provided.');
      },
    });
    const result = await client.get('/v1.0/things/x');
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error.code).toBe('TokenUnavailable');
    expect(server.requests).toHaveLength(0);
  });
});

describe('transport', () => {
  it('sends the headers Graph expects and accepts gzip', async () => {
    const payload = { value: Array.from({ length: 200 }, (_, i) => ({ id: `object-${i}`, displayName: 'a fairly repetitive name' })) };
    const server = await serve((_req, res) => {
      const body = zlib.gzipSync(JSON.stringify(payload));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
      res.end(body);
    });
    const { client } = connect(server, { userAgent: 'tenant-sync-test' });
    const result = await client.list('/v1.0/things');
    expect(result).toEqual({ status: 'found', value: payload.value });
    const headers = server.requests[0]!.headers;
    expect(headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'accept-encoding': 'gzip', 'user-agent': 'tenant-sync-test', accept: 'application/json' });
    expect(headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const wire = zlib.gzipSync(JSON.stringify(payload)).length;
    expect(client.stats.bytesReceived).toBe(wire);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = await serve((req, res) => setTimeout(() => json(res, 200, { id: req.path }), 5 + (req.seq % 4) * 3));
    const { client } = connect(server, { concurrency: 3 });
    const urls = Array.from({ length: 30 }, (_, i) => `/v1.0/things/${i}`);
    const results = await Promise.all(urls.map((u) => client.get(u)));
    expect(results.every((r) => r.status === 'found')).toBe(true);
    expect(server.requests).toHaveLength(30);
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    expect(server.maxInFlight).toBe(3);
  });

  it('gives a free connection to the scarcest budget first: conditional access, then Intune, then unpaced reads', async () => {
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    const server = await serve(async (req, res) => {
      if (req.path.endsWith('/hold')) await held;
      json(res, 200, { id: req.path });
    });
    const { client } = connect(server, {
      concurrency: 1,
      rateLimits: { conditionalAccess: { requests: 10, perMs: 1_000 }, intune: { requests: 1_000, perMs: 20_000 } },
    });
    const hold = client.get('/v1.0/hold');
    await new Promise((r) => setTimeout(r, 20));
    // Asked for in the opposite order to the one they are served in
    const waiting = [
      client.get('/v1.0/groups/g1', 'directory'),
      client.get('/beta/deviceManagement/deviceConfigurations/d1', 'intune'),
      client.get('/v1.0/groups/g2', 'directory'),
      client.get('/v1.0/identity/conditionalAccess/policies/p1', 'conditionalAccess'),
    ];
    await new Promise((r) => setTimeout(r, 20));
    open();
    await Promise.all([hold, ...waiting]);
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1.0/hold',
      '/v1.0/identity/conditionalAccess/policies/p1',
      '/beta/deviceManagement/deviceConfigurations/d1',
      '/v1.0/groups/g1',
      '/v1.0/groups/g2',
    ]);
  });

  it('supports an endpoint with a path prefix', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'x' }));
    const { client } = connect(server, { endpoint: `${server.url}/graph/` });
    expect((await client.get('/v1.0/things/x')).status).toBe('found');
    expect(server.requests[0]!.path).toBe('/graph/v1.0/things/x');
  });
});

describe('abort', () => {
  it('aborts a request in flight', async () => {
    const controller = new AbortController();
    const server = await serve(() => {
      controller.abort();
    });
    const { client } = connect(server, { signal: controller.signal });
    const result = await client.get('/v1.0/things/x');
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error.code).toBe('Aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a Retry-After wait, and everything after it', async () => {
    const controller = new AbortController();
    const server = await serve((_req, res) => json(res, 429, graphError('TooManyRequests', 'later'), { 'retry-after': '3600' }));
    const { client } = connect(
      server,
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'retry') controller.abort();
        },
      },
      { clock: fastClock(1) }, // real time: an hour unless the abort ends the wait
    );
    const [one, many] = await Promise.all([client.get('/v1.0/things/x'), client.getMany(['/v1.0/a', '/v1.0/b'])]);
    expect(one.status).toBe('failed');
    if (one.status === 'failed') expect(one.error.code).toBe('Aborted');
    expect(many.map((r) => r.status === 'failed' && r.error.code)).toEqual(['Aborted', 'Aborted']);
    const later = await client.request({ method: 'GET', url: '/v1.0/things/y' }).catch((e: unknown) => e);
    expect(later).toMatchObject({ code: 'Aborted' });
  });
});
