import { createHash } from 'node:crypto';
import { compareCodePoints } from '../snapshot/util.js';

/**
 * The bytes renderJson (snapshot/normalise.ts) gives for a value, without its deep copy: the same
 * indentation, keys sorted by code point, undefined properties left out, undefined array elements
 * and non-finite numbers as null, toJSON honoured. Every planned object and the whole plan are
 * hashed through here, so it must be fast, also for a plan of 50,000 objects: the text is fed to
 * the hash in chunks instead of being built as one string. A property test holds it equal to
 * renderJson. Values must not be circular.
 */
export function canonicalJson(value: unknown): string {
  let text = '';
  emit(value, (chunk) => {
    text += chunk;
  });
  return text;
}

/** sha256 (hex) of canonicalJson(value), i.e. of the bytes of the file that holds it */
export function canonicalHash(value: unknown): string {
  const hash = createHash('sha256');
  let buffer = '';
  emit(value, (chunk) => {
    buffer += chunk;
    if (buffer.length >= 1 << 16) {
      hash.update(buffer, 'utf8');
      buffer = '';
    }
  });
  hash.update(buffer, 'utf8');
  return hash.digest('hex');
}

function emit(value: unknown, write: (chunk: string) => void): void {
  if (!render(value, '', write)) write('null');
  write('\n');
}

const NEEDS_CODE_POINT_SORT = /[\ud800-\uffff]/;

function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj).sort();
  // UTF-16 order is code point order unless surrogates meet U+E000..U+FFFF.
  for (const key of keys) if (NEEDS_CODE_POINT_SORT.test(key)) return keys.sort(compareCodePoints);
  return keys;
}

/** Leaves out what JSON leaves out of an object (undefined, functions, symbols) */
function isOmitted(value: unknown): boolean {
  const type = typeof value;
  if (type === 'undefined' || type === 'function' || type === 'symbol') return true;
  if (type !== 'object' || value === null) return false;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' && isOmitted((toJSON as () => unknown).call(value));
}

/** false: nothing written, the value is left out */
function render(value: unknown, indent: string, write: (chunk: string) => void): boolean {
  switch (typeof value) {
    case 'string':
      write(JSON.stringify(value));
      return true;
    case 'number':
      write(Number.isFinite(value) ? JSON.stringify(value) : 'null');
      return true;
    case 'boolean':
      write(value ? 'true' : 'false');
      return true;
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
    case 'bigint':
      throw new TypeError('a BigInt cannot be written as JSON');
    default:
      break;
  }
  if (value === null) {
    write('null');
    return true;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return render((toJSON as () => unknown).call(value), indent, write);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      write('[]');
      return true;
    }
    write('[\n');
    for (let i = 0; i < value.length; i++) {
      write(i > 0 ? `,\n${inner}` : inner);
      if (!render(value[i], inner, write)) write('null');
    }
    write(`\n${indent}]`);
    return true;
  }
  const obj = value as Record<string, unknown>;
  let first = true;
  for (const key of sortedKeys(obj)) {
    const item = obj[key];
    if (isOmitted(item)) continue;
    write(`${first ? '{\n' : ',\n'}${inner}${JSON.stringify(key)}: `);
    first = false;
    render(item, inner, write);
  }
  write(first ? '{}' : `\n${indent}}`);
  return true;
}
