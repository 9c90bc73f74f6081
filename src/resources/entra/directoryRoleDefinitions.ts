import { defineResource } from '../definition.js';

/**
 * Custom Microsoft Entra role definitions, GET /roleManagement/directory/roleDefinitions with
 * $filter=isBuiltIn eq false; POST, PATCH, DELETE (v1.0, needs Entra ID P1). Built-in roles are
 * left out by the filter; readOnlyWhen guards them should one come back anyway.
 * inheritsPermissionsFrom is a read-only relationship used by built-in roles only.
 */
export const directoryRoleDefinitions = defineResource({
  type: 'directoryRoleDefinitions',
  workload: 'entra',
  title: 'Custom directory roles',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/unifiedroledefinition?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.unifiedRoleDefinition',
  path: '/roleManagement/directory/roleDefinitions',
  kind: 'collection',
  listQuery: { $filter: 'isBuiltIn eq false' },
  volatile: ['inheritsPermissionsFrom'],
  readOnlyWhen: { field: 'isBuiltIn', equals: true },
  permissions: {
    read: 'RoleManagement.Read.Directory',
    write: 'RoleManagement.ReadWrite.Directory',
  },
  throttle: 'directory',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', omit: ['isBuiltIn', 'isPrivileged'] },
    delete: true,
  },
});
