import { defineResource } from '../definition.js';

/**
 * Per-method settings of the authentication methods policy (Fido2, MicrosoftAuthenticator, Sms,
 * TemporaryAccessPass, ...), GET/PATCH
 * /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id} (v1.0).
 * They have no displayName: the id (the method's name) is the name. They exist in every tenant:
 * never created nor deleted here. The PATCH body must carry @odata.type
 * (#microsoft.graph.fido2AuthenticationMethodConfiguration, ...).
 */
const targetKeywords = ['all_users', '00000000-0000-0000-0000-000000000000'];

export const authenticationMethodConfigurations = defineResource({
  type: 'authenticationMethodConfigurations',
  workload: 'entra',
  title: 'Authentication method configurations',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/authenticationmethodconfiguration?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.authenticationMethodConfiguration',
  path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations',
  kind: 'collection',
  nameField: 'id',
  references: [
    { path: 'includeTargets[].id', target: 'groups', keywords: ['all_users'] },
    { path: 'excludeTargets[].id', target: 'groups', keywords: ['all_users'] },
    { path: 'featureSettings.displayAppInformationRequiredState.includeTarget.id', target: 'groups', keywords: targetKeywords },
    { path: 'featureSettings.displayAppInformationRequiredState.excludeTarget.id', target: 'groups', keywords: targetKeywords },
    { path: 'featureSettings.displayLocationInformationRequiredState.includeTarget.id', target: 'groups', keywords: targetKeywords },
    { path: 'featureSettings.displayLocationInformationRequiredState.excludeTarget.id', target: 'groups', keywords: targetKeywords },
  ],
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.AuthenticationMethod',
  },
  throttle: 'default',
  write: {
    update: { method: 'PATCH', includeODataType: true },
    delete: false,
  },
});
