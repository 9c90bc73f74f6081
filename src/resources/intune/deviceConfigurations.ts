import { defineResource } from '../definition.js';
import { assignmentReferences, assignmentVolatile, intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Device configuration profiles from templates (polymorphic: windows10EndpointProtectionConfiguration,
 * windows10CustomConfiguration, iosGeneralDeviceConfiguration, windowsUpdateForBusinessConfiguration, ...).
 *
 * Graph: GET/POST /deviceManagement/deviceConfigurations, PATCH/DELETE .../{id};
 * assignments through POST .../{id}/assign { assignments }.
 * Read-only, type-specific: supportsScopeTags (all types), the update rings' pause start dates, and
 * omaSettings[].secretReferenceValueId (custom profiles; the value of an encrypted OMA setting is
 * not plain text, see isEncrypted).
 */
export const deviceConfigurations = defineResource({
  type: 'deviceConfigurations',
  workload: 'intune',
  title: 'Configuration profiles',
  docs: intuneDocs('intune-deviceconfig-deviceconfiguration'),
  api: 'beta',
  graphType: 'microsoft.graph.deviceConfiguration',
  path: '/deviceManagement/deviceConfigurations',
  kind: 'collection',
  nameField: 'displayName',
  listQuery: { $expand: 'assignments' },
  volatile: [
    ...assignmentVolatile(),
    'supportsScopeTags',
    'featureUpdatesPauseStartDate',
    'qualityUpdatesPauseStartDate',
    'omaSettings[].secretReferenceValueId',
  ],
  references: [...assignmentReferences(), roleScopeTagReference()],
  permissions: { read: 'DeviceManagementConfiguration.Read.All', write: 'DeviceManagementConfiguration.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', includeODataType: true },
    delete: true,
    assignments: { property: 'assignments', action: 'assign', bodyProperty: 'assignments' },
    // An encrypted OMA setting's value is ciphertext Graph keeps with secretReferenceValueId (the
    // plain text only comes from getOmaSettingPlainTextValue): never sent back as a literal.
    redacted: [{ path: 'omaSettings[].value', when: { field: 'isEncrypted', equals: true } }],
  },
  dependsOn: ['roleScopeTags', 'assignmentFilters'],
});
