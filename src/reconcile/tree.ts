import { z } from 'zod';
import type { TenantTree } from '../snapshot/files.js';
import { FILE_EXTENSION } from '../snapshot/layout.js';

/**
 * What reconcile compares: three trees of one tenant, each type -> its objects exactly as the
 * files hold them (normalised, references by name).
 *
 * - A type that is not a key of the tenant tree or of the desired tree is treated as not read and
 *   left out of the comparison (never as empty: that would plan deletes). Pass an empty list for a
 *   type that was read and has no objects.
 * - A type missing from base simply has no recorded history (first sync).
 */

export const treeEntrySchema = z.object({
  /** The file name without '.json' (not a path) */
  file: z.string().min(1),
  object: z.record(z.string(), z.unknown()),
});
export type TreeEntry = z.infer<typeof treeEntrySchema>;

/** type -> entries */
export const treeSchema = z.record(z.string(), z.array(treeEntrySchema));
export type Tree = z.infer<typeof treeSchema>;

/** type -> file name (without .json) -> id in the tenant, as the backup records it */
export const idMapSchema = z.record(z.string(), z.record(z.string(), z.string()));
export type IdMap = z.infer<typeof idMapSchema>;

/**
 * The tree of a tenant folder read with readTenantTree: files become bare file names. Types with
 * errors in their files (`invalidTypes`) are left out, so reconcile does not compare them; pass
 * them in `unreadTypes` too, to name them in the plan.
 */
export function treeFromTenantTree(tree: TenantTree): Tree {
  const out: Tree = {};
  for (const [type, files] of tree.objects) {
    if (tree.invalidTypes.has(type)) continue;
    out[type] = files.map(({ file, object }) => ({ file: baseName(file), object }));
  }
  return out;
}

/** 'tenants/contoso/entra/namedLocations/HQ.json' -> 'HQ' */
export function baseName(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.toLowerCase().endsWith(FILE_EXTENSION) ? name.slice(0, -FILE_EXTENSION.length) : name;
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** tree[type], or undefined when the type is not a key of the tree (never a prototype property) */
export function entriesOf(tree: Tree, type: string): TreeEntry[] | undefined {
  return hasOwn(tree, type) ? tree[type] : undefined;
}

export function idOf(map: IdMap | undefined, type: string, file: string): string | undefined {
  if (!map || !hasOwn(map, type)) return undefined;
  const files = map[type]!;
  return hasOwn(files, file) ? files[file] : undefined;
}
