import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type ClosableGraphClient } from '../../src/graph/client.js';
import { Semaphore } from '../../src/graph/concurrency.js';
import { RateLimiter, SlidingWindow, type Permit } from '../../src/graph/rateLimiter.js';
import { createTransport, type Transport } from '../../src/graph/transport.js';
import type { GraphEvent } from '../../src/graph/types.js';
import { answerBatch, batchItems, fastClock, flushMicrotasks, graphError, json, ManualClock, startServer, type TestServer } from './server.js';

const servers: TestServer[] = [];
const clients: ClosableGraphClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Acquire and commit immediately, recording the virtual time of each grant */
function take(limiter: RateLimiter, clock: ManualClock, n: number, times: number[], bucket: 'intune' | 'conditionalAccess' = 'intune'): Promise<void> {
  return limiter.acquire(bucket, n).then((permit) => {
    times.push(clock.now());
    permit.commit();
  });
}

describe('SlidingWindow', () => {
  it('grants up to the limit per window and says when the next one fits', () => {
    const w = new SlidingWindow({ requests: 2, perMs: 1000 });
    expect(w.delay(1, 0)).toBe(0);
    w.reserve(1);
    w.commit(1, 0);
    w.reserve(1);
    w.commit(1, 100);
    expect(w.delay(1, 200)).toBe(800);
    expect(w.delay(2, 200)).toBe(900);
    expect(w.delay(1, 1000)).toBe(0);
    expect(w.inWindow(1000)).toBe(1);
  });

  it('counts reserved but unsent permits, which only a commit or release frees', () => {
    const w = new SlidingWindow({ requests: 1, perMs: 1000 });
    w.reserve(1);
    expect(w.delay(1, 5000)).toBe(Infinity);
    w.release(1);
    expect(w.delay(1, 5000)).toBe(0);
  });

  it('is unlimited without a limit, but still pauses', () => {
    const w = new SlidingWindow(undefined);
    expect(w.delay(1000, 0)).toBe(0);
    w.pauseUntil(300);
    expect(w.delay(1, 100)).toBe(200);
    expect(w.capacity).toBe(Infinity);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new SlidingWindow({ requests: 0, perMs: 1000 })).toThrow(RangeError);
  });
});

