import { servicePrincipalCredential, type CredentialSources } from '../auth/credentials.js';
import { createMsalDelegatedSignIn, delegatedTokenProvider, signInDelegated, type DelegatedSignIn } from '../auth/deviceCode.js';
import { describeMissing, missingPermissions, neededPermissions, tenantConsentUrl } from '../auth/permissions.js';
import { createServicePrincipalTokenProvider, rolesOf } from '../auth/servicePrincipal.js';
import { cacheBinding, createEncryptedCachePlugin, type EncryptedCachePlugin } from '../auth/tokenCache.js';
import type { TenantConfig } from '../config/load.js';
import { TenantSyncError } from '../errors/index.js';
import { createGraphClient, type ClosableGraphClient } from '../graph/index.js';
import type { GraphClient, GraphClientOptions, TokenProvider } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import type { MissingPermission, StatusListener } from '../status/index.js';

/**
 * Graph's documented limits (service-specific throttling limits): conditional access policies and
 * named locations 1 request per second per tenant; Intune 1,000 requests per 20 seconds per app.
 * Pacing to them up front avoids the 429s that cost a full Retry-After each.
 */
export const documentedRateLimits: GraphClientOptions['rateLimits'] = {
  conditionalAccess: { requests: 1, perMs: 1_000 },
  intune: { requests: 1_000, perMs: 20_000 },
};

/** Intune's documented write limit: 100 POST/PATCH/PUT/DELETE per 20 seconds per app */
export const documentedWriteRateLimits: GraphClientOptions['writeRateLimits'] = {
  intune: { requests: 100, perMs: 20_000 },
};

export interface ConnectOptions {
  tenant: TenantConfig;
  log: Logger;
  sources: CredentialSources;
  /** Overrides for the Graph client (tests, benchmark) */
  graph?: Partial<GraphClientOptions>;
}

/**
 * The service principal's Graph client for a tenant. Signs in once up front, so that a refused
 * credential stops the run with its own error (AADSTS code, what to do) instead of failing every
 * type's read one by one. (connectTenant adds the delegated sign-in and the permission check.)
 */
export async function connect(options: ConnectOptions): Promise<GraphClient> {
  const { app } = await signInApplication(options);
  return app;
}

export interface ConnectTenantOptions extends ConnectOptions {
  /** Status moves during the connection: Pending authentication and back to In progress */
  onStatus?: StatusListener;
  /** Replaces the MSAL device-code sign-in (another implementation of the interface) */
  delegatedSignIn?: DelegatedSignIn;
}

/** The delegated side of a connection: a client for the types only a user can read, or why there is none */
export type DelegatedConnection =
  | { status: 'signed-in'; graph: ClosableGraphClient; username?: string; scopes: string[]; prompted: boolean }
  | { status: 'failed'; error: TenantSyncError; prompted: boolean };

export type ConsentState =
  | { pending: false }
  | {
      pending: true;
      missing: MissingPermission[];
      /** Admin consent for the application */
      url: string;
      /** Admin consent for the delegated client, when it is another application */
      delegatedUrl?: string;
    };

export interface TenantConnection {
  /** The application's (service principal's) Graph client */
  app: ClosableGraphClient;
  /** Application permissions granted (roles of the app's token) */
  roles: string[];
  /** Absent when no enabled type needs a user */
  delegated?: DelegatedConnection;
  /** Permissions the configuration needs and the tokens do not carry; nothing may be written while pending */
  consent: ConsentState;
  close(): void;
}

/**
 * Everything a sync needs to talk to a tenant:
 *
 * 1. The application signs in (a refusal throws its AUTH_* error; AUTH_CONSENT_MISSING means
 *    Pending admin consent).
 * 2. When an enabled type needs a user, the delegated sign-in runs: the stored sign-in, or device
 *    code under Pending authentication. Its failure does not throw: the delegated types fail with
 *    the product's message and the application's part of the sync goes on.
 * 3. The permissions the configuration needs (catalogue, enabled types, deploy) are compared with
 *    the ones the tokens carry (roles, scp). Missing ones put the tenant in Pending admin consent
 *    with the consent link of its cloud.
 */
