import type { ResourceDefinition } from '../resources/definition.js';

export { dropRedacted };
import { dropRedacted } from '../snapshot/redacted.js';
import { toJsonValue, type JsonObject } from '../snapshot/util.js';
import { jsonEqual } from './json.js';

/**
 * Request bodies from a definition's documented write semantics. Pure: objects in, requests out.
 *
 * - create: POST the object to the collection (client-chosen keys such as a permission grant
 *   policy's id or a partner's tenantId are the name field, so they are in it; so is @odata.type);
 *   properties written through the assignment action or another action go through those actions
 *   after the create, except createOnly ones, which the create body carries.
 * - update: PATCH the properties that change (null for a property the file no longer has), with
 *   @odata.type when update.includeODataType; or PUT the whole object when update.method is PUT.
 *   Never update.omit, createOnly, assignment or action properties: assignments and actions are
 *   sent, when they change, through their own requests after the update.
 * - redacted values (secrets) are dropped from every body.
 */

export type JsonRecord = JsonObject;

export interface FollowUpRequest {
  /** Relative to the object's URL: 'assign', 'updateAllowedCombinations' */
  suffix: string;
  method: 'POST' | 'PATCH' | 'PUT';
  body: JsonRecord;
  /** The property it writes */
  property: string;
}

export interface ObjectWrite {
  /** The create (POST) or update (PATCH/PUT) of the object itself; absent when nothing in it changes */
  main?: { method: 'POST' | 'PATCH' | 'PUT'; body: JsonRecord };
  /** Assignments, then actions, in the definition's order */
  followUps: FollowUpRequest[];
  /** Concrete paths of redacted values that were left out */
  dropped: string[];
  /** Properties that change but that an update cannot write (immutable after create) */
  notWritable: string[];
}

export function withoutRedacted(def: ResourceDefinition, obj: unknown): unknown {
  const copy = toJsonValue(obj);
  dropRedacted(def, copy);
  return copy;
}

function copyObject(obj: JsonRecord): JsonRecord {
  return toJsonValue(obj) as JsonRecord;
}

function actionsOf(def: ResourceDefinition) {
  return def.write?.actions ?? [];
}

/** The create of an object: `resolved` is the desired object with references resolved to ids. */
export function createWrite(def: ResourceDefinition, resolved: JsonRecord): ObjectWrite {
  const write = def.write;
  if (!write) throw new Error(`${def.type} cannot be written`);
  const source = copyObject(resolved);
  const dropped = dropRedacted(def, source);
  const createOnly = new Set(write.createOnly);
  const body: JsonRecord = { ...source };
  const followUps: FollowUpRequest[] = [];
  if (write.assignments) {
    const { property, action, bodyProperty } = write.assignments;
    const value = source[property];
    delete body[property];
    if (Array.isArray(value) && value.length > 0) {
      followUps.push({ suffix: action, method: 'POST', body: { [bodyProperty]: value }, property });
    }
  }
  for (const act of actionsOf(def)) {
    if (createOnly.has(act.property)) continue;
    const value = source[act.property];
    delete body[act.property];
    if (value !== undefined) followUps.push({ suffix: act.path, method: act.method, body: { [act.bodyProperty]: value }, property: act.property });
  }
  return { main: { method: 'POST', body }, followUps, dropped, notWritable: [] };
}

/**
 * The update of an object from `before` (the tenant's version, by name, which the stale check
 * has just confirmed) to `after` (the plan's, by name); `resolved` is `after` with ids.
 */
export function updateWrite(def: ResourceDefinition, before: JsonRecord, after: JsonRecord, resolved: JsonRecord): ObjectWrite {
  const write = def.write;
  if (!write) throw new Error(`${def.type} cannot be written`);
  const source = copyObject(resolved);
  // Redacted values never leave: dropped before any body is made.
  const redacted = dropRedacted(def, source);
  const redactedTopLevel = new Set((write.redacted ?? []).map((r) => (typeof r === 'string' ? r : r.path)).filter((p) => !/[.[]/.test(p)));
  const assignmentProperty = write.assignments?.property;
  const actionProperties = new Set(actionsOf(def).map((a) => a.property));
  const immutable = new Set([...write.update.omit, ...write.createOnly.filter((p) => !actionProperties.has(p))]);
  const excluded = (key: string): boolean =>
    key === '@odata.type' || key === assignmentProperty || actionProperties.has(key) || immutable.has(key);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => !jsonEqual(before[k], after[k]));
  const notWritable = changed.filter((k) => immutable.has(k) || k === '@odata.type');
  const mainChanges = changed.filter((k) => !excluded(k));

  let main: ObjectWrite['main'];
  if (mainChanges.length > 0) {
    const body: JsonRecord = {};
    if (write.update.method === 'PUT') {
      for (const [k, v] of Object.entries(source)) if (!excluded(k)) body[k] = v;
    } else {
      for (const k of mainChanges) {
        if (Object.prototype.hasOwnProperty.call(source, k)) body[k] = source[k];
        // A property the file no longer has is cleared (null), unless it is itself a redacted value.
        else if (!redactedTopLevel.has(k)) body[k] = null;
      }
    }
    // The object's kind is the tenant's: an update never carries another one (Graph refuses it)
    const odataType = before['@odata.type'] ?? after['@odata.type'];
    if (write.update.includeODataType && typeof odataType === 'string') body['@odata.type'] = odataType;
    if (Object.keys(body).some((k) => k !== '@odata.type')) main = { method: write.update.method, body };
  }

  const followUps: FollowUpRequest[] = [];
  if (write.assignments && changed.includes(write.assignments.property)) {
    const { property, action, bodyProperty } = write.assignments;
    const value = source[property];
    followUps.push({ suffix: action, method: 'POST', body: { [bodyProperty]: Array.isArray(value) ? value : [] }, property });
  }
  for (const act of actionsOf(def)) {
    if (!changed.includes(act.property)) continue;
    followUps.push({ suffix: act.path, method: act.method, body: { [act.bodyProperty]: source[act.property] ?? null }, property: act.property });
  }

  const sent = [...(main ? Object.keys(main.body) : []), ...followUps.map((f) => f.property)];
  const dropped = redacted.filter((path) => sent.some((key) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)));
  return { main, followUps, dropped, notWritable };
}
