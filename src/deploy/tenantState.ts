import type { TenantSnapshot, TypeSnapshot } from '../engine/backup.js';
import { collectionUrl, objectUrl, readLookupNames, type RawObject } from '../engine/readTenant.js';
import type { GraphClient, ReadOutcome } from '../graph/types.js';
import { GraphError } from '../graph/types.js';
import { findLookup, findResource } from '../resources/catalogue.js';
import type { LookupDefinition, ResourceDefinition } from '../resources/definition.js';
import { collectReferencedIds, normaliseObject, replaceNamesWithIds, toFileObject } from '../snapshot/index.js';
import { isPlainObject } from '../snapshot/util.js';
import { deployError } from './errors.js';
import type { DeployError } from './record.js';

/**
 * What deploy knows about the tenant: the snapshot read at the start (names <-> ids of every type
 * the plan writes or refers to), kept current with what this run
 * creates, renames and deletes; and directory objects (groups, users) looked up as needed.
 */

interface TypeIndex {
  def: ResourceDefinition;
  status: 'read' | 'failed';
  error?: string;
  /** file name (without .json) -> id */
  idByFile: Map<string, string>;
  /** id -> name when the run started: the names the plan's tenant versions were written with */
  startName: Map<string, string>;
  /** id -> name now: creates, renames and deletes of this run applied */
  currentName: Map<string, string>;
}

export type NameMode = 'start' | 'current';

export class TenantState {
  private readonly types = new Map<string, TypeIndex>();

  constructor(snapshot: TenantSnapshot) {
    for (const t of snapshot.types) this.add(t);
  }

  /** One type of the snapshot, as soon as it is read (the deploy starts on the types it has) */
  add(t: TypeSnapshot): void {
    const index: TypeIndex = {
      def: t.def,
      status: t.status,
      idByFile: new Map(),
      startName: new Map(),
      currentName: new Map(),
    };
    if (t.status === 'failed') {
      index.error = t.error.message;
    } else {
      for (const [fileName, text] of t.files) {
        const base = fileName.replace(/\.json$/i, '');
        const id = t.ids[base];
        if (id === undefined) continue;
        index.idByFile.set(base, id);
        const name = nameIn(t.def, JSON.parse(text) as unknown, id);
        index.startName.set(id, name);
        index.currentName.set(id, name);
      }
    }
    this.types.set(t.def.type, index);
  }

  /** Whether the type was read; its error when not, undefined when it was not asked for */
  readStatus(type: string): { ok: true } | { ok: false; error: string } | undefined {
    const t = this.types.get(type);
    if (!t) return undefined;
    return t.status === 'read' ? { ok: true } : { ok: false, error: t.error ?? 'it could not be read' };
  }

  idOfFile(type: string, file: string): string | undefined {
    return this.types.get(type)?.idByFile.get(file);
  }

  /** Ids of the objects of the type that carry this name now */
  idsNamed(type: string, name: string): string[] {
    const t = this.types.get(type);
    if (!t) return [];
    return [...t.currentName].filter(([, n]) => n === name).map(([id]) => id);
  }

  hasId(type: string, id: string): boolean {
    return this.types.get(type)?.currentName.has(id) ?? false;
  }

  name(type: string, id: string, mode: NameMode): string | undefined {
    const t = this.types.get(type);
    return mode === 'start' ? t?.startName.get(id) : t?.currentName.get(id);
  }

  noteCreated(type: string, id: string, name: string): void {
    this.types.get(type)?.currentName.set(id, name);
  }

  noteRenamed(type: string, id: string, name: string): void {
    this.types.get(type)?.currentName.set(id, name);
  }

  noteDeleted(type: string, id: string): void {
    this.types.get(type)?.currentName.delete(id);
  }
}

function nameIn(def: ResourceDefinition, obj: unknown, id: string): string {
  if (def.kind === 'singleton') return def.singletonName ?? def.title;
  const value = isPlainObject(obj) ? obj[def.nameField] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value : id;
}

/** The query of a GET by id: the detail query, or the list query's $expand and $select */
function objectQuery(def: ResourceDefinition): Record<string, string> {
  if (def.detail) return def.detail.query;
  const query: Record<string, string> = {};
  for (const key of ['$expand', '$select']) {
    const value = def.listQuery[key];
    if (value !== undefined) query[key] = value;
  }
  return query;
}

/** One object as readType reads it: by id (or the singleton), with its expanded relationships and child collections */
export async function readObject(graph: GraphClient, def: ResourceDefinition, id: string | null): Promise<ReadOutcome<RawObject>> {
  if (def.kind === 'singleton') return graph.get<RawObject>(collectionUrl(def, def.listQuery), def.throttle);
  if (id === null) return { status: 'absent' };
  const one = await graph.get<RawObject>(objectUrl(def, id, '', objectQuery(def)), def.throttle);
  if (one.status !== 'found') return one;
  let obj = one.value;
  for (const child of def.children) {
    const listed = await graph.list<RawObject>(objectUrl(def, id, child.path), def.throttle);
    if (listed.status !== 'found') return listed;
    obj = { ...obj, [child.property]: listed.value };
  }
  return { status: 'found', value: obj };
}

