/**
 * The simulated tenant's state: one store per Graph collection path (types that share a path,
 * told apart by their list $filter, share a store, as they share it in Graph), singletons, and
 * the lookup collections (groups, users). Objects are replaced, never mutated in place, so that
 * generated objects can share nested structures with the fixtures they were cloned from.
 */
import type { LookupDefinition, ResourceDefinition } from '../../src/resources/definition.js';
import { compileFilter, parseExpand } from './odata.js';
import { isObj, newGuid, type Obj } from './util.js';

/** Objects per type (catalogue type names and lookup type names). */
export type TenantData = Record<string, Obj[]>;

/** Server-maintained fields the simulator sets when it sees them on a collection's objects. */
const SERVER_FIELDS = ['createdDateTime', 'lastModifiedDateTime', 'modifiedDateTime', 'version', 'settingCount'] as const;

export class Store {
  readonly path: string;
  readonly kind: 'collection' | 'singleton';
  readonly key: string;
  readonly defs: ResourceDefinition[] = [];
  lookup?: LookupDefinition;
  /** Relationship properties: stored inline, returned only with $expand or from their sub-path. */
  readonly navProps = new Set<string>();
  /** Server fields seen on this store's objects (set on create/update). */
  readonly serverFields = new Set<string>();
  objects = new Map<string, Obj>();
  /** lower-case key -> key as stored (Graph matches GUIDs case-insensitively) */
  private lowerKeys = new Map<string, string>();
  singleton: Obj | undefined;
  version = 0;
  private arrayCache: { version: number; items: Obj[] } | undefined;
  private filterCache = new Map<string, { version: number; items: Obj[] }>();

  constructor(path: string, kind: 'collection' | 'singleton', key: string) {
    this.path = path;
    this.kind = kind;
    this.key = key;
  }

  addDef(def: ResourceDefinition): void {
    this.defs.push(def);
    for (const child of def.children) this.navProps.add(child.property);
    if (def.write?.assignments) this.navProps.add(def.write.assignments.property);
    for (const name of parseExpand(def.listQuery['$expand'])) this.navProps.add(name);
    for (const name of parseExpand(def.detail?.query['$expand'])) this.navProps.add(name);
  }

  /** The definition an object belongs to (by list $filter when types share the path). */
  defFor(obj: Obj | undefined): ResourceDefinition | undefined {
    if (this.defs.length <= 1 || !obj) return this.defs[0];
    for (const def of this.defs) {
      const filter = def.listQuery['$filter'];
      if (!filter || compileFilter(filter)(obj)) return def;
    }
    return this.defs[0];
  }

  all(): Obj[] {
    if (this.kind === 'singleton') return this.singleton ? [this.singleton] : [];
    if (!this.arrayCache || this.arrayCache.version !== this.version) {
      this.arrayCache = { version: this.version, items: [...this.objects.values()] };
    }
    return this.arrayCache.items;
  }

  filtered(filter: string | undefined): Obj[] {
    if (!filter) return this.all();
    const cached = this.filterCache.get(filter);
    if (cached && cached.version === this.version) return cached.items;
    const fn = compileFilter(filter);
    const items = this.all().filter(fn);
    if (this.filterCache.size > 50) this.filterCache.clear();
    this.filterCache.set(filter, { version: this.version, items });
    return items;
  }

  get(id: string): Obj | undefined {
    if (this.kind === 'singleton') return this.singleton;
    const direct = this.objects.get(id);
    if (direct) return direct;
    const key = this.lowerKeys.get(id.toLowerCase());
    if (key !== undefined) return this.objects.get(key);
    // Graph addresses a user by id or by userPrincipalName (GET /users/{id | userPrincipalName}).
    if (this.lookup?.type === 'users') {
      const upn = id.toLowerCase();
      return this.all().find((o) => typeof o['userPrincipalName'] === 'string' && o['userPrincipalName'].toLowerCase() === upn);
    }
    return undefined;
  }

  keyOf(obj: Obj): string | undefined {
    const value = obj[this.key];
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  }

