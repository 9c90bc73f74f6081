import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type ClosableGraphClient } from '../../src/graph/client.js';
import { createCa, issueServerCert, trustedCaFromEnv, type KeyAndCert } from '../simulator/certs.js';

/**
 * HTTPS with Node's default trust: the test CA reaches this worker through NODE_EXTRA_CA_CERTS
 * (test/globalSetup.ts); a certificate from any other CA is refused, and TLS checks stay on.
 */

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function httpsServer(cert: KeyAndCert): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'tls' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

function client(endpoint: string): ClosableGraphClient {
  const c = createGraphClient({ endpoint, token: async () => 't', maxRetries: 3 });
  closers.push(() => c.close());
  return c;
}

describe('https', () => {
  const trusted = trustedCaFromEnv();

  it.skipIf(!trusted)('reaches a server whose CA is in NODE_EXTRA_CA_CERTS', async () => {
    const server = await httpsServer(issueServerCert(trusted!));
    expect(await client(server.url).get('/v1.0/things/1')).toEqual({ status: 'found', value: { id: 'tls' } });
  });

  it('refuses an untrusted certificate without retrying, and says how to trust it', async () => {
    const server = await httpsServer(issueServerCert(createCa('an untrusted CA')));
    const result = await client(server.url).get('/v1.0/things/1');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toMatch(/CERT|UNABLE_TO_VERIFY/);
    expect(result.error.attempts).toBe(1);
    expect(result.error.message).toContain('NODE_EXTRA_CA_CERTS');
    expect(server.hits()).toBe(0);
  });
});
