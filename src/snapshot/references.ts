import type { ResourceDefinition } from '../resources/definition.js';
import { readVisit, resolvePath, writeVisit } from './paths.js';
import { isPlainObject, toJsonValue, type JsonObject } from './util.js';

/**
 * References between objects, written by name in the files and by id in the tenant
 * (def.references: a path to an id or an array of ids, the type they point at, and keywords such
 * as 'All' that are not ids). Pure: the input object is never changed.
 *
 * A path may end on a scalar ('assignments[].target.groupId') or walk an array of ids
 * ('conditions.users.includeGroups[]'); arrays may be nested; a missing or null value along the
 * way is skipped. Only string values are ids; anything else is left as it is.
 */

export interface UnresolvedId {
  /** Concrete path with indexes: 'conditions.users.includeGroups[1]' */
  path: string;
  target: string;
  id: string;
}

export interface UnresolvedName {
  path: string;
  target: string;
  name: string;
}

/** Every id the object refers to, by target type; keywords are left out. */
export function collectReferencedIds(def: ResourceDefinition, obj: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const ref of def.references) {
    const keywords = new Set(ref.keywords);
    for (const visit of resolvePath(obj, ref.path)) {
      const value = readVisit(visit);
      if (typeof value !== 'string' || keywords.has(value)) continue;
      let ids = out.get(ref.target);
      if (!ids) out.set(ref.target, (ids = new Set()));
      ids.add(value);
    }
  }
  return out;
}

/**
 * A copy of the object with each referenced id replaced by the name `names` gives for it. An id
 * without a name (a deleted group, a lookup that failed) stays as the id and is reported, so the
 * file still says which object was meant and nothing is silently dropped. Keywords stay.
 */
export function replaceIdsWithNames(
  def: ResourceDefinition,
  obj: unknown,
  names: (target: string, id: string) => string | undefined,
): { object: Record<string, unknown>; unresolved: UnresolvedId[] } {
  const { object, unresolved } = replace(def, toJsonValue(obj), names);
  return { object, unresolved: unresolved.map(({ path, target, value }) => ({ path, target, id: value })) };
}

/**
 * replaceIdsWithNames on an object the caller owns (a fresh copy nobody else holds): it is changed
 * in place and returned, without another copy.
 */
export function replaceIdsWithNamesInPlace(
  def: ResourceDefinition,
  obj: Record<string, unknown>,
  names: (target: string, id: string) => string | undefined,
): { object: Record<string, unknown>; unresolved: UnresolvedId[] } {
  const { object, unresolved } = replace(def, obj, names);
  return { object, unresolved: unresolved.map(({ path, target, value }) => ({ path, target, id: value })) };
}

/**
 * The reverse, for deploy: a copy with each referenced name replaced by the id `ids` gives for it
 * in the target tenant. A name without an id stays as it is and is reported: the caller must not
 * deploy the object (Graph would reject the name, or worse, accept it as an unknown id). Keywords
 * stay. `ids` may accept an id as well as a name if ids in files should be allowed.
 */
export function replaceNamesWithIds(
  def: ResourceDefinition,
  obj: unknown,
  ids: (target: string, name: string) => string | undefined,
): { object: Record<string, unknown>; unresolved: UnresolvedName[] } {
  const { object, unresolved } = replace(def, toJsonValue(obj), ids);
  return { object, unresolved: unresolved.map(({ path, target, value }) => ({ path, target, name: value })) };
}

/** Replaces the references in `object` itself (callers pass a copy) */
function replace(
  def: ResourceDefinition,
  object: unknown,
  map: (target: string, value: string) => string | undefined,
): { object: JsonObject; unresolved: { path: string; target: string; value: string }[] } {
  if (!isPlainObject(object)) throw new TypeError(`${def.type}: references can only be replaced in a JSON object`);
  // Find every place first, then write: a replaced value is never looked up a second time even
  // when two references reach the same place.
  const places = def.references.flatMap((ref) =>
    resolvePath(object, ref.path).map((visit) => ({ ref, visit, value: readVisit(visit) })),
  );
  const unresolved: { path: string; target: string; value: string }[] = [];
  const done = new Set<string>();
  for (const { ref, visit, value } of places) {
    if (typeof value !== 'string' || ref.keywords.includes(value) || done.has(visit.at)) continue;
    done.add(visit.at);
    const mapped = map(ref.target, value);
    if (mapped === undefined) unresolved.push({ path: visit.at, target: ref.target, value });
    else writeVisit(visit, mapped);
  }
  return { object, unresolved };
}