  put(obj: Obj): void {
    this.noteFields(obj);
    if (this.kind === 'singleton') {
      this.singleton = obj;
    } else {
      const key = this.keyOf(obj);
      if (key === undefined) throw new Error(`object without ${this.key} in ${this.path}`);
      // Keep the canonical spelling of an existing key.
      const existingKey = this.lowerKeys.get(key.toLowerCase());
      this.objects.set(existingKey ?? key, obj);
      if (existingKey === undefined) this.lowerKeys.set(key.toLowerCase(), key);
    }
    this.version++;
  }

  remove(id: string): boolean {
    const obj = this.get(id);
    if (!obj) return false;
    const key = this.keyOf(obj);
    if (key !== undefined) {
      const stored = this.lowerKeys.get(key.toLowerCase()) ?? key;
      this.objects.delete(stored);
      this.lowerKeys.delete(key.toLowerCase());
    }
    this.version++;
    return true;
  }

  clear(): void {
    this.objects = new Map();
    this.lowerKeys = new Map();
    this.singleton = undefined;
    this.version++;
  }

  noteFields(obj: Obj): void {
    for (const field of SERVER_FIELDS) if (field in obj) this.serverFields.add(field);
  }

  /** Server fields for a newly created object. */
  createdFields(obj: Obj, now = new Date()): Obj {
    const iso = now.toISOString();
    const out: Obj = {};
    const fields = this.serverFields.size > 0 ? this.serverFields : new Set(['createdDateTime', 'lastModifiedDateTime']);
    if (fields.has('createdDateTime')) out['createdDateTime'] = iso;
    if (fields.has('lastModifiedDateTime')) out['lastModifiedDateTime'] = iso;
    if (fields.has('modifiedDateTime')) out['modifiedDateTime'] = iso;
    if (fields.has('version')) out['version'] = 1;
    if (fields.has('settingCount')) out['settingCount'] = Array.isArray(obj['settings']) ? obj['settings'].length : 0;
    return out;
  }

  /** Server fields after an update. */
  updatedFields(before: Obj, after: Obj, now = new Date()): Obj {
    const iso = now.toISOString();
    const out: Obj = {};
    if ('lastModifiedDateTime' in before || this.serverFields.has('lastModifiedDateTime')) out['lastModifiedDateTime'] = iso;
    if ('modifiedDateTime' in before || this.serverFields.has('modifiedDateTime')) out['modifiedDateTime'] = iso;
    if (typeof before['version'] === 'number') out['version'] = before['version'] + 1;
    if ('settingCount' in before && Array.isArray(after['settings'])) out['settingCount'] = after['settings'].length;
    if ('createdDateTime' in before) out['createdDateTime'] = before['createdDateTime'];
    return out;
  }
}

export interface TypeInfo {
  type: string;
  store: Store;
  def?: ResourceDefinition;
  lookup?: LookupDefinition;
}

export class Tenant {
  readonly stores: Store[] = [];
  private readonly byPath = new Map<string, Store>();
  private readonly byType = new Map<string, TypeInfo>();

  constructor(
    readonly resources: readonly ResourceDefinition[],
    readonly lookups: readonly LookupDefinition[],
  ) {
    for (const def of resources) {
      const store = this.storeFor(def.path, def.kind, def.key);
      store.addDef(def);
      this.byType.set(def.type, { type: def.type, store, def });
    }
    for (const lookup of lookups) {
      const store = this.storeFor(lookup.path, 'collection', lookup.key);
      store.lookup = lookup;
      if (!this.byType.has(lookup.type)) this.byType.set(lookup.type, { type: lookup.type, store, lookup });
    }
    // Longest paths first, so that /a/b/c wins over /a/b when routing.
    this.stores.sort((a, b) => b.path.length - a.path.length);
  }

