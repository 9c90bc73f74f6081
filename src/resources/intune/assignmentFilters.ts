import { defineResource } from '../definition.js';
import { intuneDocs, roleScopeTagReference } from './common.js';

/**
 * Assignment filters (deviceAndAppManagementAssignmentFilter). Referenced by every Intune assignment
 * (target.deviceAndAppManagementAssignmentFilterId), so they are deployed before the policies.
 *
 * Graph: GET/POST /deviceManagement/assignmentFilters, PATCH/DELETE .../{id}.
 * Scope tags are in `roleScopeTags` here (not `roleScopeTagIds`).
 * `payloads` lists the assignments that use the filter: derived from the policies, volatile.
 */
export const assignmentFilters = defineResource({
  type: 'assignmentFilters',
  workload: 'intune',
  title: 'Assignment filters',
  docs: intuneDocs('intune-policyset-deviceandappmanagementassignmentfilter'),
  api: 'beta',
  graphType: 'microsoft.graph.deviceAndAppManagementAssignmentFilter',
  path: '/deviceManagement/assignmentFilters',
  kind: 'collection',
  nameField: 'displayName',
  volatile: ['payloads'],
  references: [roleScopeTagReference('roleScopeTags[]')],
  permissions: { read: 'DeviceManagementConfiguration.Read.All', write: 'DeviceManagementConfiguration.ReadWrite.All' },
  throttle: 'intune',
  write: {
    create: { method: 'POST' },
    update: { method: 'PATCH' },
    delete: true,
  },
  dependsOn: ['roleScopeTags'],
});
