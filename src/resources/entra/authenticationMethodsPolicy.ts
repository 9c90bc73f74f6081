import { defineResource } from '../definition.js';

/**
 * The tenant-wide authentication methods policy (singleton, GET/PATCH
 * /policies/authenticationMethodsPolicy, v1.0). Its authenticationMethodConfigurations come back
 * expanded; they are their own type (authenticationMethodConfigurations) and are removed here.
 * displayName, description and policyVersion are read-only.
 */
export const authenticationMethodsPolicy = defineResource({
  type: 'authenticationMethodsPolicy',
  workload: 'entra',
  title: 'Authentication methods policy',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/authenticationmethodspolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.authenticationMethodsPolicy',
  path: '/policies/authenticationMethodsPolicy',
  kind: 'singleton',
  singletonName: 'Authentication methods policy',
  volatile: ['authenticationMethodConfigurations', 'policyVersion'],
  references: [
    {
      path: 'registrationEnforcement.authenticationMethodsRegistrationCampaign.includeTargets[].id',
      target: 'groups',
      keywords: ['all_users'],
    },
    {
      path: 'registrationEnforcement.authenticationMethodsRegistrationCampaign.excludeTargets[].id',
      target: 'groups',
      keywords: ['all_users'],
    },
  ],
  permissions: {
    read: 'Policy.Read.AuthenticationMethod',
    write: 'Policy.ReadWrite.AuthenticationMethod',
  },
  throttle: 'default',
  write: {
    update: { method: 'PATCH', omit: ['displayName', 'description'] },
    delete: false,
  },
});
