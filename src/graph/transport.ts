import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import { AbortedError } from './clock.js';

/**
 * One HTTP exchange over node:https (node:http for http:// endpoints such as a loopback test
 * server). TLS uses Node's defaults: its CA bundle plus NODE_EXTRA_CA_CERTS; nothing here weakens
 * certificate checks.
 *
 * Keep-alive sockets, as many as requests may be in flight, serve requests that are safe to repeat.
 * A request that is not (a POST) goes over a fresh connection: a pooled socket that the server
 * closed while idle fails with ECONNRESET, and a POST that fails so cannot be retried.
 */

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  /** Time allowed for the whole exchange, response body included */
  timeoutMs: number;
  /** false: use a fresh connection */
  reuseConnection: boolean;
  signal?: AbortSignal;
  /**
   * Called once the connection is up and the request is being written (after the TLS handshake on
   * a new connection): the moment Graph's throttling starts counting it. Not called when the
   * connection could not be made.
   */
  onWrite?: () => void;
}

export interface TransportResponse {
  status: number;
  /** Lower-case names, repeated headers joined with ', ' */
  headers: Record<string, string>;
  /** Decoded (gunzipped) body */
  body: Buffer;
  /** Bytes received on the wire for the body */
  bytes: number;
}

/** No complete answer: the code is Node's (ECONNRESET, ECONNREFUSED, ...) or ETIMEDOUT */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly bytes: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Close pooled sockets */
  close(): void;
}

export function createTransport(options: { maxSockets: number }): Transport {
  const pooled = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' as const };
  const fresh = { keepAlive: false, maxSockets: options.maxSockets };
  const agents = {
    http: { pooled: new http.Agent(pooled), fresh: new http.Agent(fresh) },
    https: { pooled: new https.Agent(pooled), fresh: new https.Agent(fresh) },
  };
  return {
    send(request) {
      const secure = request.url.protocol === 'https:';
      const family = secure ? agents.https : agents.http;
      return exchange(secure ? https.request : http.request, request.reuseConnection ? family.pooled : family.fresh, request);
    },
    close() {
      for (const family of [agents.http, agents.https]) {
        family.pooled.destroy();
        family.fresh.destroy();
      }
    },
  };
}

type RequestFn = (url: URL, options: http.RequestOptions) => http.ClientRequest;

function exchange(requestFn: RequestFn, agent: http.Agent, request: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    let bytes = 0;
    let settled = false;
    const headers: Record<string, string> = { ...request.headers };
    if (request.body) headers['content-length'] = String(request.body.length);

    const req = requestFn(request.url, { method: request.method, headers, agent });

    const settle = (error: Error | undefined, response?: TransportResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else if (response) {
        resolve(response);
      }
    };
    const onAbort = (): void => settle(new AbortedError());
    const timer = setTimeout(
      () => settle(new TransportError(`no complete answer within ${request.timeoutMs} ms`, 'ETIMEDOUT', bytes)),
      request.timeoutMs,
    );
    request.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error) => settle(toTransportError(error, bytes)));
    if (request.onWrite) {
      const onWrite = request.onWrite;
      req.once('socket', (socket) => {
        if (!socket.connecting) return onWrite();
        socket.once(request.url.protocol === 'https:' ? 'secureConnect' : 'connect', onWrite);
      });
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        chunks.push(chunk);
      });
      res.on('error', (error) => settle(toTransportError(error, bytes)));
      res.on('close', () => {
        if (!res.complete) settle(new TransportError('the connection closed before the response was complete', 'ECONNRESET', bytes));
      });
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
        const done = (error: Error | null, body: Buffer): void => {
          if (error) {
            settle(new TransportError(`the response body could not be decoded (${encoding}): ${error.message}`, 'EBADBODY', bytes));
            return;
          }
          settle(undefined, { status: res.statusCode ?? 0, headers: flattenHeaders(res.headers), body, bytes });
        };
        if (raw.length > 0 && encoding === 'gzip') zlib.gunzip(raw, done);
        else if (raw.length > 0 && encoding === 'deflate') zlib.inflate(raw, done);
        else done(null, raw);
      });
    });
    req.end(request.body);
  });
}

function toTransportError(error: Error & { code?: unknown }, bytes: number): TransportError {
  if (error instanceof TransportError) return error;
  const code = typeof error.code === 'string' ? error.code : 'ENETWORK';
  return new TransportError(error.message || code, code, bytes);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
