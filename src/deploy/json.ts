import { isPlainObject } from '../snapshot/util.js';

/** Deep equality of JSON values (object key order ignored, array order kept). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The paths where two JSON values differ: 'conditions.users.includeGroups[1]', 'state'. */
export function differingPaths(a: unknown, b: unknown, prefix = '', out: string[] = []): string[] {
  if (jsonEqual(a, b)) return out;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) differingPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => differingPaths(v, b[i], `${prefix}[${i}]`, out));
    return out;
  }
  out.push(prefix || '(the whole object)');
  return out;
}