type Resolution = { id: string; name: string } | { reason: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * References between the plan's objects and the tenant: ids -> names to compare what Graph returns
 * with the plan, names -> ids to write.
 */
export class References {
  /** lookup type -> id -> name */
  private readonly lookupNames = new Map<string, Map<string, string>>();
  /** lookup type -> name -> resolution */
  private readonly lookupIds = new Map<string, Map<string, Resolution>>();

  constructor(
    private readonly graph: GraphClient,
    private readonly state: TenantState,
  ) {}

  /** The object as a file holds it: normalised, references by name (names as of `mode`) */
  async named(def: ResourceDefinition, raw: RawObject, mode: NameMode): Promise<Record<string, unknown>> {
    // Ids of directory objects first, so that toFileObject can name them
    await this.loadLookupNames(def, normaliseObject(def, raw));
    return toFileObject(def, raw, (target, id) => this.nameOf(target, id, mode)).object;
  }

  private nameOf(target: string, id: string, mode: NameMode): string | undefined {
    if (findLookup(target)) return this.lookupNames.get(target)?.get(id);
    return this.state.name(target, id, mode);
  }

  /** Reads the names of the directory objects the object refers to that are not known yet */
  private async loadLookupNames(def: ResourceDefinition, obj: unknown): Promise<void> {
    for (const [target, ids] of collectReferencedIds(def, obj)) {
      const lookup = findLookup(target);
      if (!lookup) continue;
      const known = this.namesFor(target);
      const missing = [...ids].filter((id) => !known.has(id)).sort();
      if (missing.length === 0) continue;
      const result = await readLookupNames(this.graph, lookup, missing);
      if (result.error) throw result.error;
      for (const [id, name] of result.names) known.set(id, name);
    }
  }

  private namesFor(target: string): Map<string, string> {
    let map = this.lookupNames.get(target);
    if (!map) this.lookupNames.set(target, (map = new Map()));
    return map;
  }

  /**
   * The object with every name replaced by its id in this tenant; or the error naming the file,
   * the property path and each name that cannot be resolved (none, or several objects).
   */
  async resolve(def: ResourceDefinition, obj: Record<string, unknown>, file: string): Promise<{ object: Record<string, unknown> } | { error: DeployError }> {
    const resolutions = new Map<string, Map<string, Resolution>>();
    for (const [target, names] of collectReferencedIds(def, obj)) {
      const map = new Map<string, Resolution>();
      for (const name of names) map.set(name, await this.resolveOne(target, name));
      resolutions.set(target, map);
    }
    const result = replaceNamesWithIds(def, obj, (target, name) => {
      const r = resolutions.get(target)?.get(name);
      return r && 'id' in r ? r.id : undefined;
    });
    if (result.unresolved.length === 0) return { object: result.object };
    const details = result.unresolved.map((u) => {
      const r = resolutions.get(u.target)?.get(u.name);
      return `${u.path} names '${u.name}' (${u.target}): ${r && 'reason' in r ? r.reason : 'not found'}`;
    });
    return {
      error: deployError(
        'REFERENCE_UNRESOLVED',
        `${file}: ${details.join('; ')}`,
        'Create the missing object in the tenant (or in the repository) or correct the name in the file so that it names exactly one object, then approve the change again.',
      ),
    };
  }

  private async resolveOne(target: string, name: string): Promise<Resolution> {
    const lookup = findLookup(target);
    if (lookup) {
      let cache = this.lookupIds.get(target);
      if (!cache) this.lookupIds.set(target, (cache = new Map()));
      let r = cache.get(name);
      if (!r) {
        r = await this.lookupByName(lookup, name);
        cache.set(name, r);
        if ('id' in r) this.namesFor(target).set(r.id, r.name);
      }
      return r;
    }
    const def = findResource(target);
    if (!def) return { reason: `'${target}' is not a known type` };
    const status = this.state.readStatus(target);
    if (status && !status.ok) return { reason: `the ${def.title.toLowerCase()} could not be read: ${status.error}` };
    const ids = this.state.idsNamed(target, name);
    if (ids.length === 1) return { id: ids[0]!, name };
    if (ids.length > 1) return { reason: `${ids.length} objects of ${def.title.toLowerCase()} have this name` };
    // A file may keep an id that had no name when it was backed up.
    if (this.state.hasId(target, name)) return { id: name, name };
    return { reason: `no object of ${def.title.toLowerCase()} has this name in the tenant` };
  }

  private async lookupByName(lookup: LookupDefinition, name: string): Promise<Resolution> {
    const select = { $select: `${lookup.key},${lookup.nameField}` };
    const found = (value: RawObject): Resolution => ({ id: String(value[lookup.key]), name: String(value[lookup.nameField] ?? name) });
    const failed = (error: GraphError): Resolution => ({ reason: `the lookup failed (${error.status ?? error.code}): ${error.message}` });
    if (lookup.type === 'users') {
      // A user is addressed by its userPrincipalName (or its id) directly.
      const one = await this.graph.get<RawObject>(objectUrl(lookup, name, '', select), lookup.throttle);
      if (one.status === 'found') return found(one.value);
      if (one.status === 'failed') return failed(one.error);
      return { reason: 'no user has this userPrincipalName in the tenant' };
    }
    const filter = `${lookup.nameField} eq '${name.replace(/'/g, "''")}'`;
    const listed = await this.graph.list<RawObject>(collectionUrl(lookup, { $filter: filter, ...select }), lookup.throttle);
    if (listed.status === 'failed') return failed(listed.error);
    const all = listed.status === 'found' ? listed.value : [];
    // Graph compares names without case; an exact match wins over matches that differ in case only.
    const exact = all.filter((o) => o[lookup.nameField] === name);
    const matches = exact.length > 0 ? exact : all;
    if (matches.length === 1) return found(matches[0]!);
    if (matches.length > 1) return { reason: `${matches.length} ${lookup.title.toLowerCase()} have this name` };
    if (GUID.test(name)) {
      // A file may keep the id of a group that had no name when it was backed up.
      const byId = await this.graph.get<RawObject>(objectUrl(lookup, name, '', select), lookup.throttle);
      if (byId.status === 'found') return found(byId.value);
      if (byId.status === 'failed') return failed(byId.error);
    }
    return { reason: `no ${lookup.title.toLowerCase().replace(/s$/, '')} has this name in the tenant` };
  }
}
