import { defineResource } from '../definition.js';

/**
 * Authentication strengths: the three built-in ones (ids ...0002, ...0003, ...0004, policyType
 * builtIn) and the tenant's custom ones. GET /policies/authenticationStrengthPolicies (v1.0).
 *
 * - POST (create) carries allowedCombinations (required); PATCH changes only displayName and
 *   description; allowedCombinations is then written through
 *   POST {id}/updateAllowedCombinations { allowedCombinations: [...] }.
 * - combinationConfigurations (FIDO2 AAGUID restrictions) come inline with the list response;
 *   their ids are server-generated. They are written through POST/DELETE on
 *   {id}/combinationConfigurations, which the definition schema cannot express yet, so they are
 *   backed up and never sent on update.
 * - policyType and requirementsSatisfied are computed by the service.
 */
export const authenticationStrengthPolicies = defineResource({
  type: 'authenticationStrengthPolicies',
  workload: 'entra',
  title: 'Authentication strengths',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/authenticationstrengthpolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.authenticationStrengthPolicy',
  path: '/policies/authenticationStrengthPolicies',
  kind: 'collection',
  volatile: ['combinationConfigurations[].id'],
  readOnlyWhen: { field: 'policyType', equals: 'builtIn' },
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.ConditionalAccess',
  },
  throttle: 'default',
  write: {
    create: { method: 'POST' },
    update: {
      method: 'PATCH',
      omit: ['policyType', 'requirementsSatisfied', 'combinationConfigurations'],
    },
    delete: true,
    // Required in the create body; afterwards changed only through updateAllowedCombinations.
    createOnly: ['allowedCombinations'],
    actions: [
      {
        property: 'allowedCombinations',
        path: 'updateAllowedCombinations',
        method: 'POST',
        bodyProperty: 'allowedCombinations',
      },
    ],
  },
});
