import { defineResource } from '../definition.js';

/**
 * Tenant-wide settings of Teams apps (singleton, GET/PATCH /teamwork/teamsAppSettings, v1.0).
 * Microsoft documents only delegated permissions for both methods ("Application: Not supported"),
 * so a signed-in user reads and writes it: TeamworkAppSettings.Read.All / ReadWrite.All.
 * Available in every national cloud.
 */
export const teamsAppSettings = defineResource({
  type: 'teamsAppSettings',
  workload: 'teams',
  title: 'Teams app settings',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/teamsappsettings?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.teamsAppSettings',
  path: '/teamwork/teamsAppSettings',
  kind: 'singleton',
  singletonName: 'Teams app settings',
  permissions: {
    read: 'TeamworkAppSettings.Read.All',
    write: 'TeamworkAppSettings.ReadWrite.All',
  },
  delegatedOnly: true,
  throttle: 'default',
  write: {
    update: { method: 'PATCH' },
    delete: false,
  },
});
