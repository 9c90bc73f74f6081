import type { ResourceDefinition } from '../resources/definition.js';
import { deletePath } from './paths.js';
import { compareCodePoints, isPlainObject, setOwn, toJsonValue, type JsonObject } from './util.js';

/**
 * Normalisation turns what Graph returned into what the repository keeps: the object's
 * configuration and nothing that changes without anyone changing the configuration, with keys in
 * one fixed order. A second backup of an unchanged tenant must then change no byte.
 *
 * Fields removed from the top level of every object, and why:
 *
 * - `id` (and `def.key` when it is another field): the tenant assigns it, so it differs in every
 *   tenant and would stop a folder from being copied to another tenant as a baseline. Objects are
 *   matched to their ids through the id map kept on the state branch. Kept when it is the field
 *   that names the object (`def.nameField`), as for authentication method configurations whose
 *   ids are fixed names ('Fido2', 'MicrosoftAuthenticator').
 * - `createdDateTime`, `modifiedDateTime`, `lastModifiedDateTime`: set by the server; any edit (and
 *   for some types any internal touch) moves them, which would be a diff without a change.
 * - `createdBy`, `lastModifiedBy`: read-only audit data about who acted, not configuration; the
 *   person who edited differs per tenant and cannot be deployed. Git history records the change.
 * - `version`: Intune's server-side revision counter, incremented on every write. Keeping it would
 *   make every deploy look like drift on the next backup; sending it back is rejected or ignored.
 * - `deletedDateTime`: directory objects carry it (null while the object exists); it is state,
 *   not configuration.
 *
 * Kept on purpose:
 *
 * - `templateId` (and the like): the id of a global, Microsoft-published template, the same in
 *   every tenant, and needed to create the object again (directory settings, Intune intents are
 *   created from their template). A type whose templateId is tenant-specific lists it in
 *   `volatile`.
 * - `@odata.type`, also as a property annotation (`x@odata.type`): polymorphic types need it to be
 *   read back and written (a named location is an ipNamedLocation or a countryNamedLocation).
 * - `null` values: in Graph a null is a value (PATCH with null clears a property).
 *
 * OData control information is removed at every depth, as instance annotations ('@odata.etag')
 * and as property annotations ('assignments@odata.context'): context URLs, etags, entity ids and
 * edit/read/next/delta links, navigation and association links, counts and media links all carry
 * tenant-specific URLs or per-response state. `@microsoft.graph.tips` (hints Graph adds to some
 * responses) and `@microsoft.graph.downloadUrl` (a short-lived pre-authenticated URL, i.e. a
 * secret) go too.
 *
 * Then `def.volatile` paths are removed, and each child's `volatile` fields from every element of
 * the child's property array. Object keys are sorted by code point at every depth; array order is
 * Graph's and is kept (in many Graph arrays order matters).
 */

/** Server-generated fields removed from the top level of every object (see above). */
export const COMMON_VOLATILE_FIELDS: readonly string[] = [
  'id',
  'createdDateTime',
  'modifiedDateTime',
  'lastModifiedDateTime',
  'createdBy',
  'lastModifiedBy',
  'version',
  'deletedDateTime',
];

/** Annotations removed at every depth, as '@name' or as 'property@name'. */
const REMOVED_ANNOTATIONS: readonly string[] = [
  'odata.context',
  'odata.etag',
  'odata.id',
  'odata.editLink',
  'odata.readLink',
  'odata.nextLink',
  'odata.deltaLink',
  'odata.count',
  'odata.navigationLink',
  'odata.associationLink',
  'odata.mediaEditLink',
  'odata.mediaReadLink',
  'odata.mediaEtag',
  'odata.mediaContentType',
  'microsoft.graph.tips',
  'microsoft.graph.downloadUrl',
];
const removedAnnotationSet = new Set(REMOVED_ANNOTATIONS);

/** True for OData control information that never belongs in a file (see above). */
export function isRemovedAnnotation(key: string): boolean {
  const at = key.lastIndexOf('@');
  return at >= 0 && removedAnnotationSet.has(key.slice(at + 1));
}

/**
 * The object as the repository keeps it. Never mutates `raw`; the result shares nothing with it.
 * Idempotent: normalising a normalised object (or one read back from its file) changes nothing.
 * Throws a TypeError when `raw` is not a JSON object.
 */
