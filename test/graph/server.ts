import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/graph/clock.js';

/** A real loopback HTTP server that records what the Graph client sends (test helper, not a test). */

export interface Recorded {
  seq: number;
  method: string;
  /** Path and query as sent */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** performance.now() when the request arrived */
  at: number;
}

export type Handler = (req: Recorded, res: http.ServerResponse) => unknown;

export interface TestServer {
  /** http://127.0.0.1:port */
  url: string;
  requests: Recorded[];
  /** Most requests in flight at once */
  readonly maxInFlight: number;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  let current = handler;
  const requests: Recorded[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    const at = performance.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finished = (): void => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.on('finish', finished);
    res.on('close', finished);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: Recorded = {
        seq: requests.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
        at,
      };
      requests.push(recorded);
      Promise.resolve(current(recorded, res)).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: { code: 'TestServerError', message: String(error) } });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    setHandler(next) {
      current = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `rid-${status}`, ...headers });
  res.end(text);
}

export function graphError(code: string, message: string, requestId = 'req-123'): unknown {
  return { error: { code, message, innerError: { 'request-id': requestId, date: '2024-01-01T00:00:00' } } };
}

export interface BatchItem {
  id: string;
  method: string;
  url: string;
}

export interface ItemAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Answers POST /{version}/$batch by asking `item` for each request */
export function answerBatch(
  req: Recorded,
  res: http.ServerResponse,
  item: (request: BatchItem) => ItemAnswer,
  order: (responses: unknown[]) => unknown[] = (r) => r,
): void {
  const requests = (req.body as { requests: BatchItem[] }).requests;
  const responses = requests.map((r) => {
    const answer = item(r);
    return { id: r.id, status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers }, body: answer.body };
  });
  json(res, 200, { responses: order(responses) });
}

export function batchItems(req: Recorded): BatchItem[] {
  return (req.body as { requests: BatchItem[] }).requests;
}

/** Virtual time running `speedup` times faster than real time: Retry-After: 2 lasts 2000 / speedup real ms */
export function fastClock(speedup: number): Clock {
  return {
    now: () => performance.now() * speedup,
    setTimeout(fn, ms) {
      const handle = setTimeout(fn, Math.max(0, ms / speedup));
      return () => clearTimeout(handle);
    },
  };
}

/** A clock that only moves when told to */
export class ManualClock implements Clock {
  private time = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Move time forward, running due timers in order */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.time = end;
    await flushMicrotasks();
  }
}

/** Let every pending promise continuation run */
export async function flushMicrotasks(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