describe('RateLimiter (manual clock)', () => {
  it('paces to exactly N per window', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ intune: { requests: 2, perMs: 1000 } }, clock, () => 0);
    const times: number[] = [];
    const all = Promise.all([1, 2, 3, 4, 5].map(() => take(limiter, clock, 1, times)));
    await clock.advance(5000);
    await all;
    expect(times).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it('reaches the ideal throughput of a long run (1 per second for conditional access)', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ conditionalAccess: { requests: 1, perMs: 1000 } }, clock, () => 0);
    const times: number[] = [];
    const all = Promise.all(Array.from({ length: 30 }, () => take(limiter, clock, 1, times, 'conditionalAccess')));
    await clock.advance(60_000);
    await all;
    expect(times).toEqual(Array.from({ length: 30 }, (_, i) => i * 1000));
  });

  it('adds its margin to the window (default 1%, at most 10 ms)', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ conditionalAccess: { requests: 1, perMs: 1000 }, intune: { requests: 1000, perMs: 20_000 } }, clock);
    const ca: number[] = [];
    const intune: number[] = [];
    const all = Promise.all([
      ...[1, 2, 3].map(() => take(limiter, clock, 1, ca, 'conditionalAccess')),
      ...[1, 2].map(() => take(limiter, clock, 1000, intune)),
    ]);
    await clock.advance(100_000);
    await all;
    expect(ca).toEqual([0, 1010, 2020]);
    expect(intune).toEqual([0, 20_010]);
  });

  it('holds back while a granted permit is not yet sent, then counts it from its send time', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ intune: { requests: 1, perMs: 1000 } }, clock, () => 0);
    const first = await limiter.acquire('intune', 1);
    const times: number[] = [];
    const second = take(limiter, clock, 1, times);
    await clock.advance(2000);
    expect(times).toEqual([]);
    first.commit(); // sent at 2000
    await clock.advance(2000);
    await second;
    expect(times).toEqual([3000]);
  });

  it('takes n permits for n batch items, first come first served', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ intune: { requests: 5, perMs: 1000 } }, clock, () => 0);
    const order: string[] = [];
    const grant = (name: string, n: number) =>
      limiter.acquire('intune', n).then((p) => {
        order.push(`${name}@${clock.now()}`);
        p.commit();
      });
    const all = Promise.all([grant('a', 3), grant('b', 3), grant('c', 1)]);
    await clock.advance(3000);
    await all;
    // c would fit at 0 but waits behind b
    expect(order).toEqual(['a@0', 'b@1000', 'c@1000']);
  });

  it('grants what the window has room for to a partial acquisition (filling batch envelopes)', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ intune: { requests: 5, perMs: 1000 } }, clock, () => 0);
    const grants: string[] = [];
    const upTo = (n: number) =>
      limiter.acquireUpTo('intune', n).then((p) => {
        grants.push(`${p.count}@${clock.now()}`);
        p.commit();
      });
    const all = Promise.all([upTo(3), upTo(3), upTo(3), upTo(3)]);
    await clock.advance(3000);
    await all;
    expect(grants).toEqual(['3@0', '2@0', '3@1000', '2@1000']);
  });

  it('pauses a bucket after a 429, and only that bucket', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({}, clock);
    limiter.pause('intune', 500);
    const times: Record<string, number> = {};
    const all = Promise.all([
      limiter.acquire('intune', 1).then((p: Permit) => ((times.intune = clock.now()), p.commit())),
      limiter.acquire('directory', 1).then((p: Permit) => ((times.directory = clock.now()), p.commit())),
    ]);
    await clock.advance(1000);
    await all;
    expect(times).toEqual({ intune: 500, directory: 0 });
  });

  it('rejects a waiter whose signal aborts and serves the next one', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ intune: { requests: 1, perMs: 1000 } }, clock, () => 0);
    (await limiter.acquire('intune', 1)).commit();
    const controller = new AbortController();
    const aborted = limiter.acquire('intune', 1, controller.signal);
    const times: number[] = [];
    const next = take(limiter, clock, 1, times);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await clock.advance(1000);
    await next;
    expect(times).toEqual([1000]);
  });
});

describe('Semaphore', () => {
  it('admits at most max holders, in order', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    await s.acquire();
    let third = false;
    const p = s.acquire().then((release) => {
      third = true;
      return release;
    });
    await flushMicrotasks();
    expect(third).toBe(false);
    expect(s.inFlight).toBe(2);
    r1();
    r1(); // releasing twice is harmless
    (await p)();
    expect(third).toBe(true);
    expect(s.inFlight).toBe(1);
  });

  it('serves waiters by rank, lowest first, and first come first served within a rank', async () => {
    const s = new Semaphore(1);
    const holder = await s.acquire();
    const order: string[] = [];
    const take = (name: string, rank: number) =>
      s.acquire(undefined, rank).then((release) => {
        order.push(name);
        release();
      });
    const all = Promise.all([take('directory-1', Infinity), take('intune-1', 0.05), take('directory-2', Infinity), take('ca', 0.001), take('intune-2', 0.05)]);
    await flushMicrotasks();
    expect(order).toEqual([]);
    holder();
    await all;
    expect(order).toEqual(['ca', 'intune-1', 'intune-2', 'directory-1', 'directory-2']);
  });

  it('drops a ranked waiter whose signal aborts, and serves the next', async () => {
    const s = new Semaphore(1);
    const holder = await s.acquire();
    const controller = new AbortController();
    const aborted = s.acquire(controller.signal, 0);
    const next = s.acquire(undefined, 5);
    controller.abort();
    await expect(aborted).rejects.toThrow();
    holder();
    (await next)();
    expect(s.inFlight).toBe(0);
  });

  it('gives a free slot to whoever asks, whatever its rank (no slot is held back)', async () => {
    const s = new Semaphore(2);
    await s.acquire(undefined, Infinity);
    await s.acquire(undefined, Infinity);
    expect(s.inFlight).toBe(2);
  });
});