export async function connectTenant(options: ConnectTenantOptions): Promise<TenantConnection> {
  const { tenant, log } = options;
  const { app, roles } = await signInApplication(options);
  let delegated: DelegatedConnection | undefined;
  try {
    if (tenant.delegated && tenant.types.some((d) => d.delegatedOnly)) {
      delegated = await signInUser(options);
    }
  } catch (e) {
    app.close();
    throw e;
  }

  const needed = neededPermissions(tenant);
  const missing = missingPermissions(needed, {
    application: roles,
    delegated: delegated?.status === 'signed-in' ? delegated.scopes : undefined,
  });
  // A user who could not grant consent at sign-in (AADSTS65001) lacks every delegated permission.
  if (delegated?.status === 'failed' && delegated.error.code === 'AUTH_CONSENT_MISSING') {
    for (const n of needed.filter((p) => p.kind === 'delegated')) missing.push({ ...n, neededBy: [...n.neededBy] });
  }
  let consent: ConsentState = { pending: false };
  if (missing.length > 0) {
    const url = tenantConsentUrl(tenant);
    const delegatedClient = tenant.delegated?.clientId;
    const delegatedUrl =
      delegatedClient && delegatedClient.toLowerCase() !== tenant.clientId.toLowerCase() && missing.some((m) => m.kind === 'delegated')
        ? tenantConsentUrl(tenant, delegatedClient)
        : undefined;
    consent = { pending: true, missing, url, delegatedUrl };
    log.warn(
      `${tenant.name}: permissions the configuration needs are not granted (PERMISSIONS_NOT_GRANTED):\n  ${describeMissing(missing).join('\n  ')}\n` +
        `  An administrator grants them at ${url}${delegatedUrl ? ` and ${delegatedUrl}` : ''}; nothing is written to the tenant until then.`,
    );
  }
  return {
    app,
    roles,
    delegated,
    consent,
    close() {
      app.close();
      if (delegated?.status === 'signed-in') delegated.graph.close();
    },
  };
}

/** Refuses a write while consent is pending: deploy calls this before its first write */
export function assertWritable(connection: Pick<TenantConnection, 'consent'>, tenant: string): void {
  if (!connection.consent.pending) return;
  throw new TenantSyncError(
    'PERMISSIONS_NOT_GRANTED',
    `tenant "${tenant}" is waiting for admin consent (${connection.consent.missing.map((m) => m.permission).join(', ')}): nothing is written until it is granted`,
    `An administrator grants the permissions at ${connection.consent.url}; then sync again.`,
  );
}

function graphClient(options: ConnectOptions, token: TokenProvider): ClosableGraphClient {
  const { tenant, log } = options;
  return createGraphClient({
    endpoint: tenant.graphEndpoint,
    token,
    concurrency: tenant.concurrency,
    rateLimits: documentedRateLimits,
    writeRateLimits: documentedWriteRateLimits,
    userAgent: 'tenant-sync',
    onEvent: (e) => {
      if (e.kind === 'retry') log.debug(`retry ${e.attempt} of ${e.method} ${e.url} after ${e.status ?? e.code}, waiting ${e.waitMs} ms`);
    },
    ...options.graph,
  });
}

async function signInApplication(options: ConnectOptions): Promise<{ app: ClosableGraphClient; roles: string[] }> {
  const { tenant, log } = options;
  const credential = servicePrincipalCredential(tenant, options.sources);
  const token = createServicePrincipalTokenProvider({
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    authorityHost: tenant.authorityHost,
    graphEndpoint: tenant.graphEndpoint,
    credential,
    log,
    adminConsentUrl: tenantConsentUrl(tenant),
  });
  const roles = rolesOf(await token());
  return { app: graphClient(options, token), roles };
}

async function signInUser(options: ConnectTenantOptions): Promise<DelegatedConnection> {
  const { tenant, log } = options;
  const settings = tenant.delegated!;
  let signIn = options.delegatedSignIn;
  if (!signIn) {
    const secret = options.sources.env[settings.cacheKeyEnv];
    if (!secret) {
      throw new TenantSyncError(
        'CREDENTIAL_MISSING',
        `${settings.cacheKeyEnv} is not set: tenant "${tenant.name}" keeps its delegated sign-in encrypted with the key in it`,
        `Create a random key ("openssl rand -base64 32"), store it as a secret and pass it as env: ${settings.cacheKeyEnv}: \${{ secrets.${settings.cacheKeyEnv} }}; or turn delegated sign-in off.`,
      );
    }
    const cache: EncryptedCachePlugin = createEncryptedCachePlugin({
      file: settings.cacheFile,
      secret,
      secretName: settings.cacheKeyEnv,
      binding: cacheBinding(tenant.tenantId, settings.clientId),
      log,
    });
    signIn = createMsalDelegatedSignIn({
      tenantId: tenant.tenantId,
      clientId: settings.clientId,
      authorityHost: tenant.authorityHost,
      graphEndpoint: tenant.graphEndpoint,
      cache,
      log,
      adminConsentUrl: tenantConsentUrl(tenant, settings.clientId),
    });
  }
  const outcome = await signInDelegated({ signIn, timeoutMs: settings.timeoutMs, log, onStatus: options.onStatus, tenant: tenant.name });
  if (outcome.status === 'failed') return outcome;
  return {
    status: 'signed-in',
    graph: graphClient(options, delegatedTokenProvider(signIn, outcome.token)),
    username: outcome.token.username,
    scopes: outcome.token.scopes,
    prompted: outcome.prompted,
  };
}
