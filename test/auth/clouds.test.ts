/**
 * Clouds, the delegated section of tenant-sync.yml, the permissions a configuration needs and the
 * admin consent link: pure, no server.
 */
import { describe, expect, it } from 'vitest';
import { adminConsentUrl, isGranted, missingPermissions, neededPermissions, tenantConsentUrl } from '../../src/auth/permissions.js';
import { parseConfig, type TenantConfig } from '../../src/config/load.js';
import { TenantSyncError } from '../../src/errors/index.js';
import { resources } from '../../src/resources/catalogue.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

const TENANT = '3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c';
const CLIENT = '11111111-2222-3333-4444-555555555555';

function tenantWith(extra = '', env: Record<string, string> = {}): TenantConfig {
  return parseConfig(
    `version: 1
tenants:
  - name: contoso
    tenant-id: ${TENANT}
    client-id: ${CLIENT}
${extra}`,
    'tenant-sync.yml',
    env,
  ).tenants[0]!;
}

function failure(f: () => unknown): TenantSyncError {
  try {
    f();
  } catch (e) {
    if (e instanceof TenantSyncError) return e;
    throw e;
  }
  throw new Error('expected a TenantSyncError');
}

describe('clouds', () => {
  it.each([
    ['public', 'https://login.microsoftonline.com', 'https://graph.microsoft.com', 'api://AzureADTokenExchange', 'https://login.microsoftonline.com'],
    ['usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us', 'api://AzureADTokenExchangeUSGov', 'https://login.microsoftonline.us'],
    ['usgov-dod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us', 'api://AzureADTokenExchangeUSGov', 'https://login.microsoftonline.us'],
    ['china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn', 'api://AzureADTokenExchangeChina', 'https://login.partner.microsoftonline.cn'],
  ])('%s: sign-in %s, Graph %s, OIDC audience %s, consent on %s', (cloud, authority, graph, audience, consentHost) => {
    const t = tenantWith(`    cloud: ${cloud}\n`);
    expect(t).toMatchObject({ cloud, authorityHost: authority, graphEndpoint: graph, federationAudience: audience, adminConsentHost: consentHost });
    const url = new URL(tenantConsentUrl(t));
    expect(`${url.origin}${url.pathname}`).toBe(`${consentHost}/${TENANT}/v2.0/adminconsent`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT,
      scope: `${graph}/.default`,
      redirect_uri: `${authority}/common/oauth2/nativeclient`,
    });
  });

  it('overrides: tenant-sync.yml, then the environment; the consent link follows an overridden sign-in host; the audience stays the cloud\'s', () => {
    const fromFile = tenantWith('    cloud: usgov\n    authority-host: https://login.example.test/\n    graph-endpoint: https://graph.example.test\n');
    expect(fromFile).toMatchObject({ authorityHost: 'https://login.example.test', graphEndpoint: 'https://graph.example.test', federationAudience: 'api://AzureADTokenExchangeUSGov' });
    expect(tenantConsentUrl(fromFile)).toMatch(/^https:\/\/login\.example\.test\/3f9a8b7c-[^/]+\/v2\.0\/adminconsent\?client_id=/);
    const fromEnv = tenantWith('    cloud: china\n', { TENANT_SYNC_AUTHORITY_HOST: 'https://localhost:1234', TENANT_SYNC_GRAPH_ENDPOINT: 'https://localhost:5678' });
    expect(fromEnv).toMatchObject({ authorityHost: 'https://localhost:1234', graphEndpoint: 'https://localhost:5678', federationAudience: 'api://AzureADTokenExchangeChina', adminConsentHost: 'https://localhost:1234' });
    const consent = new URL(adminConsentUrl({ host: 'https://localhost:1234', authorityHost: 'https://localhost:1234', tenantId: 'contoso.onmicrosoft.com', clientId: CLIENT, graphEndpoint: 'https://localhost:5678/' }));
    expect(consent.pathname).toBe('/contoso.onmicrosoft.com/v2.0/adminconsent');
    expect(consent.searchParams.get('scope')).toBe('https://localhost:5678/.default');
  });
});

