import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Windows Autopilot deployment profiles (azureADWindowsAutopilotDeploymentProfile,
 * activeDirectoryWindowsAutopilotDeploymentProfile).
 *
 * Graph: GET/POST /deviceManagement/windowsAutopilotDeploymentProfiles, PATCH/DELETE .../{id};
 * assignments (windowsAutopilotDeploymentProfileAssignment) with $expand on the list.
 * Unlike the other Intune types, the profile's `assign` action takes device ids ({ deviceIds }),
 * not group assignments: group assignments are items of .../{id}/assignments, created one by one
 * (POST) and removed one by one (DELETE). The schema has no such write mode yet, so assignments are
 * backed up and referenced by name but never sent in the PATCH body (see the report).
 * Read-only, deprecated mirrors of writable properties (docs: "Read-Only ... deprecated, use X"):
 * language (locale), outOfBoxExperienceSettings (outOfBoxExperienceSetting), extractHardwareHash
 * (hardwareHashExtractionEnabled), enableWhiteGlove (preprovisioningAllowed).
 */
export const windowsAutopilotDeploymentProfiles = defineResource({
  type: 'windowsAutopilotDeploymentProfiles',
  workload: 'intune',
  title: 'Windows Autopilot deployment profiles',
  docs: intuneDocs('intune-enrollment-windowsautopilotdeploymentprofile'),
  api: 'beta',
  graphType: 'microsoft.graph.windowsAutopilotDeploymentProfile',
  path: '/deviceManagement/windowsAutopilotDeploymentProfiles',
  kind: 'collection',
  nameField: 'displayName',
  listQuery: { $expand: 'assignments' },
  volatile: [
    ...assignmentVolatile(),
    'language',
    'outOfBoxExperienceSettings',
    'extractHardwareHash',
    'enableWhiteGlove',
  ],
  references: [...assignmentReferences(), roleScopeTagReference()],
  permissions: { read: 'DeviceManagementServiceConfig.Read.All', write: 'DeviceManagementServiceConfig.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', includeODataType: true, omit: ['assignments'] },
    delete: true,
  },
  dependsOn: ['roleScopeTags', 'assignmentFilters'],
});
