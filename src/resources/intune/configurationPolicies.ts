import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Settings catalog policies (deviceManagementConfigurationPolicy), also used by endpoint security
 * templates (templateReference.templateFamily).
 *
 * Graph: GET/POST /deviceManagement/configurationPolicies, DELETE .../{id};
 * settings: GET .../{id}/settings (paged); assignments: $expand on the list, POST .../{id}/assign.
 * Update is PUT of the whole policy with its settings: the documented PATCH changes the policy's
 * own properties but not its settings (the settings sub-resources have no PATCH route).
 * Read-only / server-computed: settingCount, isAssigned, creationSource; each setting's id is its
 * position in the policy ('0', '1', ...).
 */
export const configurationPolicies = defineResource({
  type: 'configurationPolicies',
  workload: 'intune',
  title: 'Settings catalog policies',
  docs: intuneDocs('intune-deviceconfigv2-devicemanagementconfigurationpolicy'),
  api: 'beta',
  graphType: 'microsoft.graph.deviceManagementConfigurationPolicy',
  path: '/deviceManagement/configurationPolicies',
  kind: 'collection',
  nameField: 'name',
  listQuery: { $expand: 'assignments' },
  children: [{ property: 'settings', path: 'settings', paged: true, volatile: ['id'] }],
  volatile: [...assignmentVolatile(), 'settingCount', 'isAssigned', 'creationSource'],
  references: [...assignmentReferences(), roleScopeTagReference()],
  permissions: { read: 'DeviceManagementConfiguration.Read.All', write: 'DeviceManagementConfiguration.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PUT' },
    delete: true,
    assignments: { property: 'assignments', action: 'assign', bodyProperty: 'assignments' },
  },
  dependsOn: ['roleScopeTags', 'assignmentFilters'],
});
