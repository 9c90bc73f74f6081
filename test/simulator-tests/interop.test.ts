/**
 * Production clients against the simulator: the service principal token provider (MSAL) with a
 * secret, a certificate and a GitHub federated token, and the Graph client's paging, $batch,
 * throttling and fault handling, with nothing test-specific in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServicePrincipalTokenProvider, type ServicePrincipalCredential } from '../../src/auth/servicePrincipal.js';
import { createGraphClient } from '../../src/graph/client.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { resources } from '../../src/resources/catalogue.js';
import { startSimulator, type Simulator } from '../simulator/index.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ tenant: { objects: 1_500, seed: 3 }, timeScale: 20 });
});
afterAll(() => sim.close());

function provider(credential: ServicePrincipalCredential, clientId: string) {
  return createServicePrincipalTokenProvider({
    tenantId: sim.tenantId,
    clientId,
    authorityHost: sim.loginUrl,
    graphEndpoint: sim.graphUrl,
    credential,
    log: createMemoryLogger(),
  });
}

describe('the service principal token provider', () => {
  it('signs in with a secret, a certificate and a federated GitHub token', async () => {
    const secret = provider({ kind: 'secret', secret: sim.apps.secret.clientSecret }, sim.apps.secret.clientId);
    expect(await secret.roles()).toEqual(sim.scenario.appRoles);
    const cert = provider(
      { kind: 'certificate', privateKeyPem: sim.apps.certificate.privateKeyPem, certificatePem: sim.apps.certificate.certPem },
      sim.apps.certificate.clientId,
    );
    expect((await cert()).split('.')).toHaveLength(3);
    const federated = provider(
      {
        kind: 'federated',
        getAssertion: async () => {
          const res = await fetch(`${sim.github.requestUrl}&audience=api://AzureADTokenExchange`, { headers: { Authorization: `Bearer ${sim.github.requestToken}` } });
          return ((await res.json()) as { value: string }).value;
        },
      },
      sim.apps.certificate.clientId,
    );
    expect((await federated()).split('.')).toHaveLength(3);
  });
});

describe('the Graph client', () => {
  it('reads every type under documented throttling (conditional access at 1 rps, no Retry-After) and gets every object', async () => {
    const token = provider({ kind: 'secret', secret: sim.apps.secret.clientSecret }, sim.apps.secret.clientId);
    const client = createGraphClient({ endpoint: sim.graphUrl, token, maxRetries: 10, maxBackoffMs: 2_000 });
    try {
      sim.resetCounters();
      for (const def of resources.filter((r) => r.kind === 'collection')) {
        const query = new URLSearchParams(def.listQuery).toString();
        const result = await client.list<Record<string, unknown>>(`/${def.api}${def.path}${query ? `?${query}` : ''}`, def.throttle);
        expect(result.status, def.type).toBe('found');
        if (result.status === 'found') expect(result.value.length, def.type).toBe(sim.state(def.type).length);
      }
      // Children of the settings catalog policies in $batch
      const ids = sim.state('configurationPolicies').slice(0, 45).map((p) => String(p['id']));
      const settings = await client.listMany<unknown>(ids.map((id) => `/beta/deviceManagement/configurationPolicies/${id}/settings`), 'intune');
      settings.forEach((s, i) => {
        expect(s.status).toBe('found');
        if (s.status === 'found') expect(s.value.length).toBe((sim.state('configurationPolicies')[i]?.['settings'] as unknown[]).length);
      });
      expect(sim.counters().batches).toBeGreaterThan(0);
      expect(client.stats.graphRequests).toBe(sim.counters().requests);
    } finally {
      client.close();
    }
  });

  it('retries 503s and dropped connections, and reports a type that keeps failing as failed', async () => {
    const token = provider({ kind: 'secret', secret: sim.apps.secret.clientSecret }, sim.apps.secret.clientId);
    const client = createGraphClient({ endpoint: sim.graphUrl, token, maxRetries: 4, maxBackoffMs: 200 });
    try {
      sim.faults.add({ kind: 'status', status: 503, count: 2, retryAfterSeconds: 1 });
      sim.faults.add({ kind: 'drop', count: 1 });
      const ok = await client.list('/beta/deviceManagement/roleScopeTags', 'intune');
      expect(ok.status).toBe('found');
      sim.faults.add({ kind: 'failType', type: 'assignmentFilters', status: 500 });
      const failed = await client.list('/beta/deviceManagement/assignmentFilters', 'intune');
      expect(failed.status).toBe('failed');
      const noRoles = createGraphClient({ endpoint: sim.graphUrl, token: async () => sim.issueAccessToken({ roles: [] }), maxRetries: 1 });
      const denied = await noRoles.list('/v1.0/identity/conditionalAccess/namedLocations', 'conditionalAccess');
      noRoles.close();
      expect(denied.status).toBe('failed');
      if (denied.status === 'failed') expect(denied.error.status).toBe(403);
    } finally {
      sim.faults.clear();
      client.close();
    }
  });
});
