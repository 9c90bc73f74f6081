import type { TenantConfig } from '../config/load.js';
import type { GraphClient } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import { reconcile, renderPlanMarkdown, baseName, type IdMap, type Reconciliation, type Tree } from '../reconcile/index.js';
import { readDesired, type DesiredTree } from './validate.js';
import { readSnapshot, type TenantSnapshot } from './backup.js';

/** The tenant as a reconcile tree: the files a backup would write, parsed back */
export function treeFromSnapshot(snapshot: TenantSnapshot): { tree: Tree; idMap: IdMap; unread: string[] } {
  const tree: Tree = {};
  const idMap: IdMap = {};
  const unread: string[] = [];
  for (const t of snapshot.types) {
    if (t.status === 'failed') {
      unread.push(t.def.type);
      continue;
    }
    tree[t.def.type] = [...t.files].map(([file, content]) => ({ file: baseName(file), object: JSON.parse(content) as Record<string, unknown> }));
    idMap[t.def.type] = t.ids;
  }
  return { tree, idMap, unread };
}

export { readDesired, type DesiredTree } from './validate.js';

export interface TenantPlan {
  reconciliation: Reconciliation;
  markdown: string;
  desired: DesiredTree;
  snapshot: TenantSnapshot;
}

/**
 * The plan for the working tree against the tenant as it is now (the command line's `plan`): every
 * difference is a change the repository asks for, since there is no recorded base to tell drift
 * from edits. Types that could not be read, or whose files are invalid, are left out entirely.
 */
export async function planTenant(options: { tenant: TenantConfig; root: string; graph: GraphClient; log: Logger }): Promise<TenantPlan> {
  const { tenant, root, graph, log } = options;
  const [snapshot, desired] = await Promise.all([readSnapshot({ tenant, graph, log }), readDesired(root, tenant)]);
  const current = treeFromSnapshot(snapshot);
  const reconciliation = reconcile({
    tenantName: tenant.name,
    tenantId: tenant.tenantId,
    defs: tenant.types,
    base: current.tree,
    tenant: current.tree,
    desired: desired.tree,
    unreadTypes: [...current.unread, ...desired.invalid],
    idMap: current.idMap,
    drift: tenant.drift,
    deleteGuard: tenant.deleteGuard,
  });
  return { reconciliation, markdown: renderPlanMarkdown(reconciliation.plan, { language: tenant.language }), desired, snapshot };
}
