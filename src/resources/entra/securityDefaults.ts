import { defineResource } from '../definition.js';

/**
 * Security defaults (singleton, GET/PATCH /policies/identitySecurityDefaultsEnforcementPolicy,
 * v1.0). Only isEnabled can be written; displayName and description are read-only.
 */
export const securityDefaults = defineResource({
  type: 'securityDefaults',
  workload: 'entra',
  title: 'Security defaults',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/identitysecuritydefaultsenforcementpolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.identitySecurityDefaultsEnforcementPolicy',
  path: '/policies/identitySecurityDefaultsEnforcementPolicy',
  kind: 'singleton',
  singletonName: 'Security defaults',
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.SecurityDefaults',
  },
  throttle: 'default',
  write: {
    update: { method: 'PATCH', omit: ['displayName', 'description'] },
    delete: false,
  },
});
