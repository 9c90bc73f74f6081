import type { Reference, ResourceDefinitionInput } from '../definition.js';

/**
 * Pieces shared by the Intune definitions: every Intune policy that is assigned stores its
 * assignments inline (read with $expand=assignments, written back through the /assign action),
 * names the target group and the assignment filter, and carries role scope tags by id.
 */

/** Microsoft's Intune beta reference pages. */
export const intuneDocs = (page: string): string =>
  `https://learn.microsoft.com/en-us/graph/api/resources/${page}?view=graph-rest-beta`;

/**
 * Assignment targets: groupAssignmentTarget / exclusionGroupAssignmentTarget carry groupId; every
 * target (including allLicensedUsers / allDevices) may carry an assignment filter.
 */
export function assignmentReferences(property = 'assignments'): Reference[] {
  return [
    { path: `${property}[].target.groupId`, target: 'groups', keywords: [] },
    { path: `${property}[].target.deviceAndAppManagementAssignmentFilterId`, target: 'assignmentFilters', keywords: [] },
  ];
}

/**
 * Server-assigned parts of an assignment: its id (often '{policyId}_{groupId}'), and where it came
 * from (source 'direct' or 'policySets', sourceId the policy set). Neither is written by /assign.
 */
export function assignmentVolatile(property = 'assignments'): string[] {
  return [`${property}[].id`, `${property}[].source`, `${property}[].sourceId`];
}

/**
 * Role scope tags by id. '0' is the built-in Default tag: it exists in every tenant under the same
 * name, so it is referenced by name like the others (no keyword needed).
 */
export function roleScopeTagReference(path = 'roleScopeTagIds[]'): Reference {
  return { path, target: 'roleScopeTags', keywords: [] };
}

/**
 * App protection (targetedManagedAppProtection) is one type per platform: the combined
 * /deviceAppManagement/managedAppPolicies only lists and gets, while the per-platform collections
 * create, update and delete. apps and assignments are relationships read with $expand on the list;
 * assignments are written through POST .../{id}/assign { assignments }, apps through
 * POST .../{id}/targetApps { apps, appGroupType }. isAssigned, deployedAppCount and each app's id
 * and version are derived.
 */
export function appProtectionDefinition(platform: { type: string; title: string; docsPage: string; graphType: string }): ResourceDefinitionInput {
  return {
    type: platform.type,
    workload: 'intune',
    title: platform.title,
    docs: intuneDocs(platform.docsPage),
    api: 'beta',
    graphType: platform.graphType,
    path: `/deviceAppManagement/${platform.type}`,
    kind: 'collection',
    nameField: 'displayName',
    listQuery: { $expand: 'apps,assignments' },
    volatile: [...assignmentVolatile(), 'isAssigned', 'deployedAppCount', 'apps[].id', 'apps[].version'],
    references: [...assignmentReferences(), roleScopeTagReference()],
    permissions: { read: 'DeviceManagementApps.Read.All', write: 'DeviceManagementApps.ReadWrite.All' },
    throttle: 'intune',
    write: {
      create: { method: 'POST' },
      update: { method: 'PATCH', includeODataType: true },
      delete: true,
      assignments: { property: 'assignments', action: 'assign', bodyProperty: 'assignments' },
      actions: [{ property: 'apps', path: 'targetApps', method: 'POST', bodyProperty: 'apps' }],
    },
    dependsOn: ['roleScopeTags', 'assignmentFilters'],
  };
}
