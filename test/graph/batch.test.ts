import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type ClosableGraphClient, type GraphClientInternals } from '../../src/graph/client.js';
import type { GraphClientOptions, GraphEvent } from '../../src/graph/types.js';
import { answerBatch, batchItems, fastClock, graphError, json, startServer, type Handler, type TestServer } from './server.js';

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

function connect(server: TestServer, options: Partial<GraphClientOptions> = {}, internals: GraphClientInternals = {}) {
  const events: GraphEvent[] = [];
  const client = createGraphClient(
    { endpoint: server.url, token: async () => 'token', maxRetries: 3, timeoutMs: 5_000, onEvent: (e) => events.push(e), ...options },
    { clock: fastClock(1000), random: () => 0.5, ...internals },
  );
  clients.push(client);
  return { client, events };
}

/** GET /things/{n} answers { id: n } */
const thing = (url: string) => ({ status: 200, body: { id: url.split('/').pop() } });

describe('$batch', () => {
  it('sends 45 GETs as 3 envelopes of at most 20, relative URLs and unique ids, results in input order', async () => {
    const server = await serve((req, res) => answerBatch(req, res, (item) => thing(item.url)));
    const { client } = connect(server);
    const urls = Array.from({ length: 45 }, (_, i) => `/v1.0/things/${i}`);
    const results = await client.getMany<{ id: string }>(urls);
    expect(results.map((r) => r.status === 'found' && r.value.id)).toEqual(urls.map((_, i) => String(i)));
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill('POST /v1.0/$batch'));
    const envelopes = server.requests.map(batchItems);
    expect(envelopes.map((e) => e.length).sort((a, b) => b - a)).toEqual([20, 20, 5]);
    for (const envelope of envelopes) {
      expect(new Set(envelope.map((i) => i.id)).size).toBe(envelope.length);
      for (const item of envelope) {
        expect(item.method).toBe('GET');
        expect(item.url).toMatch(/^\/things\/\d+$/);
      }
    }
    expect(client.stats).toMatchObject({ requests: 3, batchedItems: 45, graphRequests: 45, retries: 0, failures: 0 });
  });

  it('maps responses that come back in any order by id', async () => {
    const server = await serve((req, res) => answerBatch(req, res, (item) => thing(item.url), (responses) => [...responses].reverse()));
    const { client } = connect(server);
    const urls = ['/v1.0/things/a', '/v1.0/things/b', '/v1.0/things/c', '/v1.0/things/d'];
    const results = await client.getMany<{ id: string }>(urls);
    expect(results.map((r) => r.status === 'found' && r.value.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('retries a throttled item alone, after its own Retry-After', async () => {
    let throttledOnce = false;
    const server = await serve((req, res) =>
      answerBatch(req, res, (item) => {
        if (item.url === '/things/7' && !throttledOnce) {
          throttledOnce = true;
          return { status: 429, headers: { 'Retry-After': '3' }, body: graphError('TooManyRequests', 'later') };
        }
        return thing(item.url);
      }),
    );
    const { client, events } = connect(server);
    const urls = Array.from({ length: 10 }, (_, i) => `/v1.0/things/${i}`);
    const results = await client.getMany<{ id: string }>(urls);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('found'));
    expect(server.requests).toHaveLength(2);
    expect(batchItems(server.requests[1]!).map((i) => i.url)).toEqual(['/things/7']);
    expect(events.filter((e) => e.kind === 'retry')).toEqual([
      { kind: 'retry', method: 'GET', url: '/v1.0/things/7', status: 429, code: 'TooManyRequests', waitMs: 3000, attempt: 1 },
    ]);
    expect(client.stats).toMatchObject({ requests: 2, batchedItems: 11, throttled: 1, retries: 1 });
  });

  it('retries items answered 503 or 504, treats a per-item 404 as absent and a per-item 403 as failed', async () => {
    const seen = new Map<string, number>();
    const server = await serve((req, res) =>
      answerBatch(req, res, (item) => {
        const n = (seen.get(item.url) ?? 0) + 1;
        seen.set(item.url, n);
        if (item.url === '/things/busy' && n === 1) return { status: 503, body: graphError('ServiceUnavailable', 'busy') };
        if (item.url === '/things/slow' && n === 1) return { status: 504, body: graphError('GatewayTimeout', 'slow') };
        if (item.url === '/things/gone') return { status: 404, body: graphError('ResourceNotFound', 'gone') };
        if (item.url === '/things/denied') return { status: 403, body: graphError('Authorization_RequestDenied', 'denied', 'rid-403') };
        return thing(item.url);
      }),
    );
    const { client } = connect(server);
    const results = await client.getMany(['/v1.0/things/busy', '/v1.0/things/gone', '/v1.0/things/denied', '/v1.0/things/slow']);
    expect(results.map((r) => r.status)).toEqual(['found', 'absent', 'failed', 'found']);
    const denied = results[2]!;
    if (denied.status === 'failed') {
      expect(denied.error).toMatchObject({ status: 403, method: 'GET', url: '/v1.0/things/denied', requestId: 'rid-403' });
      expect(denied.error.message).toMatch(/admin consent/);
    }
    expect(seen.get('/things/denied')).toBe(1);
    expect(seen.get('/things/gone')).toBe(1);
    expect(client.stats.failures).toBe(1);
  });

  it('retries the envelope when the $batch request itself fails', async () => {
    const server = await serve((req, res) => {
      if (req.seq === 0) return json(res, 503, graphError('ServiceUnavailable', 'busy'));
      if (req.seq === 1) return void res.socket?.destroy();
      answerBatch(req, res, (item) => thing(item.url));
    });
    const { client } = connect(server);
    const results = await client.getMany(['/v1.0/things/1', '/v1.0/things/2']);
    expect(results.map((r) => r.status)).toEqual(['found', 'found']);
    expect(server.requests).toHaveLength(3);
    expect(server.requests.map((r) => batchItems(r).length)).toEqual([2, 2, 2]);
  });

  it('fails every item of an envelope that fails past its retries, naming the item', async () => {
    const server = await serve((_req, res) => json(res, 503, graphError('ServiceUnavailable', 'busy')));
    const { client } = connect(server, { maxRetries: 1 });
    const results = await client.getMany(['/v1.0/things/1', '/v1.0/things/2']);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
    if (results[0]!.status === 'failed') {
      expect(results[0]!.error).toMatchObject({ status: 503, url: '/v1.0/things/1', method: 'GET' });
      expect(results[0]!.error.message).toContain('$batch');
    }
    expect(server.requests).toHaveLength(2);
  });

  it('retries an item missing from the batch response', async () => {
    const server = await serve((req, res) =>
      answerBatch(
        req,
        res,
        (item) => thing(item.url),
        (responses) => (req.seq === 0 ? responses.slice(1) : responses),
      ),
    );
    const { client } = connect(server);
    const results = await client.getMany(['/v1.0/things/1', '/v1.0/things/2']);
    expect(results.map((r) => r.status)).toEqual(['found', 'found']);
    expect(server.requests.map((r) => batchItems(r).map((i) => i.url))).toEqual([['/things/1', '/things/2'], ['/things/1']]);
  });

  it('groups items by API version: one envelope per version', async () => {
    const server = await serve((req, res) => answerBatch(req, res, (item) => thing(item.url)));
    const { client } = connect(server);
    const results = await client.getMany(['/v1.0/things/1', '/beta/things/2', '/v1.0/things/3']);
    expect(results.map((r) => r.status)).toEqual(['found', 'found', 'found']);
    const byPath = Object.fromEntries(server.requests.map((r) => [r.path, batchItems(r).map((i) => i.url)]));
    expect(byPath).toEqual({ '/v1.0/$batch': ['/things/1', '/things/3'], '/beta/$batch': ['/things/2'] });
  });

  it('keeps the query string of batched URLs', async () => {
    const server = await serve((req, res) => answerBatch(req, res, () => ({ status: 200, body: { ok: true } })));
    const { client } = connect(server);
    await client.getMany(["/v1.0/groups/1?$select=id,displayName", "/v1.0/users?$filter=displayName eq 'A B'"]);
    const urls = batchItems(server.requests[0]!).map((i) => i.url);
    expect(urls[0]).toBe('/groups/1?$select=id,displayName');
    expect(decodeURIComponent(urls[1]!)).toBe("/users?$filter=displayName eq 'A B'");
  });

  it('returns [] for no URLs without a request', async () => {
    const server = await serve((_req, res) => json(res, 500, {}));
    const { client } = connect(server);
    expect(await client.getMany([])).toEqual([]);
    expect(await client.listMany([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('listMany', () => {
  it('batches first pages and next pages (absolute nextLinks sent as relative URLs)', async () => {
    const server = await serve((req, res) =>
      answerBatch(req, res, (item) => {
        const url = new URL(item.url, 'http://x');
        const page = Number(url.searchParams.get('page') ?? '1');
        const name = url.pathname.split('/')[2]!;
        const pages = name === 'short' ? 1 : 3;
        return {
          status: 200,
          body: {
            value: [{ id: `${name}-${page}` }],
            ...(page < pages ? { '@odata.nextLink': `${server.url}/v1.0/lists/${name}/items?page=${page + 1}` } : {}),
          },
        };
      }),
    );
    const { client } = connect(server);
    const results = await client.listMany<{ id: string }>(['/v1.0/lists/a/items', '/v1.0/lists/short/items', '/v1.0/lists/b/items']);
    expect(results.map((r) => r.status === 'found' && r.value.map((v) => v.id))).toEqual([
      ['a-1', 'a-2', 'a-3'],
      ['short-1'],
      ['b-1', 'b-2', 'b-3'],
    ]);
    expect(server.requests.map((r) => batchItems(r).map((i) => i.url))).toEqual([
      ['/lists/a/items', '/lists/short/items', '/lists/b/items'],
      ['/lists/a/items?page=2', '/lists/b/items?page=2'],
      ['/lists/a/items?page=3', '/lists/b/items?page=3'],
    ]);
  });

  it('fails one list whose page fails, leaves the others found, and reports a first-page 404 as absent', async () => {
    const server = await serve((req, res) =>
      answerBatch(req, res, (item) => {
        const url = new URL(item.url, 'http://x');
        const page = Number(url.searchParams.get('page') ?? '1');
        const name = url.pathname.split('/')[2]!;
        if (name === 'missing') return { status: 404, body: graphError('ResourceNotFound', 'no') };
        if (name === 'bad' && page === 2) return { status: 400, body: graphError('BadRequest', 'bad token') };
        return {
          status: 200,
          body: { value: [{ id: `${name}-${page}` }], ...(page < 2 ? { '@odata.nextLink': `${server.url}/v1.0/lists/${name}/items?page=2` } : {}) },
        };
      }),
    );
    const { client } = connect(server);
    const results = await client.listMany(['/v1.0/lists/good/items', '/v1.0/lists/bad/items', '/v1.0/lists/missing/items']);
    expect(results.map((r) => r.status)).toEqual(['found', 'failed', 'absent']);
    const bad = results[1]!;
    if (bad.status === 'failed') expect(bad.error.message).toMatch(/Page 2/);
  });
});