  private storeFor(path: string, kind: 'collection' | 'singleton', key: string): Store {
    const norm = path.toLowerCase();
    let store = this.byPath.get(norm);
    if (!store) {
      store = new Store(path, kind, key);
      this.byPath.set(norm, store);
      this.stores.push(store);
    }
    return store;
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  info(type: string): TypeInfo {
    const info = this.byType.get(type);
    if (!info) throw new Error(`Unknown type '${type}' (not in the catalogue nor a lookup)`);
    return info;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** The type's objects as Graph lists them (its list $filter applied). */
  list(type: string): Obj[] {
    const { store, def } = this.info(type);
    return store.filtered(def?.listQuery['$filter']);
  }

  get(type: string, id?: string): Obj | undefined {
    const { store } = this.info(type);
    return store.kind === 'singleton' ? store.singleton : id === undefined ? undefined : store.get(id);
  }

  /** Adds an object as the portal would: a new id when it has none, server fields set. */
  create(type: string, input: Obj, options: { keepServerFields?: boolean } = {}): Obj {
    const { store } = this.info(type);
    const obj: Obj = { ...input };
    if (store.kind === 'collection' && obj[store.key] === undefined) {
      if (store.key !== 'id') throw new Error(`${type}: '${store.key}' is required`);
      obj['id'] = newGuid();
    }
    const created = options.keepServerFields ? obj : { ...obj, ...store.createdFields(obj) };
    store.put(created);
    return created;
  }

  /** Merges properties into an object (PATCH semantics); server fields updated unless told not to. */
  update(type: string, id: string | undefined, patch: Obj, options: { touch?: boolean } = {}): Obj {
    const { store } = this.info(type);
    const before = store.kind === 'singleton' ? store.singleton : id === undefined ? undefined : store.get(id);
    if (!before) throw new Error(`${type}: no object '${id ?? '(singleton)'}'`);
    let after: Obj = { ...before, ...patch };
    if (store.kind === 'collection') after[store.key] = before[store.key];
    if (options.touch !== false) after = { ...after, ...store.updatedFields(before, after) };
    store.put(after);
    return after;
  }

  /** Replaces an object (PUT semantics), keeping its key and creation time. */
  replace(type: string, id: string | undefined, body: Obj, options: { touch?: boolean } = {}): Obj {
    const { store } = this.info(type);
    const before = store.kind === 'singleton' ? store.singleton : id === undefined ? undefined : store.get(id);
    if (!before) throw new Error(`${type}: no object '${id ?? '(singleton)'}'`);
    let after: Obj = { ...body };
    if (store.kind === 'collection') after[store.key] = before[store.key];
    if (options.touch !== false) after = { ...after, ...store.updatedFields(before, after) };
    store.put(after);
    return after;
  }

  remove(type: string, id: string): boolean {
    return this.info(type).store.remove(id);
  }

  /** Replaces every object of a type (objects of other types sharing the store stay). */
  setAll(type: string, objects: Obj[]): void {
    const { store, def } = this.info(type);
    if (store.kind === 'singleton') {
      store.singleton = undefined;
      if (objects[0]) store.put(objects[0]);
      return;
    }
    for (const existing of this.list(type)) {
      const key = store.keyOf(existing);
      if (key !== undefined && store.defFor(existing) === def) store.remove(key);
    }
    store.version++;
    for (const obj of objects) store.put(obj);
  }

  /** Loads objects per type (fixtures or a generated tenant), replacing what was there. */
  load(data: TenantData): void {
    for (const store of this.stores) store.clear();
    for (const [type, objects] of Object.entries(data)) {
      if (!this.has(type)) continue;
      const { store } = this.info(type);
      for (const obj of objects) {
        if (!isObj(obj)) continue;
        store.put(stripContext(obj));
      }
    }
  }

  /** Every object per type, as stored (shared references; copy before mutating). */
  dump(): TenantData {
    const out: TenantData = {};
    for (const type of this.types()) out[type] = [...this.list(type)];
    return out;
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const type of this.types()) out[type] = this.list(type).length;
    return out;
  }
}

function stripContext(obj: Obj): Obj {
  if (!('@odata.context' in obj)) return obj;
  const { ['@odata.context']: _ignored, ...rest } = obj;
  return rest;
}
