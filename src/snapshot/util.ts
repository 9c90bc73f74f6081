/**
 * Small JSON helpers shared by the snapshot module. Pure.
 */

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * Sets an own data property. A plain `obj[key] = v` with key '__proto__' (which JSON.parse can
 * produce) would change the prototype instead of adding a property.
 */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  // defineProperty only where it is needed: it is many times slower than an assignment, and a
  // backup sets millions of properties.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Compares two strings by Unicode code point. The default `Array.prototype.sort` compares UTF-16
 * code units, which puts characters above U+FFFF (emoji, stored as surrogate pairs D800-DFFF)
 * before U+E000-U+FFFF. Code-point order is also UTF-8 byte order, the same in every language and
 * tool, so files sorted this way sort the same everywhere.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (D800-DFFF) encode code points above FFFF: move them above E000-FFFF.
    if (ca >= 0xd800) ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
    if (cb >= 0xd800) cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    return ca - cb;
  }
  return a.length - b.length;
}

/**
 * A deep copy limited to what JSON can hold, with the same meaning JSON.stringify gives: undefined
 * and functions vanish from objects and become null in arrays, non-finite numbers become null,
 * objects with toJSON (Date) are replaced by its result. The copy never shares structure with the
 * input, so callers may mutate it freely.
 */
export function toJsonValue(value: unknown): unknown {
  return convert(value, new Set());
}

function convert(value: unknown, seen: Set<object>): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('a BigInt cannot be written as JSON');
    default:
      break;
  }
  const obj = value as { toJSON?: unknown };
  if (typeof obj.toJSON === 'function') return convert((obj.toJSON as () => unknown)(), seen);
  if (seen.has(obj)) throw new TypeError('a circular structure cannot be written as JSON');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((item) => {
        const v = convert(item, seen);
        return v === undefined ? null : v;
      });
    }
    const out: JsonObject = {};
    for (const key of Object.keys(obj)) {
      const v = convert((obj as JsonObject)[key], seen);
      if (v !== undefined) setOwn(out, key, v);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
