import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Device compliance policies (polymorphic: windows10CompliancePolicy, iosCompliancePolicy,
 * androidWorkProfileCompliancePolicy, ...).
 *
 * Graph: GET/POST /deviceManagement/deviceCompliancePolicies, PATCH/DELETE .../{id}.
 * - assignments and scheduledActionsForRule are relationships: read with $expand on the list
 *   (scheduledActionConfigurations is a relationship of the rule, hence the nested $expand).
 * - assignments are written with POST .../{id}/assign { assignments }.
 * - scheduledActionsForRule is required in the create body; afterwards it is replaced with
 *   POST .../{id}/scheduleActionsForRules { deviceComplianceScheduledActionForRules }.
 * - PATCH of a derived type carries its @odata.type (as in every documented PATCH example).
 */
export const deviceCompliancePolicies = defineResource({
  type: 'deviceCompliancePolicies',
  workload: 'intune',
  title: 'Compliance policies',
  docs: intuneDocs('intune-deviceconfig-devicecompliancepolicy'),
  api: 'beta',
  graphType: 'microsoft.graph.deviceCompliancePolicy',
  path: '/deviceManagement/deviceCompliancePolicies',
  kind: 'collection',
  nameField: 'displayName',
  listQuery: { $expand: 'assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)' },
  volatile: [
    ...assignmentVolatile(),
    'scheduledActionsForRule[].id',
    'scheduledActionsForRule[].scheduledActionConfigurations[].id',
  ],
  references: [
    ...assignmentReferences(),
    roleScopeTagReference(),
    // "A list of group IDs to specify who to CC this notification message to."
    { path: 'scheduledActionsForRule[].scheduledActionConfigurations[].notificationMessageCCList[]', target: 'groups' },
  ],
  permissions: { read: 'DeviceManagementConfiguration.Read.All', write: 'DeviceManagementConfiguration.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', includeODataType: true },
    delete: true,
    createOnly: ['scheduledActionsForRule'],
    assignments: { property: 'assignments', action: 'assign', bodyProperty: 'assignments' },
    actions: [
      {
        property: 'scheduledActionsForRule',
        path: 'scheduleActionsForRules',
        method: 'POST',
        bodyProperty: 'deviceComplianceScheduledActionForRules',
      },
    ],
  },
  dependsOn: ['roleScopeTags', 'assignmentFilters'],
});
