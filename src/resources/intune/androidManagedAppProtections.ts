import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * App protection policies for Android (androidManagedAppProtection). See iosManagedAppProtections
 * for why app protection is one type per platform.
 *
 * Graph: GET/POST /deviceAppManagement/androidManagedAppProtections, PATCH/DELETE .../{id};
 * apps and assignments with $expand on the list; POST .../{id}/assign { assignments };
 * POST .../{id}/targetApps { apps, appGroupType }.
 */
export const androidManagedAppProtections = defineResource({
  type: 'androidManagedAppProtections',
  workload: 'intune',
  title: 'App protection policies (Android)',
  docs: intuneDocs('intune-mam-androidmanagedappprotection'),
  api: 'beta',
  path: '/deviceAppManagement/androidManagedAppProtections',
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
