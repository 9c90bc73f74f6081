import { defineResource } from '../definition.js';

/**
 * The tenant's authorization policy (singleton, GET/PATCH /policies/authorizationPolicy, v1.0):
 * guest invitations, self-service sign-up, default user role permissions. Its
 * defaultUserRolePermissions.permissionGrantPoliciesAssigned names permission grant policies by
 * id ("ManagePermissionGrantsForSelf.<id>"), ids that are the same in every tenant, so
 * permissionGrantPolicies are deployed first.
 */
export const authorizationPolicy = defineResource({
  type: 'authorizationPolicy',
  workload: 'entra',
  title: 'Authorization policy',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/authorizationpolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.authorizationPolicy',
  path: '/policies/authorizationPolicy',
  kind: 'singleton',
  singletonName: 'Authorization policy',
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.Authorization',
  },
  throttle: 'default',
  write: {
    update: { method: 'PATCH', omit: ['displayName', 'description'] },
    delete: false,
  },
  dependsOn: ['permissionGrantPolicies'],
});
