import { servicePrincipalCredential, type CredentialSources } from '../auth/credentials.js';
import { createServicePrincipalTokenProvider } from '../auth/servicePrincipal.js';
import type { TenantConfig } from '../config/load.js';
import { createGraphClient } from '../graph/index.js';
import type { GraphClient, GraphClientOptions } from '../graph/types.js';
import type { Logger } from '../log/index.js';

/**
 * Graph's documented limits (service-specific throttling limits): conditional access policies and
 * named locations 1 request per second per tenant; Intune 1,000 requests per 20 seconds per app.
 * Pacing to them up front avoids the 429s that cost a full Retry-After each.
 */
export const documentedRateLimits: GraphClientOptions['rateLimits'] = {
  conditionalAccess: { requests: 1, perMs: 1_000 },
  intune: { requests: 1_000, perMs: 20_000 },
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
 * type's read one by one.
 */
export async function connect(options: ConnectOptions): Promise<GraphClient> {
  const { tenant, log } = options;
  const credential = servicePrincipalCredential(tenant, options.sources);
  const token = createServicePrincipalTokenProvider({
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    authorityHost: tenant.authorityHost,
    graphEndpoint: tenant.graphEndpoint,
    credential,
    log,
  });
  await token();
  return createGraphClient({
    endpoint: tenant.graphEndpoint,
    token,
    concurrency: tenant.concurrency,
    rateLimits: documentedRateLimits,
    userAgent: 'tenant-sync',
    onEvent: (e) => {
      if (e.kind === 'retry') log.debug(`retry ${e.attempt} of ${e.method} ${e.url} after ${e.status ?? e.code}, waiting ${e.waitMs} ms`);
    },
    ...options.graph,
  });
}
