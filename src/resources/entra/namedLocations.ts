import { defineResource } from '../definition.js';

/**
 * Named locations (IP ranges and countries) used by conditional access policies.
 * GET/POST/PATCH/DELETE /identity/conditionalAccess/namedLocations (v1.0).
 * The PATCH body must carry @odata.type (#microsoft.graph.ipNamedLocation or
 * #microsoft.graph.countryNamedLocation), hence includeODataType.
 */
export const namedLocations = defineResource({
  type: 'namedLocations',
  workload: 'entra',
  title: 'Named locations',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/namedlocation?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.namedLocation',
  path: '/identity/conditionalAccess/namedLocations',
  kind: 'collection',
  permissions: {
    read: 'Policy.Read.All',
    // Documented as "Policy.Read.All and Policy.ReadWrite.ConditionalAccess"; Policy.Read.All is the read permission.
    write: 'Policy.ReadWrite.ConditionalAccess',
  },
  throttle: 'conditionalAccess',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', includeODataType: true },
    delete: true,
  },
});
