import type { ResourceDefinition } from '../definition.js';
import { adminConsentRequestPolicy } from './adminConsentRequestPolicy.js';
import { authenticationMethodConfigurations } from './authenticationMethodConfigurations.js';
import { authenticationMethodsPolicy } from './authenticationMethodsPolicy.js';
import { authenticationStrengthPolicies } from './authenticationStrengthPolicies.js';
import { authorizationPolicy } from './authorizationPolicy.js';
import { conditionalAccessPolicies } from './conditionalAccessPolicies.js';
import { crossTenantAccessPolicyDefault } from './crossTenantAccessPolicyDefault.js';
import { crossTenantAccessPolicyPartners } from './crossTenantAccessPolicyPartners.js';
import { directoryRoleDefinitions } from './directoryRoleDefinitions.js';
import { groupSettings } from './groupSettings.js';
import { namedLocations } from './namedLocations.js';
import { permissionGrantPolicies } from './permissionGrantPolicies.js';
import { securityDefaults } from './securityDefaults.js';

/**
 * Entra ID types in dependency order: every type comes after the types it depends on.
 * Security defaults come before conditional access: the two cannot be on together, and the usual
 * change (turn security defaults off, then enable policies) needs that order.
 */
export const entraResources: ResourceDefinition[] = [
  namedLocations,
  authenticationStrengthPolicies,
  securityDefaults,
  conditionalAccessPolicies,
  authenticationMethodConfigurations,
  authenticationMethodsPolicy,
  permissionGrantPolicies,
  authorizationPolicy,
  adminConsentRequestPolicy,
  crossTenantAccessPolicyDefault,
  crossTenantAccessPolicyPartners,
  groupSettings,
  directoryRoleDefinitions,
];

export {
  adminConsentRequestPolicy,
  authenticationMethodConfigurations,
  authenticationMethodsPolicy,
  authenticationStrengthPolicies,
  authorizationPolicy,
  conditionalAccessPolicies,
  crossTenantAccessPolicyDefault,
  crossTenantAccessPolicyPartners,
  directoryRoleDefinitions,
  groupSettings,
  namedLocations,
  permissionGrantPolicies,
  securityDefaults,
};