describe('rate limits against a server', () => {
  /** Most requests the server saw within any window of perMs (tolerance: timer and loopback jitter) */
  function maxInWindow(times: number[], perMs: number, weights: number[] = times.map(() => 1)): number {
    let max = 0;
    for (let i = 0; i < times.length; i++) {
      let sum = 0;
      for (let j = i; j < times.length && times[j]! - times[i]! < perMs; j++) sum += weights[j]!;
      max = Math.max(max, sum);
    }
    return max;
  }

  /** The real transport, recording when each request went out on its connection */
  function recordingTransport(): { transport: Transport; sent: Array<{ path: string; at: number; items: number }> } {
    const inner = createTransport({ maxSockets: 8 });
    const sent: Array<{ path: string; at: number; items: number }> = [];
    return {
      sent,
      transport: {
        send: (request) =>
          inner.send({
            ...request,
            onWrite: () => {
              const body = request.body ? (JSON.parse(request.body.toString('utf8')) as { requests?: unknown[] }) : {};
              sent.push({ path: request.url.pathname, at: performance.now(), items: body.requests?.length ?? 1 });
              request.onWrite?.();
            },
          }),
        close: () => inner.close(),
      },
    };
  }

  /** A server answering with `handler` and a client paced to `requests` Intune reads per `perMs`, through `transport` */
  async function pacedClient(handler: Parameters<typeof startServer>[0], transport: Transport, requests: number, perMs: number, concurrency?: number) {
    const server = await startServer(handler);
    servers.push(server);
    const client = createGraphClient(
      { endpoint: server.url, token: async () => 't', ...(concurrency ? { concurrency } : {}), rateLimits: { intune: { requests, perMs } } },
      { transport },
    );
    clients.push(client);
    return { server, client };
  }

  // Sends are paced exactly (checked where they happen, on the client); arrivals at the server are
  // checked with slack, since this server shares its event loop with the client.
  it('keeps each bucket to N requests per window', async () => {
    const { transport, sent } = recordingTransport();
    const perMs = 200;
    const { server, client } = await pacedClient((req, res) => json(res, 200, { id: req.path }), transport, 3, perMs, 8);
    // Warm up: open the connections first, so that arrival times track send times closely.
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.get(`/v1.0/warmup/${i}`)));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get(`/beta/deviceManagement/x/${i}`, 'intune')));
    expect(results.every((r) => r.status === 'found')).toBe(true);
    const sends = sent.filter((s) => s.path.startsWith('/beta/')).map((s) => s.at);
    expect(sends).toHaveLength(10);
    expect(maxInWindow(sends, perMs)).toBeLessThanOrEqual(3);
    const arrivals = server.requests.filter((r) => r.path.startsWith('/beta/')).map((r) => r.at);
    expect(maxInWindow(arrivals, perMs / 2)).toBeLessThanOrEqual(3);
  });

  it('holds the limit where Graph counts it (arrival) when requests are delayed on their way', async () => {
    const inner = createTransport({ maxSockets: 8 });
    let sent = 0;
    // The first window's requests take 120 ms to arrive (a starved machine, a slow network), the
    // next ones none: paced on their send times, the next window's would arrive on top of them.
    const transport: Transport = {
      send: async (request) => {
        const delay = request.url.pathname.startsWith('/beta/') && sent++ < 3 ? 120 : 0;
        request.onWrite?.();
        await new Promise((r) => setTimeout(r, delay));
        return inner.send({ ...request, onWrite: undefined });
      },
      close: () => inner.close(),
    };
    const perMs = 200;
    const { server, client } = await pacedClient((req, res) => json(res, 200, { id: req.path }), transport, 3, perMs, 8);
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.get(`/v1.0/warmup/${i}`)));
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => client.get(`/beta/deviceManagement/x/${i}`, 'intune')));
    expect(results.every((r) => r.status === 'found')).toBe(true);
    const arrivals = server.requests.filter((r) => r.path.startsWith('/beta/')).map((r) => r.at);
    expect(arrivals).toHaveLength(9);
    expect(maxInWindow(arrivals, perMs)).toBeLessThanOrEqual(3);
  });

  it('counts each batch item against its bucket and sizes envelopes to the window', async () => {
    const { transport, sent } = recordingTransport();
    const perMs = 200;
    const { server, client } = await pacedClient((req, res) => answerBatch(req, res, (item) => ({ status: 200, body: { id: item.url } })), transport, 4, perMs);
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.getMany([`/v1.0/warmup/${i}`])));
    const results = await client.getMany(Array.from({ length: 10 }, (_, i) => `/beta/deviceManagement/x/${i}`), 'intune');
    expect(results.every((r) => r.status === 'found')).toBe(true);
    const envelopes = server.requests.filter((r) => r.path === '/beta/$batch');
    const sizes = envelopes.map((r) => batchItems(r).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    const sends = sent.filter((s) => s.path === '/beta/$batch');
    expect(maxInWindow(sends.map((s) => s.at), perMs, sends.map((s) => s.items))).toBeLessThanOrEqual(4);
    expect(maxInWindow(envelopes.map((r) => r.at), perMs / 2, sizes)).toBeLessThanOrEqual(4);
    expect(client.stats).toMatchObject({ batchedItems: 18, graphRequests: 18 });
  });

  it('fills envelopes to the room left in the window rather than waiting for room for 20', async () => {
    const server = await startServer((req, res) => answerBatch(req, res, (item) => ({ status: 200, body: { id: item.url } })));
    servers.push(server);
    const client = createGraphClient({ endpoint: server.url, token: async () => 't', rateLimits: { intune: { requests: 30, perMs: 100 } } });
    clients.push(client);
    const results = await client.getMany(Array.from({ length: 50 }, (_, i) => `/beta/deviceManagement/x/${i}`), 'intune');
    expect(results.every((r) => r.status === 'found')).toBe(true);
    const sizes = server.requests.map((r) => batchItems(r).length);
    // 20 and 10 at once (30 in the window), the last 20 one window later
    expect(sizes.slice(0, 2).sort((a, b) => a - b)).toEqual([10, 20]);
    expect(sizes.slice(2)).toEqual([20]);
  });

  it('holds the bucket back for the Retry-After of a 429, other buckets go on', async () => {
    const server = await startServer((req, res) => {
      if (req.seq === 0) return json(res, 429, graphError('TooManyRequests', 'later'), { 'retry-after': '3' });
      json(res, 200, { id: req.path });
    });
    servers.push(server);
    const speedup = 100; // 3 s = 30 real ms
    const started: Array<Promise<unknown>> = [];
    let client: ClosableGraphClient | undefined;
    const onEvent = (e: GraphEvent): void => {
      if (e.kind === 'retry' && client) {
        started.push(client.get('/beta/deviceManagement/b', 'intune'), client.get('/v1.0/groups/c', 'directory'));
      }
    };
    client = createGraphClient({ endpoint: server.url, token: async () => 't', onEvent }, { clock: fastClock(speedup) });
    clients.push(client);
    await client.get('/beta/deviceManagement/a', 'intune');
    await Promise.all(started);
    const at = (path: string) => server.requests.filter((r) => r.path === path).map((r) => r.at);
    const [firstA, retryA] = at('/beta/deviceManagement/a');
    const [b] = at('/beta/deviceManagement/b');
    const [c] = at('/v1.0/groups/c');
    expect(b! - firstA!).toBeGreaterThanOrEqual(3000 / speedup - 1);
    expect(retryA! - firstA!).toBeGreaterThanOrEqual(3000 / speedup - 1);
    // the other bucket was not held back: it reached the server before the throttled bucket resumed
    expect(c!).toBeLessThan(Math.min(b!, retryA!));
  });
});
