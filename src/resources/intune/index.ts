import type { ResourceDefinition } from '../definition.js';
import { roleScopeTags } from './roleScopeTags.js';
import { assignmentFilters } from './assignmentFilters.js';
import { deviceCompliancePolicies } from './deviceCompliancePolicies.js';
import { deviceConfigurations } from './deviceConfigurations.js';
import { configurationPolicies } from './configurationPolicies.js';
import { iosManagedAppProtections } from './iosManagedAppProtections.js';
import { androidManagedAppProtections } from './androidManagedAppProtections.js';
import { deviceEnrollmentConfigurations } from './deviceEnrollmentConfigurations.js';
import { windowsAutopilotDeploymentProfiles } from './windowsAutopilotDeploymentProfiles.js';

/** Intune types (Graph beta), in dependency order: scope tags and assignment filters first. */
export const intuneResources: ResourceDefinition[] = [
  roleScopeTags,
  assignmentFilters,
  deviceCompliancePolicies,
  deviceConfigurations,
  configurationPolicies,
  iosManagedAppProtections,
  androidManagedAppProtections,
  deviceEnrollmentConfigurations,
  windowsAutopilotDeploymentProfiles,
];

export {
  roleScopeTags,
  assignmentFilters,
  deviceCompliancePolicies,
  deviceConfigurations,
  configurationPolicies,
  iosManagedAppProtections,
  androidManagedAppProtections,
  deviceEnrollmentConfigurations,
  windowsAutopilotDeploymentProfiles,
};