describe('the delegated section of tenant-sync.yml', () => {
  it('is off by default: no delegated sign-in, the user-only types not enabled, deploy on', () => {
    const t = tenantWith();
    expect(t.delegated).toBeUndefined();
    expect(t.deploy).toBe(true);
    expect(t.types.some((d) => d.delegatedOnly)).toBe(false);
    expect(t.types.length).toBe(resources.filter((r) => r.enabledByDefault && !r.delegatedOnly).length);
  });

  it('enabled: defaults (the app\'s client id, 3 minutes, the key variable, a cache file per tenant outside the repository)', () => {
    const t = tenantWith('    delegated:\n      enabled: true\n');
    expect(t.delegated).toEqual({
      clientId: CLIENT,
      timeoutMs: 180_000,
      cacheKeyEnv: 'TENANT_SYNC_TOKEN_CACHE_KEY',
      cacheFile: join(homedir(), '.cache', 'tenant-sync', 'contoso.token-cache'),
    });
    expect(t.types.filter((d) => d.delegatedOnly).map((d) => d.type)).toEqual(['teamsAppSettings']);
  });

  it('every key, from defaults; {tenant} in the cache file; a fraction of a minute', () => {
    const config = parseConfig(
      `version: 1
defaults:
  delegated:
    client-id: 99999999-8888-7777-6666-555555555555
    timeout-minutes: 0.5
    cache-key-env: MY_CACHE_KEY
    cache-file: /var/cache/ts/{tenant}.bin
  deploy: false
tenants:
  - name: contoso
    tenant-id: ${TENANT}
    client-id: ${CLIENT}
  - name: fabrikam
    tenant-id: fabrikam.onmicrosoft.com
    client-id: ${CLIENT}
`,
      '/repo/tenant-sync.yml',
    );
    expect(config.tenants.map((t) => t.delegated)).toEqual([
      { clientId: '99999999-8888-7777-6666-555555555555', timeoutMs: 30_000, cacheKeyEnv: 'MY_CACHE_KEY', cacheFile: '/var/cache/ts/contoso.bin' },
      { clientId: '99999999-8888-7777-6666-555555555555', timeoutMs: 30_000, cacheKeyEnv: 'MY_CACHE_KEY', cacheFile: '/var/cache/ts/fabrikam.bin' },
    ]);
    expect(config.tenants.every((t) => t.deploy === false)).toBe(true);
  });

  it('refuses two tenants sharing one cache file, a user-only type without delegated sign-in, and a timeout past the code\'s life', () => {
    const shared = failure(() =>
      parseConfig(
        `version: 1
defaults:
  delegated:
    cache-file: /var/cache/ts/shared.bin
tenants:
  - name: contoso
    tenant-id: ${TENANT}
    client-id: ${CLIENT}
  - name: fabrikam
    tenant-id: fabrikam.onmicrosoft.com
    client-id: ${CLIENT}
`,
        'tenant-sync.yml',
      ),
    );
    expect(shared.code).toBe('CONFIG_INVALID');
    expect(shared.fix).toContain('{tenant}');
    expect(shared.location?.line).toBe(4);
    const included = failure(() => tenantWith('    types:\n      include: [namedLocations, teamsAppSettings]\n'));
    expect(included.code).toBe('CONFIG_INVALID');
    expect(included.message).toContain('"teamsAppSettings" can only be read by a signed-in user');
    expect(included.location?.line).toBe(7);
    const long = failure(() => tenantWith('    delegated:\n      timeout-minutes: 30\n'));
    expect(long.code).toBe('CONFIG_INVALID');
    expect(long.message).toContain('15 minutes');
    const typo = failure(() => tenantWith('    delegated:\n      timeout-minute: 3\n'));
    expect(typo.fix).toContain('Did you mean "timeout-minutes"?');
  });
});

describe('permissions', () => {
  it('needed: read of every enabled type and of what it names, write where deploy is on, delegated for user-only types', () => {
    const t = tenantWith('    delegated:\n      enabled: true\n');
    const needed = neededPermissions(t);
    const find = (p: string, access: 'read' | 'write') => needed.find((n) => n.permission === p && n.access === access);
    expect(find('Policy.Read.All', 'read')).toMatchObject({ kind: 'application', neededBy: expect.arrayContaining(['conditionalAccessPolicies', 'namedLocations']) });
    expect(find('Policy.ReadWrite.ConditionalAccess', 'write')).toMatchObject({ kind: 'application' });
    expect(find('GroupMember.Read.All', 'read')).toMatchObject({ kind: 'application', neededBy: ['groups'] });
    expect(find('TeamworkAppSettings.Read.All', 'read')).toMatchObject({ kind: 'delegated', neededBy: ['teamsAppSettings'] });
    expect(find('TeamworkAppSettings.ReadWrite.All', 'write')).toMatchObject({ kind: 'delegated' });
    const readOnly = neededPermissions({ ...t, deploy: false });
    expect(readOnly.every((n) => n.access === 'read')).toBe(true);
  });

  it('granted: a ReadWrite includes its Read, Directory.Read.All reads users and groups; roles and scp judged apart', () => {
    expect(isGranted('DeviceManagementConfiguration.Read.All', ['DeviceManagementConfiguration.ReadWrite.All'])).toBe(true);
    expect(isGranted('RoleManagement.Read.Directory', ['rolemanagement.readwrite.directory'])).toBe(true);
    expect(isGranted('GroupMember.Read.All', ['Directory.Read.All'])).toBe(true);
    expect(isGranted('Policy.Read.All', ['Directory.Read.All'])).toBe(false);
    expect(isGranted('Policy.ReadWrite.ConditionalAccess', ['Policy.Read.All'])).toBe(false);
    const needed = neededPermissions(tenantWith('    delegated:\n      enabled: true\n'));
    const allApp = needed.filter((n) => n.kind === 'application').map((n) => n.permission);
    expect(missingPermissions(needed, { application: allApp })).toEqual([]); // delegated not judged without a user
    expect(missingPermissions(needed, { application: allApp, delegated: ['TeamworkAppSettings.ReadWrite.All'] })).toEqual([]);
    expect(missingPermissions(needed, { application: allApp, delegated: ['TeamworkAppSettings.Read.All'] })).toEqual([
      { permission: 'TeamworkAppSettings.ReadWrite.All', kind: 'delegated', access: 'write', neededBy: ['teamsAppSettings'] },
    ]);
    // The delegated scope does not count as an application role.
    expect(missingPermissions(needed, { application: allApp.filter((p) => p !== 'Policy.Read.All'), delegated: ['Policy.Read.All', 'TeamworkAppSettings.ReadWrite.All'] }).map((m) => m.permission)).toEqual(['Policy.Read.All']);
  });
});
