import { defineResource } from '../definition.js';

/**
 * Tenant-level SharePoint and OneDrive settings (singleton, GET/PATCH /admin/sharepoint/settings,
 * v1.0). availableManagedPathsForSiteCreation is read-only.
 */
export const sharePointSettings = defineResource({
  type: 'sharePointSettings',
  workload: 'sharepoint',
  title: 'SharePoint and OneDrive settings',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/sharepointsettings?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.sharepointSettings',
  path: '/admin/sharepoint/settings',
  kind: 'singleton',
  singletonName: 'SharePoint settings',
  permissions: {
    read: 'SharePointTenantSettings.Read.All',
    write: 'SharePointTenantSettings.ReadWrite.All',
  },
  throttle: 'sharepoint',
  write: {
    update: { method: 'PATCH', omit: ['availableManagedPathsForSiteCreation'] },
    delete: false,
  },
});
