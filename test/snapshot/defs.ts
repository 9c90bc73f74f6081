import { defineResource, type ResourceDefinitionInput } from '../../src/resources/definition.js';

/** Small inline definitions, independent of the catalogue. */
export function testDef(overrides: Partial<ResourceDefinitionInput> = {}) {
  return defineResource({
    type: 'testPolicies',
    workload: 'entra',
    title: 'Test policies',
    docs: 'https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy',
    api: 'v1.0',
    path: '/identity/conditionalAccess/policies',
    kind: 'collection',
    permissions: { read: 'Policy.Read.All', write: 'Policy.ReadWrite.ConditionalAccess' },
    ...overrides,
  });
}

export const caPolicies = testDef({
  type: 'conditionalAccessPolicies',
  title: 'Conditional access policies',
  volatile: ['templateId', 'conditions.clientApplications.servicePrincipalFilter.@odata.type'],
  references: [
    { path: 'conditions.users.includeGroups[]', target: 'groups', keywords: [] },
    { path: 'conditions.users.excludeGroups[]', target: 'groups' },
    { path: 'conditions.users.includeUsers[]', target: 'users', keywords: ['All', 'None', 'GuestsOrExternalUsers'] },
    { path: 'conditions.locations.includeLocations[]', target: 'namedLocations', keywords: ['All', 'AllTrusted'] },
  ],
});

export const settingsCatalog = testDef({
  type: 'settingsCatalogPolicies',
  workload: 'intune',
  title: 'Settings catalog',
  api: 'beta',
  path: '/deviceManagement/configurationPolicies',
  nameField: 'name',
  children: [{ property: 'settings', path: 'settings', volatile: ['id', 'settingInstance.settingInstanceTemplateReference'] }],
  volatile: ['assignments[].id', 'assignments[].sourceId', 'settingCount'],
  references: [
    { path: 'assignments[].target.groupId', target: 'groups' },
    { path: 'assignments[].target.deviceAndAppManagementAssignmentFilterId', target: 'assignmentFilters', keywords: ['00000000-0000-0000-0000-000000000000'] },
    { path: 'roleScopeTagIds[]', target: 'roleScopeTags', keywords: ['0'] },
  ],
});

export const authMethods = testDef({
  type: 'authenticationMethodConfigurations',
  title: 'Authentication methods',
  path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations',
  nameField: 'id',
});

export const authorizationPolicy = testDef({
  type: 'authorizationPolicy',
  title: 'Authorization policy',
  path: '/policies/authorizationPolicy',
  kind: 'singleton',
  singletonName: 'Authorization policy',
});
