/**
 * The Microsoft identity platform as MSAL Node sees it (login server):
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   (and the v1 /{tenant}/.well-known/...)
 *   GET  /common/discovery/instance?api-version=1.1&authorization_endpoint=...
 *   GET  /{tenant}/discovery/v2.0/keys
 *   POST /{tenant}/oauth2/v2.0/token        client_credentials (secret, certificate assertion,
 *                                            federated assertion), device_code, refresh_token
 *   POST /{tenant}/oauth2/v2.0/devicecode
 *   GET/POST /devicelogin                    a minimal page to approve a device code by hand
 *   GET  /_github/...                         the GitHub Actions OIDC issuer (see github.ts)
 *
 * Errors use the AADSTS body: { error, error_description: "AADSTSnnn: ...\r\nTrace ID: ...\r\n
 * Correlation ID: ...\r\nTimestamp: ...", error_codes, timestamp, trace_id, correlation_id, error_uri }.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bump, type AppRecord, type Core, type DeviceCodeRecord } from './core.js';
import { handleGithub } from './github.js';
import { decodeJwt, publicJwk, signJwt, verifyJwtSignature, type DecodedJwt } from './jwt.js';
import type { DelegatedFailure, SignedInUser } from './types.js';
import { aadTimestamp, nowSeconds, randomToken, readBody, sendJson } from './util.js';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`AADSTS${code}: ${description}`);
  }
}

interface Ctx {
  core: Core;
  traceId: string;
  correlationId: string;
  base: string;
}

function tenantOf(core: Core, segment: string | undefined): 'tenant' | 'common' | undefined {
  if (!segment) return undefined;
  const s = segment.toLowerCase();
  if (s === core.tenantId || s === core.tenantName || s === core.tenantDomain) return 'tenant';
  if (s === 'common' || s === 'organizations') return 'common';
  return undefined;
}

function unknownTenant(segment: string): AadError {
  return new AadError(
    400,
    'invalid_request',
    90002,
    `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

function sendAadError(ctx: Ctx, res: ServerResponse, e: AadError): void {
  const timestamp = aadTimestamp();
  bump(ctx.core.counters.tokenErrors, String(e.code));
  ctx.core.log(`login: ${e.error} AADSTS${e.code}`);
  sendJson(
    res,
    e.status,
    {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description}\r\nTrace ID: ${ctx.traceId}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: ctx.traceId,
      correlation_id: ctx.correlationId,
      error_uri: `${ctx.base}/error?code=${e.code}`,
      ...e.extra,
    },
    loginHeaders(ctx),
  );
}

function loginHeaders(ctx: Ctx): Record<string, string> {
  return {
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    'x-ms-request-id': ctx.traceId,
    'client-request-id': ctx.correlationId,
  };
}

export function openIdConfiguration(base: string, tenantId: string): Record<string, unknown> {
  return {
    token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${tenantId}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/${tenantId}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/${tenantId}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** The hosts MSAL may use for this authority (instance discovery aliases). */
function hostAliases(base: string): string[] {
  const url = new URL(base);
  return [...new Set([url.host, `localhost:${url.port}`, `127.0.0.1:${url.port}`])];
}

