import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Enrollment restrictions, device limits, Windows Hello for Business and enrollment status pages
 * (deviceEnrollmentConfiguration, polymorphic).
 *
 * Graph: GET/POST /deviceManagement/deviceEnrollmentConfigurations, PATCH/DELETE .../{id};
 * assignments: POST .../{id}/assign { enrollmentConfigurationAssignments };
 * priority: POST .../{id}/setPriority { priority }.
 * The tenant's default configurations (deviceEnrollmentConfigurationType default*, priority 0,
 * id '{tenantId}_Default...') apply to everyone and cannot be deleted or assigned.
 * Not expressible yet: readOnlyWhen on "priority equals 0" (the schema compares strings and
 * booleans only), see the report.
 */
export const deviceEnrollmentConfigurations = defineResource({
  type: 'deviceEnrollmentConfigurations',
  workload: 'intune',
  title: 'Enrollment configurations',
  docs: intuneDocs('intune-shared-deviceenrollmentconfiguration'),
  api: 'beta',
  graphType: 'microsoft.graph.deviceEnrollmentConfiguration',
  path: '/deviceManagement/deviceEnrollmentConfigurations',
  kind: 'collection',
  nameField: 'displayName',
  listQuery: { $expand: 'assignments' },
  volatile: [...assignmentVolatile()],
  references: [...assignmentReferences(), roleScopeTagReference()],
  permissions: { read: 'DeviceManagementServiceConfig.Read.All', write: 'DeviceManagementServiceConfig.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', includeODataType: true },
    delete: true,
    assignments: { property: 'assignments', action: 'assign', bodyProperty: 'enrollmentConfigurationAssignments' },
    actions: [{ property: 'priority', path: 'setPriority', method: 'POST', bodyProperty: 'priority' }],
  },
  dependsOn: ['roleScopeTags', 'assignmentFilters'],
});
