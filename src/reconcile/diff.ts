/**
 * Deep equality and a property-level diff of JSON values, for plans a person reads. Pure.
 *
 * - Objects are compared key by key (key order never matters); a property that exists on one side
 *   only is 'added' or 'removed'; an added or removed object is spelled out leaf by leaf, so a new
 *   policy reads as 'conditions.users.includeGroups' rather than one long 'conditions' value.
 * - Arrays of primitives (['All'], group names, ...) are values: one row with the whole array.
 * - Arrays holding objects (assignments, settings) are compared element by element after the
 *   common start and end are set aside: one inserted or removed element is one 'added' or
 *   'removed' row at its index; the same number of differing elements are compared index-wise;
 *   anything else is one row with the whole array.
 * - Properties holding `undefined` count as absent (as in JSON).
 */
import { compareCodePoints } from '../snapshot/util.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface PropertyChange {
  /** 'conditions.users.includeGroups', 'assignments[2].target', '' for the value itself */
  path: string;
  kind: ChangeKind;
  /** Absent when kind is 'added' */
  before?: unknown;
  /** Absent when kind is 'removed' */
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).filter((k) => obj[k] !== undefined);
}

/** Structural equality of JSON values; key order is ignored, undefined properties are absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN never occurs in JSON; numbers compare by value.
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, key)) continue;
    const av = ao[key];
    if (av === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(bo, key) || !deepEqual(av, bo[key])) return false;
  }
  let other = 0;
  for (const key in bo) {
    if (Object.prototype.hasOwnProperty.call(bo, key) && bo[key] !== undefined) other++;
  }
  return count === other;
}

const PLAIN_KEY = /^[A-Za-z0-9_@$#-][\w@$#.:-]*$/;

/** Path of a property under `parent`; keys that would read ambiguously are quoted: a["b c"]. */
export function joinKey(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function joinIndex(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** The property changes that turn `before` into `after`, in a stable order (keys by code point). */
export function diffValues(before: unknown, after: unknown): PropertyChange[] {
  const out: PropertyChange[] = [];
  diff(before, after, '', out);
  return out;
}

/**
 * The changes between two objects, either of which may be missing (null): a create lists every
 * property as added, a delete every property as removed.
 */
export function diffObjects(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): PropertyChange[] {
  return diffValues(before ?? {}, after ?? {});
}

function diff(before: unknown, after: unknown, path: string, out: PropertyChange[]): void {
  if (deepEqual(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...definedKeys(before), ...definedKeys(after)]);
    for (const key of [...keys].sort(compareCodePoints)) {
      const b = before[key];
      const a = after[key];
      const p = joinKey(path, key);
      if (b === undefined) added(a, p, out);
      else if (a === undefined) removed(b, p, out);
      else diff(b, a, p, out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && (before.some(isStructured) || after.some(isStructured))) {
    diffArrays(before, after, path, out);
    return;
  }
  out.push({ path, kind: 'changed', before, after });
}

function isStructured(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function added(value: unknown, path: string, out: PropertyChange[]): void {
  if (isPlainObject(value) && definedKeys(value).length > 0) {
    for (const key of definedKeys(value).sort(compareCodePoints)) added(value[key], joinKey(path, key), out);
    return;
  }
  out.push({ path, kind: 'added', after: value });
}

function removed(value: unknown, path: string, out: PropertyChange[]): void {
  if (isPlainObject(value) && definedKeys(value).length > 0) {
    for (const key of definedKeys(value).sort(compareCodePoints)) removed(value[key], joinKey(path, key), out);
    return;
  }
  out.push({ path, kind: 'removed', before: value });
}

function diffArrays(before: unknown[], after: unknown[], path: string, out: PropertyChange[]): void {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && deepEqual(before[start], after[start])) start++;
  let end = 0;
  while (
    end < shorter - start &&
    deepEqual(before[before.length - 1 - end], after[after.length - 1 - end])
  ) {
    end++;
  }
  const removedCount = before.length - start - end;
  const addedCount = after.length - start - end;
  if (removedCount === addedCount) {
    for (let i = start; i < start + removedCount; i++) diff(before[i], after[i], joinIndex(path, i), out);
  } else if (removedCount === 0) {
    for (let i = start; i < start + addedCount; i++) out.push({ path: joinIndex(path, i), kind: 'added', after: after[i] });
  } else if (addedCount === 0) {
    for (let i = start; i < start + removedCount; i++) {
      out.push({ path: joinIndex(path, i), kind: 'removed', before: before[i] });
    }
  } else {
    out.push({ path, kind: 'changed', before, after });
  }
}