export async function handleLogin(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.headers.host ?? new URL(core.loginUrl).host;
  const base = `https://${host}`;
  const url = new URL(req.url ?? '/', base);
  const ctx: Ctx = {
    core,
    traceId: randomUUID(),
    correlationId: String(req.headers['client-request-id'] ?? randomUUID()),
    base,
  };
  const segments = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  try {
    if (segments[0] === '_github') {
      await handleGithub(core, req, res, url, segments.slice(1));
      return;
    }
    if (segments[0] === 'devicelogin') {
      await deviceLoginPage(core, req, res);
      return;
    }
    if (segments[0] === 'error') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`AADSTS${url.searchParams.get('code') ?? ''} (tenant-sync simulator): see https://login.microsoftonline.com/error?code=${url.searchParams.get('code') ?? ''}\n`);
      return;
    }
    const [tenantSeg, ...rest] = segments;
    const path = rest.join('/');
    if (req.method === 'GET' && tenantSeg === 'common' && path === 'discovery/instance') {
      const aliases = hostAliases(base);
      sendJson(res, 200, {
        tenant_discovery_endpoint: `${base}/${core.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: new URL(base).host, preferred_cache: new URL(base).host, aliases }],
      });
      return;
    }
    const which = tenantOf(core, tenantSeg);
    if (req.method === 'GET' && (path === 'v2.0/.well-known/openid-configuration' || path === '.well-known/openid-configuration')) {
      if (!which) throw unknownTenant(tenantSeg ?? '');
      // /common and /organizations answer with the {tenantid} template, as Entra does.
      const config = openIdConfiguration(base, which === 'tenant' ? core.tenantId : '{tenantid}');
      sendJson(res, 200, config, loginHeaders(ctx));
      return;
    }
    if (req.method === 'GET' && (path === 'discovery/v2.0/keys' || path === 'discovery/keys')) {
      sendJson(res, 200, { keys: [publicJwk(core.sts.publicKey, core.sts.kid, { x5t: core.sts.kid })] });
      return;
    }
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      if (!which) throw unknownTenant(tenantSeg ?? '');
      const form = await readForm(req);
      if (form['client-request-id']) ctx.correlationId = form['client-request-id'];
      await tokenEndpoint(ctx, req, res, form, which);
      return;
    }
    if (req.method === 'POST' && path === 'oauth2/v2.0/devicecode') {
      if (!which) throw unknownTenant(tenantSeg ?? '');
      const form = await readForm(req);
      deviceCodeEndpoint(ctx, res, form);
      return;
    }
    sendJson(res, 404, { error: 'not_found', error_description: `No such endpoint: ${req.method} ${url.pathname}` });
  } catch (e) {
    if (e instanceof AadError) sendAadError(ctx, res, e);
    else {
      core.log(`login: internal error ${(e as Error).message}`);
      sendJson(res, 500, { error: 'server_error', error_description: (e as Error).message });
    }
  }
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const text = await readBody(req);
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// token endpoint

async function tokenEndpoint(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  form: Record<string, string>,
  which: 'tenant' | 'common',
): Promise<void> {
  const { core } = ctx;
  const grant = form['grant_type'] ?? '';
  bump(core.counters.tokenRequests, grant || '(none)');
  // client_secret_basic
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    if (id && !form['client_id']) form['client_id'] = decodeURIComponent(id);
    if (secret !== undefined && !form['client_secret']) form['client_secret'] = decodeURIComponent(secret);
  }
  if (!grant) throw new AadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  const clientId = form['client_id'];
  if (!clientId) throw new AadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  const app = core.appRecords.get(clientId.toLowerCase());
  if (!app) throw unknownApp(core, clientId);

  switch (grant) {
    case 'client_credentials': {
      if (which === 'common') {
        throw new AadError(400, 'invalid_request', 9001023, 'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.');
      }
      const method = authenticateClient(ctx, app, form, true);
      const resource = singleResource(ctx, form['scope'] ?? '', true);
      if (!core.scenario.adminConsent) throw consentMissing(app);
      const token = issueAppToken(core, app, resource, method);
      ctx.core.log(`login: app token for ${app.displayName} (${method}) aud=${resource}`);
      sendJson(res, 200, { token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.jwt }, loginHeaders(ctx));
      return;
    }
    // The documented URN, and the short form MSAL sends.
    case DEVICE_CODE_GRANT:
    case 'device_code': {
      authenticateClient(ctx, app, form, false);
      const code = form['device_code'] ?? '';
      const record = core.deviceCodes.get(code);
      if (!record || record.clientId.toLowerCase() !== clientId.toLowerCase()) {
        throw new AadError(400, 'bad_verification_code', 70018, 'Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved.');
      }
      pollDeviceCode(ctx, res, record, app, form);
      return;
    }
    case 'refresh_token': {
      authenticateClient(ctx, app, form, false);
      redeemRefreshToken(ctx, res, app, form);
      return;
    }
    default:
      throw new AadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
  }
}

function unknownApp(core: Core, clientId: string): AadError {
  return new AadError(
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${core.tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

function consentMissing(app: AppRecord): AadError {
  return new AadError(
    400,
    'invalid_grant',
    65001,
    `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
    { suberror: 'consent_required' },
  );
}

type ClientAuthMethod = 'secret' | 'certificate' | 'federated' | 'public';

/** Confidential client authentication; public clients (device code, refresh) may send none. */
function authenticateClient(ctx: Ctx, app: AppRecord, form: Record<string, string>, required: boolean): ClientAuthMethod {
  const secret = form['client_secret'];
  const assertion = form['client_assertion'];
  if (secret !== undefined) {
    if (!app.secret || secret !== app.secret) {
      throw new AadError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    return 'secret';
  }
  if (assertion !== undefined) {
    if (form['client_assertion_type'] !== JWT_BEARER) {
      throw new AadError(400, 'invalid_request', 90100, `The parameter 'client_assertion_type' is empty or not valid. Expected '${JWT_BEARER}'.`);
    }
    const jwt = decodeJwt(assertion);
    if (!jwt) throw new AadError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    if (jwt.payload['iss'] === app.clientId || String(jwt.payload['iss']).toLowerCase() === app.clientId.toLowerCase()) {
      verifyCertificateAssertion(ctx, app, jwt);
      return 'certificate';
    }
    verifyFederatedAssertion(ctx, app, jwt);
    return 'federated';
  }
  if (required) {
    throw new AadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  return 'public';
}

function checkTimes(jwt: DecodedJwt): void {
  const now = nowSeconds();
  const exp = Number(jwt.payload['exp']);
  const nbf = jwt.payload['nbf'] === undefined ? undefined : Number(jwt.payload['nbf']);
  if (!Number.isFinite(exp) || exp + 300 < now || (nbf !== undefined && nbf - 300 > now)) {
    throw new AadError(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${nbf === undefined ? 'unknown' : new Date(nbf * 1000).toISOString()}, expiry time of assertion ${Number.isFinite(exp) ? new Date(exp * 1000).toISOString() : 'unknown'}.`,
    );
  }
}

/** Accepted audiences of a certificate assertion: the token endpoint (any tenant alias) or the issuer. */
function assertionAudienceOk(ctx: Ctx, aud: unknown): boolean {
  const { core } = ctx;
  const values = Array.isArray(aud) ? aud : [aud];
  const hosts = new Set(hostAliases(ctx.base).concat(new URL(core.loginUrl).host));
  return values.some((value) => {
    if (typeof value !== 'string') return false;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.protocol !== 'https:' || !hosts.has(url.host)) return false;
    const [tenantSeg, ...rest] = url.pathname.split('/').filter(Boolean);
    if (tenantOf(core, tenantSeg) !== 'tenant') return false;
    const path = rest.join('/');
    return path === 'oauth2/v2.0/token' || path === 'oauth2/token' || path === 'v2.0' || path === '';
  });
}

function verifyCertificateAssertion(ctx: Ctx, app: AppRecord, jwt: DecodedJwt): void {
  const alg = jwt.header['alg'];
  if (alg !== 'RS256' && alg !== 'PS256') {
    throw new AadError(401, 'invalid_client', 5002738, `Invalid JWT token. '${String(alg)}' is not a supported signature algorithm. Supported signing algorithms are: 'RS256,RS384,RS512,PS256,PS384,PS512'`);
  }
  if (jwt.payload['sub'] !== jwt.payload['iss']) {
    throw new AadError(401, 'invalid_client', 50048, 'Subject mismatches Issuer claim in the client assertion.');
  }
  const x5t = typeof jwt.header['x5t'] === 'string' ? Buffer.from(jwt.header['x5t'], 'base64url').toString('hex').toUpperCase() : undefined;
  const x5t256 = typeof jwt.header['x5t#S256'] === 'string' ? Buffer.from(jwt.header['x5t#S256'], 'base64url').toString('hex').toUpperCase() : undefined;
  const cert = app.certificates.find((c) => (x5t !== undefined && c.sha1 === x5t) || (x5t256 !== undefined && c.sha256 === x5t256));
  if (!cert) {
    throw new AadError(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${x5t ?? x5t256 ?? 'none'}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
    );
  }
  if (!verifyJwtSignature(jwt, cert.publicKey)) {
    throw new AadError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  if (!assertionAudienceOk(ctx, jwt.payload['aud'])) {
    throw new AadError(
      401,
      'invalid_client',
      700021,
      `Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials. Audience: '${String(jwt.payload['aud'])}'.`,
    );
  }
  checkTimes(jwt);
}

function verifyFederatedAssertion(ctx: Ctx, app: AppRecord, jwt: DecodedJwt): void {
  const { core } = ctx;
  const iss = String(jwt.payload['iss'] ?? '');
  const sub = String(jwt.payload['sub'] ?? '');
  const audClaim = jwt.payload['aud'];
  const auds = (Array.isArray(audClaim) ? audClaim : [audClaim]).map(String);
  if (app.federatedCredentials.length === 0) {
    throw new AadError(400, 'invalid_request', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`);
  }
  const byIssuer = app.federatedCredentials.filter((c) => c.issuer === iss);
  const hint = 'Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
  if (byIssuer.length === 0) {
    throw new AadError(401, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`);
  }
  // Keys of the issuer: the simulated GitHub Actions issuer is the one the simulator knows.
  if (iss !== core.githubIssuer || jwt.header['kid'] !== core.github.kid || !verifyJwtSignature(jwt, core.github.publicKey)) {
    throw new AadError(401, 'invalid_client', 50027, `Invalid JWT token. External ID token from issuer '${iss}' failed signature verification.`);
  }
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (bySubject.length === 0) {
    throw new AadError(401, 'invalid_client', 700213, `No matching federated identity record found for presented assertion subject '${sub}'. ${hint}`);
  }
  if (!bySubject.some((c) => c.audiences.some((a) => auds.includes(a)))) {
    throw new AadError(401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${auds.join(',')}'. ${hint}`);
  }
  checkTimes(jwt);
}

interface ParsedScopes {
  resource: string;
  /** permissions (without the resource prefix), '.default' included */
  permissions: string[];
  /** OIDC scopes requested (openid, profile, offline_access, email) */
  oidc: string[];
  /** the scope strings as requested (for the response's scope) */
  requested: string[];
}

function parseScopes(ctx: Ctx, scope: string): ParsedScopes {
  const requested = scope.split(/\s+/).filter(Boolean);
  const oidc: string[] = [];
  const permissions: string[] = [];
  const resources = new Set<string>();
  for (const s of requested) {
    if (OIDC_SCOPES.has(s)) {
      oidc.push(s);
      continue;
    }
    const slash = s.lastIndexOf('/');
    if (slash > 0) {
      resources.add(s.slice(0, slash).replace(/\/+$/, ''));
      permissions.push(s.slice(slash + 1));
    } else {
      resources.add('https://graph.microsoft.com');
      permissions.push(s);
    }
  }
  if (resources.size > 1) {
    throw new AadError(400, 'invalid_scope', 700022, 'The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ' + scope + ' is not valid.');
  }
  const resource = [...resources][0] ?? 'https://graph.microsoft.com';
  if (!ctx.core.isGraphResource(resource)) {
    throw new AadError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${ctx.core.tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  return { resource, permissions, oidc, requested };
}

function singleResource(ctx: Ctx, scope: string, clientCredentials: boolean): string {
  if (!scope) throw new AadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  const parsed = parseScopes(ctx, scope);
  if (clientCredentials && (parsed.permissions.length !== 1 || parsed.permissions[0] !== '.default')) {
    throw new AadError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  return parsed.resource;
}

function tokenSeq(core: Core): { uti: string; seq: number } {
  const seq = ++core.nextTokenSeq;
  const uti = randomToken(16);
  core.tokenSeqByUti.set(uti, seq);
  return { uti, seq };
}

function issueAppToken(core: Core, app: AppRecord, resource: string, method: ClientAuthMethod): { jwt: string; expiresIn: number } {
  const now = nowSeconds();
  const lifetime = core.scenario.accessTokenLifetimeSeconds;
  const roles = core.rolesFor(app.clientId);
  const { uti } = tokenSeq(core);
  const payload: Record<string, unknown> = {
    aud: resource,
    iss: `https://sts.windows.net/${core.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    aio: randomToken(24),
    app_displayname: app.displayName,
    appid: app.clientId,
    appidacr: method === 'secret' ? '1' : '2',
    idp: `https://sts.windows.net/${core.tenantId}/`,
    idtyp: 'app',
    oid: app.servicePrincipalId,
    rh: randomToken(12),
    sub: app.servicePrincipalId,
    tenant_region_scope: 'EU',
    tid: core.tenantId,
    uti,
    ver: '1.0',
    xms_tcdt: now - 86400 * 365,
  };
  if (roles.length > 0) payload['roles'] = roles;
  return { jwt: signJwt({ alg: 'RS256', kid: core.sts.kid, x5t: core.sts.kid, nonce: randomToken(16) }, payload, core.sts.privateKey), expiresIn: lifetime };
}

function issueUserTokens(
  ctx: Ctx,
  app: AppRecord,
  user: SignedInUser,
  scopes: ParsedScopes,
  form: Record<string, string>,
): Record<string, unknown> {
  const { core } = ctx;
  const consented = new Set(core.scenario.delegatedScopes.map((s) => s.toLowerCase()));
  let granted: string[];
  if (scopes.permissions.includes('.default') || scopes.permissions.length === 0) {
    granted = [...core.scenario.delegatedScopes];
  } else {
    const missing = scopes.permissions.filter((p) => !consented.has(p.toLowerCase()));
    if (missing.length > 0) throw consentMissing(app);
    granted = scopes.permissions;
  }
  const now = nowSeconds();
  const lifetime = core.scenario.accessTokenLifetimeSeconds;
  const { uti } = tokenSeq(core);
  const accessToken = signJwt(
    { alg: 'RS256', kid: core.sts.kid, x5t: core.sts.kid, nonce: randomToken(16) },
    {
      aud: scopes.resource,
      iss: `https://sts.windows.net/${core.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      acr: '1',
      aio: randomToken(24),
      amr: ['pwd', 'mfa'],
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: '0',
      idtyp: 'user',
      ipaddr: '127.0.0.1',
      name: user.name,
      oid: user.oid,
      platf: '14',
      puid: createHash('sha256').update(user.oid).digest('hex').slice(0, 16).toUpperCase(),
      rh: randomToken(12),
      scp: granted.join(' '),
      sub: createHash('sha256').update(`${user.oid}:${app.clientId}`).digest('base64url').slice(0, 43),
      tenant_region_scope: 'EU',
      tid: core.tenantId,
      unique_name: user.upn,
      upn: user.upn,
      uti,
      ver: '1.0',
      xms_tcdt: now - 86400 * 365,
    },
    core.sts.privateKey,
  );
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: scopes.requested.filter((s) => s !== 'offline_access').join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
  };
  if (scopes.oidc.includes('offline_access')) {
    const refreshToken = `0.${randomToken(96)}`;
    core.refreshTokens.set(refreshToken, {
      clientId: app.clientId,
      user,
      scopes: scopes.requested,
      issuedAt: Date.now(),
      expiresAt: Date.now() + core.scenario.refreshTokenLifetimeSeconds * 1000,
      used: false,
    });
    body['refresh_token'] = refreshToken;
    body['refresh_token_expires_in'] = core.scenario.refreshTokenLifetimeSeconds;
  }
  if (scopes.oidc.includes('openid')) {
    body['id_token'] = signJwt(
      { alg: 'RS256', kid: core.sts.kid },
      {
        aud: app.clientId,
        iss: `${ctx.base}/${core.tenantId}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.name,
        oid: user.oid,
        preferred_username: user.upn,
        rh: randomToken(12),
        sub: createHash('sha256').update(`${user.oid}:${app.clientId}:id`).digest('base64url').slice(0, 43),
        tid: core.tenantId,
        uti: randomToken(16),
        ver: '2.0',
      },
      core.sts.privateKey,
    );
  }
  if (form['client_info'] === '1') {
    body['client_info'] = Buffer.from(JSON.stringify({ uid: user.oid, utid: core.tenantId })).toString('base64url');
  }
  return body;
}

function delegatedFailure(app: AppRecord, failure: DelegatedFailure | 70008, resource: string): AadError {
  switch (failure) {
    case 53003:
      return new AadError(
        400,
        'invalid_grant',
        53003,
        'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
        { suberror: 'message_only' },
      );
    case 50076:
      return new AadError(
        400,
        'invalid_grant',
        50076,
        `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource}'.`,
        { suberror: 'basic_action' },
      );
    case 50079:
      return new AadError(
        400,
        'invalid_grant',
        50079,
        `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${resource}'.`,
        { suberror: 'basic_action' },
      );
    case 65001:
      return consentMissing(app);
    case 70008:
      return expiredRefreshToken();
    case 'declined':
      return new AadError(400, 'authorization_declined', 65004, 'User declined to consent to access the app.');
  }
}

function expiredRefreshToken(): AadError {
  return new AadError(
    400,
    'invalid_grant',
    70008,
    'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    // Entra marks an expired refresh token as a bad token (MSAL: InteractionRequiredAuthError, token dropped from cache).
    { suberror: 'bad_token' },
  );
}

// ---------------------------------------------------------------------------------------------
// device code

function userCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (const b of randomToken(16)) out += alphabet[b.charCodeAt(0) % alphabet.length];
  return out.slice(0, 9);
}

function deviceCodeEndpoint(ctx: Ctx, res: ServerResponse, form: Record<string, string>): void {
  const { core } = ctx;
  const clientId = form['client_id'];
  if (!clientId) throw new AadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  const app = core.appRecords.get(clientId.toLowerCase());
  if (!app) throw unknownApp(core, clientId);
  const scope = form['scope'] ?? '';
  if (!scope) throw new AadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  parseScopes(ctx, scope); // validates the resource
  const scenario = core.scenario.deviceCode;
  const interval = scenario.intervalSeconds ?? Math.max(1, Math.round(5 / core.scenario.timeScale));
  const record: DeviceCodeRecord = {
    deviceCode: `DAQABIQEAAAD--DLA3VO7QrddgJg7Wevr${randomToken(96)}`,
    userCode: userCode(),
    clientId: app.clientId,
    scopes: scope.split(/\s+/).filter(Boolean),
    createdAt: Date.now(),
    expiresAt: Date.now() + scenario.expiresInSeconds * 1000,
    polls: 0,
    state: 'pending',
  };
  core.deviceCodes.set(record.deviceCode, record);
  const verificationUri = `${ctx.base}/devicelogin`;
  core.log(`login: device code ${record.userCode} for ${app.displayName}`);
  core.events.emit('deviceCode', record);
  sendJson(
    res,
    200,
    {
      user_code: record.userCode,
      device_code: record.deviceCode,
      verification_uri: verificationUri,
      expires_in: scenario.expiresInSeconds,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${record.userCode} to authenticate.`,
    },
    loginHeaders(ctx),
  );
}

function pollDeviceCode(ctx: Ctx, res: ServerResponse, record: DeviceCodeRecord, app: AppRecord, form: Record<string, string>): void {
  const { core } = ctx;
  record.polls++;
  if (record.state === 'redeemed') {
    throw new AadError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
  }
  if (Date.now() >= record.expiresAt && record.state === 'pending') record.state = 'expired';
  if (record.state === 'expired') {
    throw new AadError(400, 'expired_token', 70019, 'Verification code expired.');
  }
  const auto = core.scenario.deviceCode.autoApprove;
  if (record.state === 'pending' && auto && record.polls >= auto.afterPolls) {
    record.state = 'approved';
    record.user = auto.user ?? core.scenario.user;
    record.outcome = core.scenario.deviceCode.outcome;
  }
  if (record.state === 'pending') {
    throw new AadError(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
  }
  const scopes = parseScopes(ctx, form['scope'] ?? record.scopes.join(' '));
  const outcome = record.outcome ?? 'success';
  record.state = 'redeemed';
  if (outcome !== 'success') throw delegatedFailure(app, outcome, scopes.resource);
  const body = issueUserTokens(ctx, app, record.user ?? core.scenario.user, scopes, form);
  core.log(`login: device code ${record.userCode} redeemed by ${(record.user ?? core.scenario.user).upn}`);
  sendJson(res, 200, body, loginHeaders(ctx));
}

function redeemRefreshToken(ctx: Ctx, res: ServerResponse, app: AppRecord, form: Record<string, string>): void {
  const { core } = ctx;
  const token = form['refresh_token'] ?? '';
  const record = core.refreshTokens.get(token);
  if (!record || record.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
    throw new AadError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
  }
  if (Date.now() > record.expiresAt) throw expiredRefreshToken();
  if (record.used && core.scenario.refreshTokenReuse === 'reject') {
    throw new AadError(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.');
  }
  const scopes = parseScopes(ctx, form['scope'] ?? record.scopes.join(' '));
  const failure = core.scenario.refreshFailure;
  if (failure !== null) throw delegatedFailure(app, failure, scopes.resource);
  record.used = true;
  // Rotation: a new refresh token comes with every redemption.
  if (!scopes.oidc.includes('offline_access')) {
    scopes.oidc.push('offline_access');
  }
  const body = issueUserTokens(ctx, app, record.user, scopes, form);
  sendJson(res, 200, body, loginHeaders(ctx));
}

// ---------------------------------------------------------------------------------------------
// approving device codes (control API and the /devicelogin page)

export function findDeviceCode(core: Core, userCode?: string): DeviceCodeRecord | undefined {
  const pending = [...core.deviceCodes.values()].filter((r) => r.state === 'pending' && Date.now() <= r.expiresAt);
  if (userCode) return pending.find((r) => r.userCode.toUpperCase() === userCode.toUpperCase());
  return pending[pending.length - 1];
}

export function approveDeviceCode(core: Core, options: { userCode?: string; user?: SignedInUser } = {}): DeviceCodeRecord {
  const record = findDeviceCode(core, options.userCode);
  if (!record) throw new Error(options.userCode ? `No pending device code ${options.userCode}` : 'No pending device code');
  record.state = 'approved';
  record.user = options.user ?? core.scenario.user;
  record.outcome = core.scenario.deviceCode.outcome;
  core.log(`login: device code ${record.userCode} approved`);
  return record;
}

export function refuseDeviceCode(core: Core, options: { userCode?: string; error?: DelegatedFailure } = {}): DeviceCodeRecord {
  const record = findDeviceCode(core, options.userCode);
  if (!record) throw new Error(options.userCode ? `No pending device code ${options.userCode}` : 'No pending device code');
  record.state = 'approved';
  record.user = core.scenario.user;
  record.outcome = options.error ?? 'declined';
  core.log(`login: device code ${record.userCode} refused (${String(record.outcome)})`);
  return record;
}

async function deviceLoginPage(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let message = '';
  if (req.method === 'POST') {
    const form = await readForm(req);
    try {
      if (form['action'] === 'deny') refuseDeviceCode(core, { userCode: form['user_code'] });
      else approveDeviceCode(core, { userCode: form['user_code'] });
      message = form['action'] === 'deny' ? 'Sign-in refused.' : 'You have signed in. You may now close this window.';
    } catch (e) {
      message = (e as Error).message;
    }
  }
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><title>Enter code (tenant-sync simulator)</title><h1>Enter code</h1><p>${escape(message)}</p>` +
      `<form method="post"><input name="user_code" placeholder="Code"> <button name="action" value="approve">Sign in as ${escape(core.scenario.user.upn)}</button> <button name="action" value="deny">Refuse</button></form>`,
  );
}

/**
 * An access token minted without a sign-in (tests of Graph behaviour that do not need MSAL):
 * app-only with `roles`, or delegated with `scopes`.
 */
export function issueDirectToken(
  core: Core,
  options: { roles?: string[]; scopes?: string[]; clientId?: string; lifetimeSeconds?: number; audience?: string; user?: SignedInUser } = {},
): string {
  const app = core.appRecords.get((options.clientId ?? core.apps.secret.clientId).toLowerCase());
  if (!app) throw new Error(`Unknown app ${options.clientId}`);
  const now = nowSeconds();
  const { uti } = tokenSeq(core);
  const delegated = options.scopes !== undefined;
  const user = options.user ?? core.scenario.user;
  const payload: Record<string, unknown> = {
    aud: options.audience ?? core.graphUrl,
    iss: `https://sts.windows.net/${core.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + (options.lifetimeSeconds ?? core.scenario.accessTokenLifetimeSeconds),
    app_displayname: app.displayName,
    appid: app.clientId,
    idtyp: delegated ? 'user' : 'app',
    oid: delegated ? user.oid : app.servicePrincipalId,
    sub: delegated ? user.oid : app.servicePrincipalId,
    tid: core.tenantId,
    uti,
    ver: '1.0',
  };
  if (delegated) {
    payload['scp'] = (options.scopes ?? []).join(' ');
    payload['upn'] = user.upn;
    payload['name'] = user.name;
  } else {
    payload['roles'] = options.roles ?? core.rolesFor(app.clientId);
  }
  return signJwt({ alg: 'RS256', kid: core.sts.kid, x5t: core.sts.kid }, payload, core.sts.privateKey);
}
