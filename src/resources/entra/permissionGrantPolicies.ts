import { defineResource } from '../definition.js';

/**
 * Permission grant (consent) policies, GET/POST /policies/permissionGrantPolicies, PATCH/DELETE
 * .../{id} (v1.0). includes and excludes (condition sets) are automatically expanded on GET; their
 * ids are server-generated. They are written through POST/DELETE on {id}/includes and
 * {id}/excludes, never by PATCH (which takes displayName and description only).
 *
 * The id is chosen by the administrator, required on create, immutable, the same in every tenant
 * and what authorizationPolicy refers to ("ManagePermissionGrantsForSelf.<id>"); display names
 * need not be unique. The id is therefore the name. Built-in policies have ids starting with
 * "microsoft-" and cannot be changed.
 */
export const permissionGrantPolicies = defineResource({
  type: 'permissionGrantPolicies',
  workload: 'entra',
  title: 'Permission grant policies',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/permissiongrantpolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.permissionGrantPolicy',
  path: '/policies/permissionGrantPolicies',
  kind: 'collection',
  nameField: 'id',
  readOnlyWhen: { field: 'id', startsWith: 'microsoft-' },
  volatile: ['includes[].id', 'excludes[].id'],
  permissions: {
    read: 'Policy.Read.PermissionGrant',
    write: 'Policy.ReadWrite.PermissionGrant',
  },
  throttle: 'default',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', omit: ['includes', 'excludes'] },
    delete: true,
  },
});
