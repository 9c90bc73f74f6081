import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * App protection policies for iOS/iPadOS (iosManagedAppProtection).
 *
 * Why one type per platform: /deviceAppManagement/managedAppPolicies only lists and gets (no create,
 * update or delete), while /deviceAppManagement/iosManagedAppProtections and
 * androidManagedAppProtections have the full create / update / delete.
 *
 * Graph: GET/POST /deviceAppManagement/iosManagedAppProtections, PATCH/DELETE .../{id}.
 * - apps and assignments are relationships, read with $expand on the list.
 * - assignments: POST .../{id}/assign { assignments } (action bound to targetedManagedAppProtection).
 * - apps: POST .../{id}/targetApps { apps, appGroupType }.
 * Read-only / derived: isAssigned, deployedAppCount, and each app's id and version.
 */
export const iosManagedAppProtections = defineResource({
  type: 'iosManagedAppProtections',
  workload: 'intune',
  title: 'App protection policies (iOS/iPadOS)',
  docs: intuneDocs('intune-mam-iosmanagedappprotection'),
  api: 'beta',
  path: '/deviceAppManagement/iosManagedAppProtections',
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
});
