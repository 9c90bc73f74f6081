import { defineResource } from '../definition.js';

/**
 * Tenant-wide directory settings created from directory setting templates (Group.Unified,
 * Password Rule Settings, ...), GET/POST /groupSettings, PATCH/DELETE /groupSettings/{id} (v1.0).
 * displayName comes from the template and templateId is fixed at creation; PATCH takes the whole
 * values collection.
 */
export const groupSettings = defineResource({
  type: 'groupSettings',
  workload: 'entra',
  title: 'Directory settings',
  docs: 'https://learn.microsoft.com/en-us/graph/api/resources/groupsetting?view=graph-rest-1.0',
  api: 'v1.0',
  graphType: 'microsoft.graph.groupSetting',
  path: '/groupSettings',
  kind: 'collection',
  permissions: {
    read: 'Directory.Read.All',
    // "Consent Policy Settings" alone can be written with Policy.ReadWrite.Authorization.
    write: 'Directory.ReadWrite.All',
  },
  throttle: 'directory',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH', omit: ['displayName', 'templateId'] },
    delete: true,
  },
});
