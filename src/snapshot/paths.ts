import { hasOwn, isPlainObject, setOwn, type JsonObject } from './util.js';

/**
 * Object paths as definition.ts describes them: segments joined by '.', a segment ending in '[]'
 * walks every element of that array ('conditions.users.includeGroups[]',
 * 'assignments[].target.groupId').
 *
 * Segments may themselves contain dots ('@odata.type' is a legal segment), so a path is split at
 * every dot and, at each object, the shortest run of tokens that names an existing key is taken:
 * 'target.@odata.type' finds key 'target', then key '@odata.type' (there is no key '@odata').
 * Missing keys, nulls and values of the wrong shape along the way end the walk silently.
 */

export interface PathToken {
  name: string;
  /** The token ended in '[]': walk every element of the array. */
  each: boolean;
}

export function parsePath(path: string): PathToken[] {
  return path.split('.').map((part) =>
    part.endsWith('[]') ? { name: part.slice(0, -2), each: true } : { name: part, each: false },
  );
}

/**
 * Where a path ends: `container[key]` holds the value (an object property, or an array element
 * when the last token ended in '[]'). `at` is the concrete path with indexes, for messages:
 * 'assignments[2].target.groupId'.
 */
export type PathVisit =
  | { kind: 'property'; container: JsonObject; key: string; at: string }
  | { kind: 'element'; container: unknown[]; index: number; at: string };

/** Every place the path reaches in `root`, in document order. */
export function resolvePath(root: unknown, path: string | PathToken[]): PathVisit[] {
  const tokens = typeof path === 'string' ? parsePath(path) : path;
  const out: PathVisit[] = [];
  walk(root, tokens, 0, '', out);
  return out;
}

function walk(value: unknown, tokens: PathToken[], start: number, prefix: string, out: PathVisit[]): void {
  if (!isPlainObject(value) || start >= tokens.length) return;
  let key = '';
  for (let end = start; end < tokens.length; end++) {
    const token = tokens[end]!;
    key = end === start ? token.name : `${key}.${token.name}`;
    if (!hasOwn(value, key)) {
      // A token ending in '[]' cannot be joined with the next one into a longer key.
      if (token.each) return;
      continue;
    }
    const at = prefix ? `${prefix}.${key}` : key;
    const last = end === tokens.length - 1;
    const child = value[key];
    if (token.each) {
      if (!Array.isArray(child)) return;
      child.forEach((element, index) => {
        const elementAt = `${at}[${index}]`;
        if (last) out.push({ kind: 'element', container: child, index, at: elementAt });
        else walk(element, tokens, end + 1, elementAt, out);
      });
    } else if (last) {
      out.push({ kind: 'property', container: value, key, at });
    } else {
      walk(child, tokens, end + 1, at, out);
    }
    return;
  }
}

export function readVisit(visit: PathVisit): unknown {
  return visit.kind === 'property' ? visit.container[visit.key] : visit.container[visit.index];
}

export function writeVisit(visit: PathVisit, value: unknown): void {
  if (visit.kind === 'property') setOwn(visit.container, visit.key, value);
  else visit.container[visit.index] = value;
}

/**
 * Removes what the path names from `root` (mutates it). A path ending in '[]' removes the whole
 * property: a volatile array is volatile as a whole.
 */
export function deletePath(root: unknown, path: string): void {
  const tokens = parsePath(path);
  const lastToken = tokens[tokens.length - 1];
  if (lastToken?.each) tokens[tokens.length - 1] = { name: lastToken.name, each: false };
  for (const visit of resolvePath(root, tokens)) {
    if (visit.kind === 'property') delete visit.container[visit.key];
  }
}
