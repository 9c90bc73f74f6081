import { defineResource } from '../definition.js';

/**
 * Default cross-tenant access settings (singleton, GET/PATCH
 * /policies/crossTenantAccessPolicy/default, v1.0). isServiceDefault is computed by the service
 * (true until the defaults are customised); automaticUserConsentSettings is read-only in the
 * default configuration.
 */
export const crossTenantAccessPolicyDefault = defineResource({
  type: 'crossTenantAccessPolicyDefault',
  workload: 'entra',
  title: 'Cross-tenant access default settings',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyconfigurationdefault?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.crossTenantAccessPolicyConfigurationDefault',
  path: '/policies/crossTenantAccessPolicy/default',
  kind: 'singleton',
  singletonName: 'Default',
  volatile: ['isServiceDefault'],
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.CrossTenantAccess',
  },
  throttle: 'default',
  write: {
    update: { method: 'PATCH', omit: ['automaticUserConsentSettings'] },
    delete: false,
  },
});
