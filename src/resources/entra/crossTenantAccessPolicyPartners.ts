import { defineResource } from '../definition.js';

/**
 * Partner-specific cross-tenant access settings, GET/POST /policies/crossTenantAccessPolicy/partners,
 * PATCH/DELETE .../partners/{tenantId} (v1.0). The key is the partner's tenantId (read-only after
 * create, required in the POST body); there is no display name, so the tenant id names the file.
 * identitySynchronization is a relationship returned only with $expand and is not backed up here.
 */
export const crossTenantAccessPolicyPartners = defineResource({
  type: 'crossTenantAccessPolicyPartners',
  workload: 'entra',
  title: 'Cross-tenant access partner settings',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyconfigurationpartner?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.crossTenantAccessPolicyConfigurationPartner',
  path: '/policies/crossTenantAccessPolicy/partners',
  kind: 'collection',
  key: 'tenantId',
  nameField: 'tenantId',
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.CrossTenantAccess',
  },
  throttle: 'default',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', omit: ['tenantId', 'isInMultiTenantOrganization'] },
    delete: true,
  },
});
