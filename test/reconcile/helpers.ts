import { defineResource, type ResourceDefinition, type ResourceDefinitionInput } from '../../src/resources/definition.js';
import type { IdMap, PlanItem, Tree, TreeEntry } from '../../src/reconcile/index.js';
import { compareCodePoints } from '../../src/snapshot/util.js';

/** Small inline definitions, independent of the catalogue. */
export function def(overrides: Partial<ResourceDefinitionInput> & { type: string }): ResourceDefinition {
  return defineResource({
    workload: 'entra',
    title: overrides.type,
    docs: 'https://learn.microsoft.com/graph/api/resources/namedlocation',
    api: 'v1.0',
    path: `/test/${overrides.type}`,
    kind: 'collection',
    permissions: { read: 'Policy.Read.All', write: 'Policy.ReadWrite.ConditionalAccess' },
    write: { create: {}, update: {}, delete: true },
    ...overrides,
  });
}

export const locations = def({ type: 'namedLocations', title: 'Named locations' });

export const strengths = def({
  type: 'authenticationStrengthPolicies',
  title: 'Authentication strengths',
  readOnlyWhen: { field: 'policyType', equals: 'builtIn' },
});

export const policies = def({
  type: 'conditionalAccessPolicies',
  title: 'Conditional access policies',
  references: [
    { path: 'conditions.users.includeGroups[]', target: 'groups' },
    {
      path: 'conditions.locations.includeLocations[]',
      target: 'namedLocations',
      keywords: ['All', 'AllTrusted'],
    },
    { path: 'grantControls.authenticationStrength.id', target: 'authenticationStrengthPolicies' },
  ],
  dependsOn: ['namedLocations', 'authenticationStrengthPolicies'],
});

export const settingsSingleton = def({
  type: 'authorizationPolicy',
  title: 'Authorization policy',
  kind: 'singleton',
  singletonName: 'Authorization policy',
  write: { update: {}, delete: false },
});

export const readOnlyType = def({ type: 'directoryRoleTemplates', title: 'Role templates', write: undefined });

export const defs = [locations, strengths, policies];

export type Obj = Record<string, unknown>;

/** An entry named by displayName, file = name */
export function e(name: string, props: Obj = {}, file = name): TreeEntry {
  return { file, object: { displayName: name, ...props } };
}

export function tree(parts: Record<string, TreeEntry[]>, types: readonly ResourceDefinition[] = defs): Tree {
  const out: Tree = {};
  for (const d of types) out[d.type] = [];
  for (const [type, list] of Object.entries(parts)) out[type] = list;
  return out;
}

/** type -> file -> id, 'id-<file>' for every entry */
export function ids(t: Tree): IdMap {
  const out: IdMap = {};
  for (const [type, list] of Object.entries(t)) out[type] = Object.fromEntries(list.map((x) => [x.file, `id-${x.file}`]));
  return out;
}

/**
 * The tenant after a plan: what deploy would do, by name (updates find their object by its
 * tenant name, i.e. previousName when renamed). Pure.
 */
export function applyPlan(tenant: Tree, items: readonly PlanItem[], nameField = 'displayName'): Tree {
  const out: Tree = {};
  for (const [type, list] of Object.entries(tenant)) out[type] = [...list];
  for (const item of items) {
    const list = (out[item.type] ??= []);
    const tenantName = item.action === 'update' ? (item.previousName ?? item.name) : item.name;
    const index = list.findIndex((x) => x.object[nameField] === tenantName);
    if (item.action === 'create') {
      if (index >= 0) throw new Error(`create ${item.type}/${item.name}: already there`);
      list.push({ file: item.file, object: item.after });
    } else {
      if (index < 0) throw new Error(`${item.action} ${item.type}/${item.name}: not in the tenant`);
      if (item.action === 'update') list[index] = { file: item.file, object: item.after };
      else list.splice(index, 1);
    }
  }
  for (const type of Object.keys(out)) out[type]!.sort((a, b) => compareCodePoints(a.file, b.file));
  return out;
}

/** Objects of a tree by type and name (for comparisons that ignore file names and order). */
export function byName(t: Tree, nameField = 'displayName'): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const [type, list] of Object.entries(t)) for (const x of list) out.set(`${type}/${String(x.object[nameField])}`, x.object);
  return out;
}
