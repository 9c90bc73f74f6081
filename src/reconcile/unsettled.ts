import { z } from 'zod';
import { compareCodePoints } from '../snapshot/util.js';
import { hasOwn, treeEntrySchema, type IdMap, type Tree, type TreeEntry } from './tree.js';

/**
 * The state branch records the tenant as last read. Its previous version of an object is the base
 * of the next comparison, which is right once the default branch and the tenant agree on the
 * object, or when only the repository changed it. An object the tenant changed while the default
 * branch does not hold that change (a conflict, an adoption that lost a race or was held back, a
 * drift only reported or proposed for remediation, an object with a plan error) is not settled:
 * the next sync must compare against the version both last agreed on, or the tenant's change
 * would pass for the base and the repository's version for a change to deploy over it.
 *
 * Those objects' base versions are kept beside the id map, in `.tenant-sync/<tenant>/unsettled.json`
 * (type -> entries), and put in place of the state branch's version when the base tree is read.
 * The file is absent when everything is settled.
 */
export const unsettledEntrySchema = z.object({
  /** The object's id in the tenant (null when unknown) */
  id: z.string().nullable(),
  /** Its file on the state branch (the tenant's version), without .json; null when the tenant has none */
  file: z.string().nullable(),
  /** The version both sides last agreed on; null when there was none (created in the tenant) */
  base: treeEntrySchema.nullable(),
});
export type UnsettledEntry = z.infer<typeof unsettledEntrySchema>;

export const unsettledSchema = z.record(z.string(), z.array(unsettledEntrySchema));
export type Unsettled = z.infer<typeof unsettledSchema>;

/** One unsettled object as reconcile reports it */
export interface UnsettledObject extends UnsettledEntry {
  type: string;
  /** The adoption takes the tenant's version: settled once it is on the default branch */
  adopt: boolean;
}

/**
 * The base of a comparison: the state branch's tree and id map, with each unsettled object's
 * recorded version in place of the tenant's. Pure. An entry whose base file another object holds
 * on the state branch now is left out (the state branch's version stands).
 */
export function baseWithUnsettled(tree: Tree, ids: IdMap, unsettled: Unsettled): { tree: Tree; ids: IdMap } {
  const outTree: Tree = { ...tree };
  const outIds: IdMap = { ...ids };
  for (const [type, entries] of Object.entries(unsettled)) {
    if (entries.length === 0) continue;
    const list: TreeEntry[] = [...(hasOwn(tree, type) ? tree[type]! : [])];
    const typeIds: Record<string, string> = { ...(hasOwn(ids, type) ? ids[type] : {}) };
    for (const entry of entries) {
      let at = entry.id === null ? -1 : list.findIndex((e) => typeIds[e.file] === entry.id);
      if (at < 0 && entry.file !== null) at = list.findIndex((e) => e.file === entry.file);
      if (entry.base && list.some((e, k) => k !== at && e.file === entry.base!.file)) continue;
      if (at >= 0) {
        delete typeIds[list[at]!.file];
        list.splice(at, 1);
      }
      if (entry.base) {
        list.push(entry.base);
        if (entry.id !== null) typeIds[entry.base.file] = entry.id;
        else delete typeIds[entry.base.file];
      }
    }
    outTree[type] = list.sort((a, b) => compareCodePoints(a.file, b.file));
    outIds[type] = typeIds;
  }
  return { tree: outTree, ids: outIds };
}

/**
 * What stays unsettled after a sync: the objects reconcile found unsettled (those it adopted only
 * when the adoption did not reach the default branch), and, for types that took no part in the
 * comparison, the entries recorded before.
 */
export function nextUnsettled(previous: Unsettled, found: readonly UnsettledObject[], options: { adopted: boolean; comparedTypes: Iterable<string> }): Unsettled {
  const out: Unsettled = {};
  const compared = new Set(options.comparedTypes);
  for (const [type, entries] of Object.entries(previous)) {
    if (!compared.has(type) && entries.length > 0) out[type] = [...entries];
  }
  for (const u of found) {
    if (u.adopt && options.adopted) continue;
    const { type, adopt: _adopt, ...entry } = u;
    (out[type] ??= []).push(entry);
  }
  const sorted: Unsettled = {};
  for (const type of Object.keys(out).sort(compareCodePoints)) {
    sorted[type] = out[type]!.sort((a, b) => compareCodePoints(a.file ?? a.base?.file ?? '', b.file ?? b.base?.file ?? '') || compareCodePoints(a.id ?? '', b.id ?? ''));
  }
  return sorted;
}
