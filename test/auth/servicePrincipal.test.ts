/**
 * The application's sign-in through real MSAL against the simulator: a federated credential from
 * the (simulated) GitHub OIDC token endpoint with the audience of each cloud, a certificate, a
 * client secret, and the AADSTS refusals mapped to tenant-sync's error codes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubIdTokenSource } from '../../src/auth/federated.js';
import { authErrorFromMsal } from '../../src/auth/errors.js';
import { parseConfig, type TenantConfig } from '../../src/config/load.js';
import { connect, connectTenant } from '../../src/engine/connect.js';
import { TenantSyncError } from '../../src/errors/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { finalStatus } from '../../src/status/index.js';
import { decodeJwt } from '../simulator/jwt.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { configText, simEnv } from '../backup/helpers.js';

let sim: Simulator;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  sim = await startSimulator({ throttling: false, tenant: false });
  // What the runner sets for a job with "permissions: id-token: write", pointing at the simulated issuer.
  for (const [k, v] of Object.entries({ ACTIONS_ID_TOKEN_REQUEST_URL: sim.github.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: sim.github.requestToken })) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sim?.close();
});
beforeEach(() => {
  sim.reset();
});

const federatedCredentials = () => sim.apps.certificate.federatedCredentials;
let initialCredentials: ReturnType<typeof federatedCredentials>;
beforeEach(() => {
  initialCredentials = federatedCredentials().map((c) => ({ ...c, audiences: [...c.audiences] }));
});
afterEach(() => {
  federatedCredentials().splice(0, federatedCredentials().length, ...initialCredentials);
});

function tenantConfig(method: 'federated' | 'certificate' | 'secret', extra = ''): TenantConfig {
  const clientId = method === 'secret' ? sim.apps.secret.clientId : sim.apps.certificate.clientId;
  const text = configText(sim, extra).replace(sim.apps.secret.clientId, clientId).replace('method: secret', `method: ${method}`);
  return parseConfig(text, 'tenant-sync.yml', simEnv(sim)).tenants[0]!;
}

/** GitHub OIDC tokens as the job requests them (core.getIDToken), recorded */
function recordingIdTokens(log = createMemoryLogger()) {
  const minted: string[] = [];
  const source = githubIdTokenSource(process.env, log);
  return {
    minted,
    getIdToken: async (audience: string) => {
      const token = await source(audience);
      minted.push(token);
      return token;
    },
  };
}

const claims = (jwt: string) => decodeJwt(jwt)?.payload ?? {};

async function failure(promise: Promise<unknown>): Promise<TenantSyncError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof TenantSyncError) return e;
    throw e;
  }
  throw new Error('expected a TenantSyncError');
}

describe('federated credential (GitHub OIDC)', () => {
  it('signs in with a fresh GitHub OIDC token for every token request, masked at once', async () => {
    const tenant = tenantConfig('federated');
    const log = createMemoryLogger();
    const ids = recordingIdTokens(log);
    const connection = await connectTenant({ tenant, log, sources: { env: simEnv(sim), getIdToken: ids.getIdToken } });
    try {
      expect(ids.minted).toHaveLength(1);
      expect(claims(ids.minted[0]!)).toMatchObject({ iss: sim.github.issuer, aud: 'api://AzureADTokenExchange', sub: 'repo:contoso/tenant-config:ref:refs/heads/main' });
      expect(sim.counters().tokenRequests['client_credentials']).toBe(1);
      expect(connection.roles.length).toBeGreaterThan(10);
      // An expired access token: MSAL asks again, with a new assertion.
      sim.expireAccessTokens();
      const res = await connection.app.get('/v1.0/identity/conditionalAccess/namedLocations');
      expect(res.status).not.toBe('failed');
      expect(ids.minted).toHaveLength(2);
      expect(ids.minted[1]).not.toBe(ids.minted[0]);
      for (const t of ids.minted) expect(log.registry.redact(t)).toBe('***');
    } finally {
      connection.close();
    }
  });

  it.each([
    ['public', 'api://AzureADTokenExchange'],
    ['usgov', 'api://AzureADTokenExchangeUSGov'],
    ['usgov-dod', 'api://AzureADTokenExchangeUSGov'],
    ['china', 'api://AzureADTokenExchangeChina'],
  ] as const)('cloud %s asks GitHub for the audience %s, which the federated credential must list', async (cloud, audience) => {
    // The sign-in and Graph hosts are overridden to the simulator; the audience follows the cloud.
    const tenant = tenantConfig('federated', `    cloud: ${cloud}\n`);
    expect(tenant.federationAudience).toBe(audience);
    const ids = recordingIdTokens();
    // A credential for another cloud's audience only: AADSTS700212 unless the audiences match.
    const credential = federatedCredentials()[0]!;
    credential.audiences = ['api://SomeOtherAudience'];
    const refused = await failure(connect({ tenant, log: createMemoryLogger(), sources: { env: simEnv(sim), getIdToken: ids.getIdToken } }));
    expect(refused.code).toBe('AUTH_FEDERATION_MISMATCH');
    expect(refused.message).toContain('AADSTS700212');
    expect(refused.fix).toContain(audience);
    credential.audiences = [audience];
    const graph = await connect({ tenant, log: createMemoryLogger(), sources: { env: simEnv(sim), getIdToken: ids.getIdToken } });
    (graph as { close?: () => void }).close?.();
    expect(ids.minted.map((t) => claims(t)['aud'])).toEqual([audience, audience]);
  });

  it('another subject (an environment the credential does not name): AUTH_FEDERATION_MISMATCH (AADSTS700213)', async () => {
    sim.setScenario({ github: { environment: 'production' } });
    const ids = recordingIdTokens();
    const e = await failure(connect({ tenant: tenantConfig('federated'), log: createMemoryLogger(), sources: { env: simEnv(sim), getIdToken: ids.getIdToken } }));
    expect(e.code).toBe('AUTH_FEDERATION_MISMATCH');
    expect(e.message).toContain('AADSTS700213');
    expect(e.fix).toContain(':environment:');
  });

  it('outside a workflow (no OIDC request variables): CREDENTIAL_MISSING before any request', async () => {
    const source = githubIdTokenSource({});
    const e = await failure(connect({ tenant: tenantConfig('federated'), log: createMemoryLogger(), sources: { env: simEnv(sim), getIdToken: source } }));
    expect(e.code).toBe('CREDENTIAL_MISSING');
    expect(e.fix).toContain('id-token: write');
    expect(sim.counters().tokenRequests['client_credentials'] ?? 0).toBe(0);
  });
});

