/**
 * Vitest global setup: the test certificate authority.
 *
 * Creates (or reuses, when still valid) a CA in .tmp/test-ca/ (ca.pem + ca-key.pem) and points
 * NODE_EXTRA_CA_CERTS at it. Vitest forks its workers after global setup with `...process.env`,
 * so every worker starts with the variable and Node (https, fetch/undici, MSAL) trusts the CA from
 * start-up; child processes that workers spawn inherit it too. The simulator finds the CA's key
 * next to the certificate and issues its server certificate from it. TLS verification is never
 * turned off.
 *
 * NODE_EXTRA_CA_CERTS is read once, when a process starts: setting it here does not change this
 * (main) process's trust, only that of processes started from now on.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCaFiles } from './simulator/certs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TEST_CA_DIR = join(root, '.tmp', 'test-ca');

export default function setup(): () => void {
  const ca = ensureCaFiles(TEST_CA_DIR);
  const previous = process.env['NODE_EXTRA_CA_CERTS'];
  let path = ca.certPath;
  let bundle: string | undefined;
  if (previous && resolve(previous) !== ca.certPath && dirname(resolve(previous)) !== TEST_CA_DIR && existsSync(previous)) {
    // Keep the CAs the environment already trusts (a corporate proxy, ...) next to ours.
    bundle = join(TEST_CA_DIR, `trust-bundle-${process.pid}.pem`);
    writeFileSync(bundle, `${readFileSync(previous, 'utf8').trimEnd()}\n${ca.certPem}`);
    path = bundle;
  }
  process.env['NODE_EXTRA_CA_CERTS'] = path;
  return () => {
    if (previous === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
    else process.env['NODE_EXTRA_CA_CERTS'] = previous;
    if (bundle) rmSync(bundle, { force: true });
  };
}
