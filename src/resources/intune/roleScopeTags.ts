import { defineResource } from '../definition.js';
import { intuneDocs } from './common.js';

/**
 * Intune role scope tags. Id '0' is the built-in "Default" tag (isBuiltIn true): backed up, never
 * written. Custom tags get small integer ids ('1', '2', ...) assigned by the service.
 *
 * Graph: GET/POST /deviceManagement/roleScopeTags, PATCH/DELETE /deviceManagement/roleScopeTags/{id}.
 * Permissions: the RBAC scopes are the ones Microsoft lists for every method (the current create page
 * lists only DeviceManagementRBAC.ReadWrite.All); older pages also accept DeviceManagementConfiguration.*.
 * Not covered: the tag's auto-assignments (roleScopeTagAutoAssignment through /assign), see the report.
 */
export const roleScopeTags = defineResource({
  type: 'roleScopeTags',
  workload: 'intune',
  title: 'Scope tags',
  docs: intuneDocs('intune-rbac-rolescopetag'),
  api: 'beta',
  graphType: 'microsoft.graph.roleScopeTag',
  path: '/deviceManagement/roleScopeTags',
  kind: 'collection',
  nameField: 'displayName',
  // isBuiltIn is read-only; it is kept in the file because readOnlyWhen reads it.
  readOnlyWhen: { field: 'isBuiltIn', equals: true },
  permissions: { read: 'DeviceManagementRBAC.Read.All', write: 'DeviceManagementRBAC.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', omit: ['isBuiltIn'] },
    delete: true,
  },
});