describe('certificate and client secret', () => {
  it('a certificate (PEM private key and certificate): SHA-256 thumbprint and x5c, the key masked', async () => {
    const app = sim.apps.certificate;
    const log = createMemoryLogger();
    const tenant = tenantConfig('certificate');
    const connection = await connectTenant({ tenant, log, sources: { env: { ...simEnv(sim), TENANT_SYNC_CERTIFICATE: `${app.privateKeyPem}\n${app.certPem}` } } });
    connection.close();
    expect(sim.counters().tokenRequests['client_credentials']).toBe(1);
    expect(log.registry.redact(app.privateKeyPem.trim())).toBe('***');
  });

  it('a client secret, masked; a rejected one is AUTH_BAD_SECRET (AADSTS7000215) and never printed', async () => {
    const log = createMemoryLogger();
    const connection = await connectTenant({ tenant: tenantConfig('secret'), log, sources: { env: simEnv(sim) } });
    connection.close();
    expect(log.registry.redact(sim.apps.secret.clientSecret)).toBe('***');
    const canary = 'canary-secret-7000215-Zq9~x7Lk2Pw';
    const e = await failure(connect({ tenant: tenantConfig('secret'), log, sources: { env: { ...simEnv(sim), TENANT_SYNC_CLIENT_SECRET: canary } } }));
    expect(e.code).toBe('AUTH_BAD_SECRET');
    expect(e.message).toContain('AADSTS7000215');
    expect(e.describe()).not.toContain(canary);
    expect(log.registry.redact(canary)).toBe('***');
  });

  it('no admin consent (AADSTS65001): AUTH_CONSENT_MISSING with the v2.0 consent link, which is Pending admin consent', async () => {
    sim.setScenario({ adminConsent: false });
    const tenant = tenantConfig('secret');
    const e = await failure(connectTenant({ tenant, log: createMemoryLogger(), sources: { env: simEnv(sim) } }));
    expect(e.code).toBe('AUTH_CONSENT_MISSING');
    expect(e.fix).toContain(`${sim.loginUrl}/${sim.tenantId}/v2.0/adminconsent?client_id=${sim.apps.secret.clientId}&scope=`);
    expect(finalStatus({ error: e })).toBe('Pending admin consent');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('every sign-in refusal has a stable code and says what to do', () => {
  it.each([
    ['7000215', 'AUTH_BAD_SECRET', 'secret'],
    ['7000222', 'AUTH_SECRET_EXPIRED', 'secret'],
    ['700027', 'AUTH_BAD_CERTIFICATE', 'certificate'],
    ['7000218', 'AUTH_NO_CREDENTIAL', 'secret'],
    ['7000218', 'AUTH_NO_CREDENTIAL', 'device-code'],
    ['700211', 'AUTH_FEDERATION_MISMATCH', 'federated'],
    ['700212', 'AUTH_FEDERATION_MISMATCH', 'federated'],
    ['700213', 'AUTH_FEDERATION_MISMATCH', 'federated'],
    ['70021', 'AUTH_FEDERATION_MISMATCH', 'federated'],
    ['700016', 'AUTH_UNKNOWN_APP', 'secret'],
    ['90002', 'AUTH_UNKNOWN_TENANT', 'secret'],
    ['65001', 'AUTH_CONSENT_MISSING', 'secret'],
    ['53003', 'AUTH_CONDITIONAL_ACCESS', 'device-code'],
    ['50076', 'AUTH_MFA_REQUIRED', 'device-code'],
    ['50079', 'AUTH_MFA_REQUIRED', 'device-code'],
    ['70008', 'AUTH_REFRESH_EXPIRED', 'device-code'],
    ['700082', 'AUTH_REFRESH_EXPIRED', 'device-code'],
    ['50173', 'AUTH_REFRESH_EXPIRED', 'device-code'],
    ['70019', 'AUTH_DEVICE_CODE_TIMEOUT', 'device-code'],
  ] as const)('AADSTS%s -> %s (%s)', (number, code, credential) => {
    const e = authErrorFromMsal(
      { errorNo: number, errorCode: 'invalid_grant', errorMessage: `AADSTS${number}: refused.` },
      { tenantId: sim.tenantId, clientId: sim.apps.secret.clientId, credential, authorityHost: sim.loginUrl },
    );
    expect(e.code).toBe(code);
    expect(e.fix.length).toBeGreaterThan(20);
    if (number === '7000218' && credential === 'device-code') expect(e.fix).toContain('Allow public client flows');
  });
});
