import { defineResource } from '../definition.js';

/**
 * Conditional access policies. GET/POST /identity/conditionalAccess/policies, PATCH/DELETE
 * /identity/conditionalAccess/policies/{id} (v1.0).
 *
 * grantControls.authenticationStrength comes back expanded (the whole authenticationStrengthPolicy,
 * with an authenticationStrength@odata.context annotation); only its id is configuration, which is
 * written by name through the reference to authenticationStrengthPolicies. The rest is a copy of
 * the other object and is removed.
 *
 * conditions.locations may name the pseudo-location 00000000-0000-0000-0000-000000000000
 * ("MFA trusted IPs") besides the keywords All and AllTrusted.
 */
export const conditionalAccessPolicies = defineResource({
  type: 'conditionalAccessPolicies',
  workload: 'entra',
  title: 'Conditional access policies',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/conditionalaccesspolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.conditionalAccessPolicy',
  path: '/identity/conditionalAccess/policies',
  kind: 'collection',
  volatile: [
    'grantControls.authenticationStrength.createdDateTime',
    'grantControls.authenticationStrength.modifiedDateTime',
    'grantControls.authenticationStrength.displayName',
    'grantControls.authenticationStrength.description',
    'grantControls.authenticationStrength.policyType',
    'grantControls.authenticationStrength.requirementsSatisfied',
    'grantControls.authenticationStrength.allowedCombinations',
    'grantControls.authenticationStrength.combinationConfigurations',
  ],
  references: [
    { path: 'conditions.users.includeUsers[]', target: 'users', keywords: ['All', 'None', 'GuestsOrExternalUsers'] },
    { path: 'conditions.users.excludeUsers[]', target: 'users', keywords: ['All', 'None', 'GuestsOrExternalUsers'] },
    { path: 'conditions.users.includeGroups[]', target: 'groups' },
    { path: 'conditions.users.excludeGroups[]', target: 'groups' },
    {
      path: 'conditions.locations.includeLocations[]',
      target: 'namedLocations',
      keywords: ['All', 'AllTrusted', '00000000-0000-0000-0000-000000000000'],
    },
    {
      path: 'conditions.locations.excludeLocations[]',
      target: 'namedLocations',
      keywords: ['All', 'AllTrusted', '00000000-0000-0000-0000-000000000000'],
    },
    { path: 'grantControls.authenticationStrength.id', target: 'authenticationStrengthPolicies' },
  ],
  permissions: {
    read: 'Policy.Read.All',
    // Documented as "Policy.Read.All and Policy.ReadWrite.ConditionalAccess" (known permissions issue).
    write: 'Policy.ReadWrite.ConditionalAccess',
  },
  throttle: 'conditionalAccess',
  write: {
    create: { method: 'POST' },
    // templateId (the global Microsoft template the policy was made from) is read-only.
    update: { method: 'PATCH', omit: ['templateId'] },
    delete: true,
  },
  dependsOn: ['namedLocations', 'authenticationStrengthPolicies'],
});
