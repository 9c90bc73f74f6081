import { defineResource } from '../definition.js';

/**
 * Admin consent request workflow (singleton, GET/PUT /policies/adminConsentRequestPolicy, v1.0).
 * Updated with PUT of the whole object. reviewers[] are accessReviewReviewerScope queries
 * ("/users/{id}", "/groups/{id}/transitiveMembers/microsoft.graph.user", "/roleManagement/...");
 * the ids inside those query strings are kept as they are (no reference by name).
 */
export const adminConsentRequestPolicy = defineResource({
  type: 'adminConsentRequestPolicy',
  workload: 'entra',
  title: 'Admin consent request policy',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/adminconsentrequestpolicy?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.adminConsentRequestPolicy',
  path: '/policies/adminConsentRequestPolicy',
  kind: 'singleton',
  singletonName: 'Admin consent request policy',
  permissions: {
    read: 'Policy.Read.All',
    write: 'Policy.ReadWrite.ConsentRequest',
  },
  throttle: 'default',
  write: {
    update: { method: 'PUT' },
    delete: false,
  },
});