export function normaliseObject(def: ResourceDefinition, raw: unknown): Record<string, unknown> {
  if (!isPlainObject(raw)) {
    throw new TypeError(`${def.type}: expected a JSON object from Graph, got ${describe(raw)}`);
  }
  const obj = canonicalCopy(raw, new Set()) as JsonObject;

  const identity = new Set(COMMON_VOLATILE_FIELDS);
  identity.add(def.key);
  identity.delete(def.nameField);
  for (const field of identity) delete obj[field];

  for (const path of def.volatile) deletePath(obj, path);

  for (const child of def.children) {
    const elements = obj[child.property];
    if (!Array.isArray(elements)) continue;
    for (const element of elements) {
      for (const path of child.volatile) deletePath(element, path);
    }
  }
  return obj;
}

/**
 * toJsonValue and, in the same pass, annotations removed at every depth and keys sorted by code
 * point; arrays keep their order. One copy instead of two: a backup normalises every object.
 */
function canonicalCopy(value: unknown, seen: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return toJsonValue(value);
  const obj = value as { toJSON?: unknown };
  if (typeof obj.toJSON === 'function') return canonicalCopy((obj.toJSON as () => unknown)(), seen);
  if (seen.has(obj)) throw new TypeError('a circular structure cannot be written as JSON');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const out: unknown[] = new Array(obj.length);
      for (let i = 0; i < obj.length; i++) {
        const v = canonicalCopy(obj[i], seen);
        out[i] = v === undefined ? null : v;
      }
      return out;
    }
    const out: JsonObject = {};
    for (const key of Object.keys(obj).sort(compareCodePoints)) {
      if (isRemovedAnnotation(key)) continue;
      const v = canonicalCopy((obj as JsonObject)[key], seen);
      if (v !== undefined) setOwn(out, key, v);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The bytes of a file: JSON with 2-space indentation, keys sorted by code point at every depth
 * (whatever order the object has; JavaScript itself would put integer-like keys such as "10"
 * first), arrays in order, '\n' line ends and a trailing newline. Same input, same bytes, on
 * every run and platform. Values follow JSON.stringify (undefined properties are left out,
 * non-finite numbers become null).
 */
export function renderJson(obj: unknown): string {
  // A value whose keys are already in code-point order everywhere (every normalised object) is
  // exactly what JSON.stringify with 2-space indentation writes, at native speed. Anything else
  // is rendered here, straight from the value with toJsonValue's meaning.
  if (isNativeOrder(obj, 0)) return `${JSON.stringify(obj, null, 2) ?? 'null'}\n`;
  const text = render(obj, '', new Set());
  return `${text === undefined ? 'null' : text}\n`;
}

/** Deeper than this, a value is rendered by render(), which names a circular structure */
const NATIVE_MAX_DEPTH = 200;

/**
 * True when JSON.stringify would write the value exactly as render() does: every object's keys, in
 * the order JavaScript lists them, are in code-point order (JavaScript lists integer-like keys
 * first, which can break it), nothing has toJSON (JSON.stringify passes it a key), no BigInt.
 */
function isNativeOrder(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (depth > NATIVE_MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isNativeOrder(value[i], depth + 1)) return false;
    return true;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && compareCodePoints(keys[i - 1]!, keys[i]!) >= 0) return false;
    if (!isNativeOrder((value as JsonObject)[keys[i]!], depth + 1)) return false;
  }
  return true;
}

/** The value's text as renderJson writes it; undefined where JSON has no value (undefined, functions) */
function render(value: unknown, indent: string, seen: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // -0 is written 0, as toJsonValue makes it; non-finite numbers are null.
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
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
  if (typeof obj.toJSON === 'function') return render((obj.toJSON as () => unknown)(), indent, seen);
  if (seen.has(obj)) throw new TypeError('a circular structure cannot be written as JSON');
  seen.add(obj);
  try {
    const inner = `${indent}  `;
    if (Array.isArray(obj)) {
      if (obj.length === 0) return '[]';
      const lines: string[] = new Array(obj.length);
      for (let i = 0; i < obj.length; i++) lines[i] = inner + (render(obj[i], inner, seen) ?? 'null');
      return `[\n${lines.join(',\n')}\n${indent}]`;
    }
    const lines: string[] = [];
    for (const key of Object.keys(obj).sort(compareCodePoints)) {
      const text = render((obj as JsonObject)[key], inner, seen);
      if (text !== undefined) lines.push(`${inner}${JSON.stringify(key)}: ${text}`);
    }
    if (lines.length === 0) return '{}';
    return `{\n${lines.join(',\n')}\n${indent}}`;
  } finally {
    seen.delete(obj);
  }
}
