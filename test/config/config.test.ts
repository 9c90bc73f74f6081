import { describe, expect, it } from 'vitest';
import { parseConfig, selectTenant } from '../../src/config/load.js';
import { TenantSyncError } from '../../src/errors/index.js';
import { defineResource } from '../../src/resources/definition.js';

const defs = [
  defineResource({
    type: 'namedLocations',
    workload: 'entra',
    title: 'Named locations',
    docs: 'https://learn.microsoft.com/graph/api/resources/namedlocation',
    api: 'v1.0',
    path: '/identity/conditionalAccess/namedLocations',
    kind: 'collection',
    permissions: { read: 'Policy.Read.All' },
  }),
  defineResource({
    type: 'conditionalAccessPolicies',
    workload: 'entra',
    title: 'Conditional access policies',
    docs: 'https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy',
    api: 'v1.0',
    path: '/identity/conditionalAccess/policies',
    kind: 'collection',
    permissions: { read: 'Policy.Read.All' },
  }),
  defineResource({
    type: 'groupSettings',
    workload: 'entra',
    title: 'Group settings',
    docs: 'https://learn.microsoft.com/graph/api/resources/groupsetting',
    api: 'v1.0',
    path: '/groupSettings',
    kind: 'collection',
    enabledByDefault: false,
    permissions: { read: 'Directory.Read.All' },
  }),
];

const valid = `version: 1
defaults:
  drift: remediate
tenants:
  - name: contoso
    tenant-id: 3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c
    client-id: 11111111-2222-3333-4444-555555555555
    auth:
      method: secret
  - name: fabrikam-gov
    tenant-id: fabrikam.onmicrosoft.us
    client-id: 11111111-2222-3333-4444-555555555555
    cloud: usgov
    drift: report
    types:
      include: [conditionalAccessPolicies, groupSettings]
`;

function failure(text: string, env = {}): TenantSyncError {
  try {
    parseConfig(text, 'tenant-sync.yml', env, defs);
  } catch (e) {
    expect(e).toBeInstanceOf(TenantSyncError);
    return e as TenantSyncError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('tenant-sync.yml', () => {
  it('resolves tenants with defaults, clouds and type selection', () => {
    const cfg = parseConfig(valid, 'tenant-sync.yml', {}, defs);
    const [contoso, gov] = cfg.tenants;
    expect(contoso).toMatchObject({
      name: 'contoso',
      cloud: 'public',
      authorityHost: 'https://login.microsoftonline.com',
      graphEndpoint: 'https://graph.microsoft.com',
      drift: 'remediate',
      language: 'en',
      auth: { method: 'secret', 'secret-env': 'TENANT_SYNC_CLIENT_SECRET' },
    });
    // groupSettings is off by default
    expect(contoso!.types.map((t) => t.type)).toEqual(['namedLocations', 'conditionalAccessPolicies']);
    expect(gov).toMatchObject({
      cloud: 'usgov',
      authorityHost: 'https://login.microsoftonline.us',
      graphEndpoint: 'https://graph.microsoft.us',
      federationAudience: 'api://AzureADTokenExchangeUSGov',
      drift: 'report',
    });
    expect(gov!.types.map((t) => t.type)).toEqual(['conditionalAccessPolicies', 'groupSettings']);
  });

  it('takes endpoint overrides from the environment, and only over HTTPS', () => {
    const cfg = parseConfig(valid, 'tenant-sync.yml', { TENANT_SYNC_AUTHORITY_HOST: 'https://localhost:8443/', TENANT_SYNC_GRAPH_ENDPOINT: 'https://localhost:9443' }, defs);
    expect(cfg.tenants[0]).toMatchObject({ authorityHost: 'https://localhost:8443', graphEndpoint: 'https://localhost:9443' });
    const e = failure(valid, { TENANT_SYNC_AUTHORITY_HOST: 'http://localhost:8443' });
    expect(e.code).toBe('CONFIG_ENDPOINT');
    expect(e.message).toContain('TENANT_SYNC_AUTHORITY_HOST must be an https:// URL');
  });

  it.each([
    ['invalid YAML', 'version: 1\ntenants:\n  - name: [contoso\n', 'CONFIG_INVALID', /not valid YAML/, 4],
    ['an unknown key, with a suggestion', valid.replace('    cloud: usgov', '    clowd: usgov'), 'CONFIG_INVALID', /unknown key "clowd"/, 13],
    ['an unknown cloud', valid.replace('cloud: usgov', 'cloud: azure'), 'CONFIG_INVALID', /tenants\[1\]\.cloud/, 13],
    ['a non-HTTPS endpoint', valid.replace('    cloud: usgov', '    graph-endpoint: http://graph.local'), 'CONFIG_INVALID', /https:\/\//, 13],
    ['an unknown type, with a suggestion', valid.replace('groupSettings]', 'groupSetting]'), 'CONFIG_UNKNOWN_TYPE', /unknown resource type "groupSetting"/, 16],
    ['a duplicate tenant name', valid.replace('name: fabrikam-gov', 'name: contoso'), 'CONFIG_INVALID', /used twice/, 10],
    ['a tenant name that cannot be a branch', valid.replace('name: fabrikam-gov', 'name: Fabrikam/Gov'), 'CONFIG_INVALID', /lower-case letters/, 10],
    ['a missing version', valid.replace('version: 1\n', ''), 'CONFIG_INVALID', /version/, undefined],
    ['an option out of range', valid.replace('  drift: remediate', '  concurrency: 500'), 'CONFIG_INVALID', /concurrency/, 3],
  ])('refuses %s, naming the file and line', (_name, text, code, message, line) => {
    const e = failure(text);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe('tenant-sync.yml');
    if (line !== undefined) expect(e.location?.line).toBe(line);
    expect(e.fix.length).toBeGreaterThan(10);
  });

  it('suggests the closest spelling for an unknown key and type', () => {
    expect(failure(valid.replace('    cloud: usgov', '    clowd: usgov')).fix).toContain('Did you mean "cloud"?');
    expect(failure(valid.replace('groupSettings]', 'groupSetting]')).fix).toContain('Did you mean "groupSettings"?');
  });

  it('names the known tenants when asked for one that is not configured', () => {
    const cfg = parseConfig(valid, 'tenant-sync.yml', {}, defs);
    expect(selectTenant(cfg, 'contoso').name).toBe('contoso');
    try {
      selectTenant(cfg, 'contosso');
      expect.unreachable();
    } catch (e) {
      expect((e as TenantSyncError).code).toBe('CONFIG_UNKNOWN_TENANT');
      expect((e as TenantSyncError).fix).toContain('Did you mean "contoso"?');
    }
  });
});
