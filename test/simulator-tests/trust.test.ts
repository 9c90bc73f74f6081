/**
 * CA trust in forked workers: globalSetup sets NODE_EXTRA_CA_CERTS before vitest forks its
 * workers, so this worker (and what it spawns) trusts the simulator with TLS verification on.
 */
import { execFile } from 'node:child_process';
import { get } from 'node:https';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueServerCert } from '../simulator/certs.js';
import { startSimulator, type Simulator } from '../simulator/index.js';

const run = promisify(execFile);
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ tenant: false });
});
afterAll(async () => {
  await sim.close();
});

describe('CA trust in vitest fork workers', () => {
  it('the worker started with NODE_EXTRA_CA_CERTS naming the test CA, and the simulator uses that CA', () => {
    const path = process.env['NODE_EXTRA_CA_CERTS'];
    expect(path).toBeDefined();
    expect(dirname(path ?? '')).toMatch(/\.tmp[\\/]test-ca$/);
    expect(sim.trustedByThisProcess).toBe(true);
    expect(sim.caCertPath).toBe(join(dirname(path ?? ''), 'ca.pem'));
  });

  it('fetch (undici, as MSAL uses) trusts the simulator without any TLS override', async () => {
    const res = await fetch(`${sim.authority}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token_endpoint: string; issuer: string };
    expect(body.token_endpoint).toBe(`${sim.authority}/oauth2/v2.0/token`);
  });

  it('node:https trusts it too (127.0.0.1 is in the certificate as well)', async () => {
    const url = sim.graphUrl.replace('localhost', '127.0.0.1');
    const status = await new Promise<number>((resolve, reject) => {
      get(`${url}/v1.0/groups`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(401); // reached Graph: no token
  });

  it('a child process spawned by the worker inherits the trust', async () => {
    const { stdout } = await run(process.execPath, ['-e', `fetch(${JSON.stringify(`${sim.authority}/discovery/v2.0/keys`)}).then(r => console.log(r.status))`], {
      env: process.env,
    });
    expect(stdout.trim()).toBe('200');
  });

  it('verification is on: a server whose CA is not trusted is refused', async () => {
    const ca = createCa('untrusted CA');
    const tls = issueServerCert(ca);
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await expect(fetch(`https://localhost:${port}/`)).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
