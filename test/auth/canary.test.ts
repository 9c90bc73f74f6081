/**
 * Canaries: known values planted in every credential (client secret, certificate key, GitHub OIDC
 * request token and assertions, cache key) and every credential the identity platform hands out
 * (access, refresh and id tokens, device code sessions, client assertions), collected as they
 * cross the wire. Everything the runs print (verbose, MSAL's own log included), every status they
 * report, every error they raise and every file they write is scanned: no canary may appear, and
 * each must be registered as a secret (masked by the runner in Actions) by the end of the run.
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubIdTokenSource } from '../../src/auth/federated.js';
import { parseConfig } from '../../src/config/load.js';
import { createConsoleLogger } from '../../src/log/index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { configText, simEnv, tempRepo } from '../backup/helpers.js';
import { CACHE_KEY_ENV, person, readTree, runSync, tempDir, type SyncRun } from './helpers.js';

let sim: Simulator;
const savedEnv: Record<string, string | undefined> = {};
const realFetch = globalThis.fetch;
/** Every credential seen on the wire to and from the sign-in server */
const wire = new Set<string>();

beforeAll(async () => {
  sim = await startSimulator({ throttling: false, deviceCode: { intervalSeconds: 1 } });
  for (const [k, v] of Object.entries({ ACTIONS_ID_TOKEN_REQUEST_URL: sim.github.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: sim.github.requestToken })) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  // Record what MSAL sends and receives (it reaches the network through fetch).
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const response = await realFetch(input, init);
    if (url.startsWith(sim.loginUrl)) {
      if (typeof init?.body === 'string') {
        for (const [k, v] of new URLSearchParams(init.body)) if (['client_secret', 'client_assertion', 'refresh_token', 'device_code'].includes(k)) wire.add(v);
      }
      const body = (await response.clone().json().catch(() => ({}))) as Record<string, unknown>;
      for (const k of ['access_token', 'refresh_token', 'id_token', 'device_code']) if (typeof body[k] === 'string') wire.add(body[k] as string);
    }
    return response;
  };
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sim?.close();
});

describe('canary scan', () => {
  it('no credential appears in anything the runs print, report or write', async () => {
    const planted = {
      cacheKey: 'canary-cache-key-4Jx9Qw2Lm7Zr8Tn3Vb6Yc1Hd5',
      wrongSecret: 'canary-client-secret-Q8~vN3xK2mL9pR4tW7zY',
      clientSecret: sim.apps.secret.clientSecret,
      certificateKey: sim.apps.certificate.privateKeyPem.trim(),
      oidcRequestToken: sim.github.requestToken,
    };
    const out = new PassThrough();
    const err = new PassThrough();
    let printed = '';
    out.on('data', (d: Buffer) => (printed += d.toString()));
    err.on('data', (d: Buffer) => (printed += d.toString()));
    // One process's logger, verbose: MSAL's log lines and retries are printed too.
    const log = createConsoleLogger({ verbose: true, out, err });
    const oidcTokens: string[] = [];
    const idTokens = githubIdTokenSource(process.env, log);
    const getIdToken = async (audience: string) => {
      const token = await idTokens(audience);
      oidcTokens.push(token);
      return token;
    };
    const root = await tempRepo();
    const cacheDir = await tempDir();
    const cacheFile = join(cacheDir, 'contoso.token-cache');
    const delegated = `    delegated:\n      enabled: true\n      cache-file: ${cacheFile}\n`;
    const tenantFor = (method: 'federated' | 'certificate' | 'secret') => {
      const clientId = method === 'secret' ? sim.apps.secret.clientId : sim.apps.certificate.clientId;
      const text = configText(sim, delegated).replace(sim.apps.secret.clientId, clientId).replace('method: secret', `method: ${method}`);
      return parseConfig(text, 'tenant-sync.yml', simEnv(sim)).tenants[0]!;
    };
    const env = {
      ...simEnv(sim),
      [CACHE_KEY_ENV]: planted.cacheKey,
      TENANT_SYNC_CERTIFICATE: `${sim.apps.certificate.privateKeyPem}\n${sim.apps.certificate.certPem}`,
    };
    const runs: SyncRun[] = [];
    // 1. Federated application, user signs in with device code.
    runs.push(await runSync(sim, root, tenantFor('federated'), { env, sources: { getIdToken }, onStatus: person(sim, 'approve'), logger: log }));
    // 2. Certificate, the stored sign-in refreshed (rotated).
    runs.push(await runSync(sim, root, tenantFor('certificate'), { env, logger: log }));
    // 3. Secret, after the refresh token expired: device code again, then refused by Conditional Access.
    sim.expireRefreshTokens();
    runs.push(await runSync(sim, root, tenantFor('secret'), { env, onStatus: person(sim, { refuse: 53003 }), logger: log }));
    // 4. A rejected secret.
    runs.push(await runSync(sim, root, tenantFor('secret'), { env: { ...env, TENANT_SYNC_CLIENT_SECRET: planted.wrongSecret }, logger: log }));

    expect(runs.map((r) => r.final)).toEqual(['Idle', 'Idle', 'Partially successful', 'New error']);
    expect(runs[3]!.error?.code).toBe('AUTH_BAD_SECRET');
    expect(oidcTokens.length).toBeGreaterThan(0);
    expect([...wire].length).toBeGreaterThan(8);

    const canaries = [...Object.values(planted), ...oidcTokens, ...wire].filter((c) => c.length >= 6);
    const files = [...(await readTree(root)).entries(), ...(await readTree(cacheDir)).entries()].map(([path, text]) => `${path}\n${text}`);
    const reported = runs.flatMap((r) => [JSON.stringify(r.details), JSON.stringify(r.report ?? {}), r.error?.describe() ?? '', r.error?.fix ?? '']);
    const haystacks = { printed, files: files.join('\n'), reported: reported.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const canary of canaries) {
        if (text.includes(canary)) expect.fail(`a credential (${canary.slice(0, 12)}…) appears in ${where}`);
      }
    }
    // Masked the moment it was known: by the end every one is registered.
    const unregistered = canaries.filter((c) => log.registry.redact(c) !== '***');
    expect(unregistered.map((c) => c.slice(0, 16))).toEqual([]);
    // What must be shown is shown: the device-code URL and user code, the refusal in the product's words.
    expect(printed).toContain(`${sim.loginUrl}/devicelogin`);
    expect(printed).toContain('User authentication failed - The user is blocked due to a Conditional Access or MFA policy in the tenant.');
    expect(sim.writes()).toHaveLength(0);
  });
});
