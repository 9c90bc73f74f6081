/**
 * The identity platform as MSAL Node sees it: client credentials with a secret, a certificate
 * (SHA-1 and SHA-256 thumbprints) and a federated GitHub OIDC token; the AADSTS error bodies;
 * device code approved or refused through the control API; refresh and its expiry.
 */
import { ConfidentialClientApplication, PublicClientApplication, type AuthError } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from '../simulator/jwt.js';
import { startSimulator, type Simulator } from '../simulator/index.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ tenant: false, deviceCode: { intervalSeconds: 1 } });
});
afterAll(async () => {
  await sim.close();
});

function claims(token: string): Record<string, unknown> {
  return decodeJwt(token)?.payload ?? {};
}

function secretClient(secret = sim.apps.secret.clientSecret, clientId = sim.apps.secret.clientId) {
  return new ConfidentialClientApplication({
    auth: { clientId, authority: sim.authority, clientSecret: secret, knownAuthorities: [sim.loginUrl] },
  });
}

async function msalError(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (e) {
    return e as AuthError;
  }
  throw new Error('expected MSAL to fail');
}

describe('client credentials through MSAL', () => {
  it('a client secret gets an app token for the simulator Graph, with the scenario roles', async () => {
    const result = await secretClient().acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] });
    expect(result?.accessToken).toBeTruthy();
    const c = claims(result?.accessToken ?? '');
    expect(c['aud']).toBe(sim.graphUrl);
    expect(c['tid']).toBe(sim.tenantId);
    expect(c['appid']).toBe(sim.apps.secret.clientId);
    expect(c['idtyp']).toBe('app');
    expect(c['roles']).toEqual(sim.scenario.appRoles);
    expect(Number(c['exp']) - Number(c['iat'])).toBe(sim.scenario.accessTokenLifetimeSeconds);
    const graph = await fetch(`${sim.graphUrl}/v1.0/groups`, { headers: { Authorization: `Bearer ${result?.accessToken}` } });
    expect(graph.status).toBe(200);
  });

  it('instance discovery from /common/discovery/instance works as cloudDiscoveryMetadata (no knownAuthorities)', async () => {
    const discovery = await fetch(
      `${sim.loginUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${sim.authority}/oauth2/v2.0/authorize`)}`,
    );
    expect(discovery.status).toBe(200);
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: sim.apps.secret.clientId,
        authority: sim.authority,
        clientSecret: sim.apps.secret.clientSecret,
        cloudDiscoveryMetadata: await discovery.text(),
      },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(claims(result?.accessToken ?? '')['aud']).toBe('https://graph.microsoft.com');
  });

  it('a wrong secret fails with AADSTS7000215 and the real error body', async () => {
    const e = await msalError(secretClient('not-the-secret').acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] }));
    expect(e.errorCode).toBe('invalid_client');
    expect(e.errorMessage).toContain('AADSTS7000215');
    expect(e.errorMessage).toMatch(/Trace ID: [0-9a-f-]{36}/);

    const raw = await fetch(`${sim.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: sim.apps.secret.clientId, client_secret: 'x', grant_type: 'client_credentials', scope: `${sim.graphUrl}/.default` }),
    });
    expect(raw.status).toBe(401);
    const body = (await raw.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'error_uri', 'timestamp', 'trace_id']);
    expect(body['error_codes']).toEqual([7000215]);
    expect(String(body['error_description'])).toMatch(/^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
  });

  it('an unknown app, an unknown tenant and a missing credential have their AADSTS codes', async () => {
    const post = (path: string, form: Record<string, string>) =>
      fetch(`${sim.loginUrl}${path}`, { method: 'POST', body: new URLSearchParams(form) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string; error_codes: number[] } }));
    const scope = `${sim.graphUrl}/.default`;
    const unknownApp = await post(`/${sim.tenantId}/oauth2/v2.0/token`, { client_id: '11111111-1111-1111-1111-111111111111', client_secret: 's', grant_type: 'client_credentials', scope });
    expect(unknownApp.body.error_codes).toEqual([700016]);
    const unknownTenant = await post(`/fabrikam.onmicrosoft.com/oauth2/v2.0/token`, { client_id: sim.apps.secret.clientId, client_secret: 's', grant_type: 'client_credentials', scope });
    expect(unknownTenant.body.error_codes).toEqual([90002]);
    const none = await post(`/${sim.tenantId}/oauth2/v2.0/token`, { client_id: sim.apps.secret.clientId, grant_type: 'client_credentials', scope });
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000218] } });
  });

  it('no admin consent: AADSTS65001', async () => {
    sim.setScenario({ adminConsent: false });
    try {
      const e = await msalError(secretClient().acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`], skipCache: true }));
      expect(e.errorMessage).toContain('AADSTS65001');
    } finally {
      sim.setScenario({ adminConsent: true });
    }
  });

  it('a certificate (SHA-1 thumbprint, RS256 assertion) gets a token', async () => {
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: sim.apps.certificate.clientId,
        authority: sim.authority,
        knownAuthorities: [sim.loginUrl],
        clientCertificate: { thumbprint: sim.apps.certificate.thumbprint, privateKey: sim.apps.certificate.privateKeyPem },
      },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] });
    expect(claims(result?.accessToken ?? '')['appid']).toBe(sim.apps.certificate.clientId);
    expect(claims(result?.accessToken ?? '')['appidacr']).toBe('2');
  });

  it('a certificate with its SHA-256 thumbprint (PS256 assertion, x5t#S256) gets a token', async () => {
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: sim.apps.certificate.clientId,
        authority: sim.authority,
        knownAuthorities: [sim.loginUrl],
        clientCertificate: { thumbprintSha256: sim.apps.certificate.thumbprintSha256, privateKey: sim.apps.certificate.privateKeyPem },
      },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] });
    expect(result?.accessToken).toBeTruthy();
  });

  it('a certificate that is not registered fails with AADSTS700027', async () => {
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: sim.apps.certificate.clientId,
        authority: sim.authority,
        knownAuthorities: [sim.loginUrl],
        clientCertificate: { thumbprint: 'AA'.repeat(20), privateKey: sim.apps.certificate.privateKeyPem },
      },
    });
    const e = await msalError(app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] }));
    expect(e.errorMessage).toContain('AADSTS700027');
  });

  it('a federated GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL semantics) gets a token', async () => {
    const idTokenResponse = await fetch(`${sim.github.requestUrl}&audience=${encodeURIComponent('api://AzureADTokenExchange')}`, {
      headers: { Authorization: `Bearer ${sim.github.requestToken}` },
    });
    expect(idTokenResponse.status).toBe(200);
    const { value } = (await idTokenResponse.json()) as { value: string };
    expect(claims(value)).toMatchObject({ iss: sim.github.issuer, aud: 'api://AzureADTokenExchange', sub: 'repo:contoso/tenant-config:ref:refs/heads/main' });
    const jwks = (await (await fetch(`${sim.github.issuer}/.well-known/jwks`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);

    const app = new ConfidentialClientApplication({
      auth: { clientId: sim.apps.certificate.clientId, authority: sim.authority, knownAuthorities: [sim.loginUrl], clientAssertion: value },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] });
    expect(claims(result?.accessToken ?? '')['appid']).toBe(sim.apps.certificate.clientId);

    const unauthorized = await fetch(sim.github.requestUrl, { headers: { Authorization: 'Bearer wrong' } });
    expect(unauthorized.status).toBe(401);
  });

  it('a federated token for another subject fails with AADSTS700213, another audience with AADSTS700212', async () => {
    sim.setScenario({ github: { environment: 'production' } });
    try {
      const app = new ConfidentialClientApplication({
        auth: {
          clientId: sim.apps.certificate.clientId,
          authority: sim.authority,
          knownAuthorities: [sim.loginUrl],
          clientAssertion: sim.mintGithubToken('api://AzureADTokenExchange'),
        },
      });
      const e = await msalError(app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] }));
      expect(e.errorMessage).toContain('AADSTS700213');
      expect(e.errorMessage).toContain("subject 'repo:contoso/tenant-config:environment:production'");
    } finally {
      sim.setScenario({ github: { environment: undefined } });
    }
    const app = new ConfidentialClientApplication({
      auth: { clientId: sim.apps.certificate.clientId, authority: sim.authority, knownAuthorities: [sim.loginUrl], clientAssertion: sim.mintGithubToken('api://Other') },
    });
    const e = await msalError(app.acquireTokenByClientCredential({ scopes: [`${sim.graphUrl}/.default`] }));
    expect(e.errorMessage).toContain('AADSTS700212');
  });
});

describe('device code through MSAL', () => {
  function publicClient() {
    return new PublicClientApplication({ auth: { clientId: sim.apps.secret.clientId, authority: sim.authority, knownAuthorities: [sim.loginUrl] } });
  }
  const scopes = () => [`${sim.graphUrl}/DeviceManagementConfiguration.Read.All`];

  it('approved through the control API: a delegated token, an account and a refresh token', async () => {
    const app = publicClient();
    let message = '';
    const pending = app.acquireTokenByDeviceCode({ scopes: scopes(), deviceCodeCallback: (r) => (message = r.message) });
    const code = await sim.deviceCodes.waitForPending(10_000);
    expect(sim.deviceCodes.pending().map((p) => p.userCode)).toContain(code.userCode);
    sim.deviceCodes.approve({ userCode: code.userCode });
    const result = await pending;
    expect(message).toContain(code.userCode);
    const c = claims(result?.accessToken ?? '');
    expect(c).toMatchObject({ idtyp: 'user', scp: 'DeviceManagementConfiguration.Read.All', upn: sim.scenario.user.upn, aud: sim.graphUrl });
    expect(result?.account?.username).toBe(sim.scenario.user.upn);
    expect(result?.account?.tenantId).toBe(sim.tenantId);
    const graph = await fetch(`${sim.graphUrl}/beta/deviceManagement/configurationPolicies`, { headers: { Authorization: `Bearer ${result?.accessToken}` } });
    expect([200, 400]).toContain(graph.status); // 400 when the catalogue lacks the type; never 401/403

    // refresh_token grant with rotation
    const before = sim.counters().tokenRequests['refresh_token'] ?? 0;
    const account = result?.account;
    if (!account) throw new Error('no account');
    const silent = await app.acquireTokenSilent({ account, scopes: scopes(), forceRefresh: true });
    expect(silent.accessToken).not.toBe(result?.accessToken);
    expect(sim.counters().tokenRequests['refresh_token']).toBe(before + 1);

    // an expired refresh token: AADSTS70008, interaction required
    sim.expireRefreshTokens();
    const e = await msalError(app.acquireTokenSilent({ account, scopes: scopes(), forceRefresh: true }));
    expect(e.name).toBe('InteractionRequiredAuthError');
    expect(e.errorMessage).toContain('AADSTS70008');
  });

  it('refused with a Conditional Access block: the token endpoint answers AADSTS53003', async () => {
    const app = publicClient();
    const pending = msalError(app.acquireTokenByDeviceCode({ scopes: scopes(), deviceCodeCallback: () => undefined }));
    await sim.deviceCodes.waitForPending(10_000);
    const before = sim.counters().tokenErrors['53003'] ?? 0;
    sim.deviceCodes.refuse({ error: 53003 });
    const e = await pending;
    // MSAL's device code client reports only the OAuth error ('invalid_grant'); the body carried 53003.
    expect(e.errorMessage).toContain('invalid_grant');
    expect(sim.counters().tokenErrors['53003']).toBe(before + 1);
  });

  it('MFA required (50076) is answered in the real body shape', async () => {
    const res = await fetch(`${sim.authority}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: sim.apps.secret.clientId, scope: `${scopes()[0]} offline_access openid profile` }),
    });
    const dc = (await res.json()) as { device_code: string; user_code: string; interval: number; expires_in: number; verification_uri: string };
    expect(dc).toMatchObject({ interval: 1, expires_in: 900, verification_uri: `${sim.loginUrl}/devicelogin` });
    const poll = () =>
      fetch(`${sim.authority}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: sim.apps.secret.clientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: dc.device_code }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await poll()).toMatchObject({ status: 400, body: { error: 'authorization_pending', error_codes: [70016] } });
    sim.deviceCodes.refuse({ userCode: dc.user_code, error: 50076 });
    expect(await poll()).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [50076], suberror: 'basic_action' } });
    expect(await poll()).toMatchObject({ body: { error_codes: [54005] } });
  });

  it('an expired code answers expired_token (AADSTS70019); autoApprove signs in after N polls', async () => {
    const start = (scope: string) =>
      fetch(`${sim.authority}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams({ client_id: sim.apps.secret.clientId, scope }) }).then(
        (r) => r.json() as Promise<{ device_code: string }>,
      );
    const poll = (code: string) =>
      fetch(`${sim.authority}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: sim.apps.secret.clientId, grant_type: 'device_code', device_code: code, scope: `${scopes()[0]} openid offline_access`, client_info: '1' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    sim.setScenario({ deviceCode: { expiresInSeconds: 0 } });
    try {
      const dc = await start(scopes()[0] ?? '');
      expect(await poll(dc.device_code)).toMatchObject({ status: 400, body: { error: 'expired_token', error_codes: [70019] } });
    } finally {
      sim.setScenario({ deviceCode: { expiresInSeconds: 900 } });
    }
    sim.setScenario({ deviceCode: { autoApprove: { afterPolls: 2 } } });
    try {
      const dc = await start(`${scopes()[0]} openid offline_access`);
      expect((await poll(dc.device_code)).body['error']).toBe('authorization_pending');
      const done = await poll(dc.device_code);
      expect(done.status).toBe(200);
      expect(Object.keys(done.body).sort()).toEqual(['access_token', 'client_info', 'expires_in', 'ext_expires_in', 'id_token', 'refresh_token', 'refresh_token_expires_in', 'scope', 'token_type']);
    } finally {
      sim.setScenario({ deviceCode: { autoApprove: false } });
    }
  });
});
