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
  const obj = canonicalise(toJsonValue(raw)) as JsonObject;

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

/** Removes annotations at every depth and sorts keys by code point; arrays keep their order. */
function canonicalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalise);
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort(compareCodePoints)) {
    if (isRemovedAnnotation(key)) continue;
    setOwn(out, key, canonicalise(value[key]));
  }
  return out;
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
  const value = toJsonValue(obj);
  return `${value === undefined ? 'null' : render(value, '')}\n`;
}

function render(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((item) => inner + render(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    if (keys.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = keys.map((key) => `${inner}${JSON.stringify(key)}: ${render(value[key], inner)}`);
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
