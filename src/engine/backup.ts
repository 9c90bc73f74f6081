import { join } from 'node:path';
import type { TenantConfig } from '../config/load.js';
import type { GraphClient, GraphStats } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import type { DelegatedConnection } from './connect.js';
import { findLookup, findResource } from '../resources/catalogue.js';
import type { ResourceDefinition } from '../resources/definition.js';
import {
  assignFileNames,
  collectReferencedIds,
  toFileObject,
  renderJson,
  typeFolder,
  writeTypeFolder,
} from '../snapshot/index.js';
import { idMapFile, readIdMap, writeIdMap } from './idMap.js';
import { readLookupNames, readType, type RawObject, type TypeRead } from './readTenant.js';

export interface BackupOptions {
  tenant: TenantConfig;
  /** Repository root: files go to <root>/tenants/<tenant>/... */
  root: string;
  graph: GraphClient;
  log: Logger;
  /** Where the id map is kept (default <root>/.tenant-sync/<tenant>) */
  metaDir?: string;
  /** The signed-in user's side of the connection (connectTenant), for the types only a user can read */
  delegated?: DelegatedConnection;
}

export interface TypeReport {
  type: string;
  workload: string;
  title: string;
  status: 'backed-up' | 'failed';
  objects: number;
  written: string[];
  deleted: string[];
  unchanged: number;
  duplicates: { name: string; files: string[] }[];
  unresolved: { file: string; path: string; target: string; id: string }[];
  error?: { code: string; message: string; permission?: string; status?: number; requestId?: string };
}

export interface BackupReport {
  tenant: string;
  startedAt: string;
  durationMs: number;
  types: TypeReport[];
  totals: { types: number; failedTypes: number; objects: number; written: number; deleted: number };
  graph: GraphStats;
  /** type -> file name (without .json) -> id in this tenant */
  idMap: Record<string, Record<string, string>>;
}

/** One type as read from the tenant and rendered to files, in memory */
export type TypeSnapshot =
  | {
      def: ResourceDefinition;
      status: 'read';
      /** file name (with .json) -> file content */
      files: Map<string, string>;
      /** file name (without .json) -> id in this tenant */
      ids: Record<string, string>;
      duplicates: TypeReport['duplicates'];
      unresolved: TypeReport['unresolved'];
    }
  | { def: ResourceDefinition; status: 'failed'; error: NonNullable<TypeReport['error']> };

export interface TenantSnapshot {
  tenant: string;
  startedAt: string;
  types: TypeSnapshot[];
}

/**
 * Read every enabled type and render it as the files a backup writes, without touching the disk.
 * Types referenced by enabled types are read too (for names); a type whose references cannot be
 * named is failed rather than written with ids.
 */
export async function readSnapshot(options: {
  tenant: TenantConfig;
  graph: GraphClient;
  log: Logger;
  delegated?: DelegatedConnection;
  /**
   * Called with each type as soon as it is rendered (or has failed), while other types are still
   * being read: a backup writes it to disk at once. Such a type is final: its references were all
   * named when it was rendered. After the call its files are dropped from memory (the snapshot keeps
   * its ids, duplicates and unresolved references), so a large tenant is never held whole.
   */
  onType?: (type: TypeSnapshot) => Promise<void>;
}): Promise<TenantSnapshot> {
  const { tenant, graph, log, delegated, onType } = options;
  const startedAt = new Date().toISOString();
  const enabled = tenant.types;

  // Types that enabled types reference but are not enabled themselves are read for their names only.
  const referencedTypes = new Set(enabled.flatMap((d) => d.references.map((r) => r.target)));
  const nameOnly = [...referencedTypes]
    .filter((t) => !enabled.some((d) => d.type === t))
    .map((t) => findResource(t))
    .filter((d): d is ResourceDefinition => d !== undefined);

  // Types only a signed-in user can read go through the user's client; without one they fail
  // (and keep their files) with the reason the user sign-in gave.
  const clientFor = (def: ResourceDefinition): GraphClient | undefined =>
    !def.delegatedOnly ? graph : delegated?.status === 'signed-in' ? delegated.graph : undefined;
  const withoutUser = (def: ResourceDefinition): NonNullable<TypeReport['error']> => ({
    code: delegated?.status === 'failed' ? delegated.error.code : 'AUTH_FAILED',
    message:
      delegated?.status === 'failed'
        ? delegated.error.message
        : `only a signed-in user can read ${def.type} (delegated ${def.permissions.read}), and no delegated sign-in was made (delegated.enabled in tenant-sync.yml)`,
  });

  const toRead = [...enabled, ...nameOnly].filter((def) => clientFor(def) !== undefined);

  // A pipeline per type: as soon as a type's list, details and children are in, the directory
  // objects it refers to are looked up (their own throttle budget) and it is rendered to files,
  // while the other types are still being read. The Intune budget is never left idle waiting for
  // a phase to end, and the rendering (CPU) runs in the time the reads wait for their window.
  // A type's raw objects are dropped once it is rendered; only its id -> name map is kept.
  let done = 0;
  log.progress(`${tenant.name}: reading 0/${toRead.length} types`);
  const reads = new Map<string, Promise<TypeRead>>();
  for (const def of toRead) {
    reads.set(
      def.type,
      readType(clientFor(def)!, def).then((read) => {
        done++;
        log.progress(`${tenant.name}: reading ${done}/${toRead.length} types, ${graph.stats.graphRequests} requests`);
        return read;
      }),
    );
  }
  const readStatus = new Map<string, TypeRead['status']>();

  // id -> name of every object read, per catalogue type; and of the directory objects looked up
  const namesByType = new Map<string, Map<string, string>>();
  const namesReady = new Map<string, Promise<void>>();
  for (const [type, read] of reads) {
    namesReady.set(
      type,
      read.then((r) => {
        readStatus.set(type, r.status);
        if (r.status !== 'read') return;
        namesByType.set(type, new Map(r.objects.map((o) => [String(o[r.def.key]), objectName(r.def, o)])));
        // A type read for its names only keeps nothing else.
        if (!enabled.some((d) => d.type === type)) r.objects = [];
      }),
    );
  }

  // Directory objects (groups, users) referenced by what was read, looked up by id, each id once.
  const failedLookups = new Map<string, { message: string; permission: string }>();
  const requested = new Map<string, Set<string>>();
  const inFlight = new Map<string, Promise<void>[]>();
  const lookUp = (def: ResourceDefinition, objects: readonly RawObject[]): Promise<unknown>[] => {
    const wanted = new Map<string, string[]>();
    for (const obj of objects) {
      for (const [target, ids] of collectReferencedIds(def, obj)) {
        if (!findLookup(target)) continue;
        let seen = requested.get(target);
        if (!seen) requested.set(target, (seen = new Set()));
        let fresh = wanted.get(target);
        for (const id of ids) {
          if (seen.has(id)) continue;
          seen.add(id);
          if (!fresh) wanted.set(target, (fresh = []));
          fresh.push(id);
        }
      }
    }
    const pending: Promise<unknown>[] = [];
    for (const [target, ids] of wanted) {
      const lookup = findLookup(target)!;
      let names = namesByType.get(target);
      if (!names) namesByType.set(target, (names = new Map()));
      const into = names;
      const call = readLookupNames(graph, lookup, ids.sort()).then((result) => {
        if (result.error) failedLookups.set(target, { message: result.error.message, permission: lookup.permissions.read });
        for (const [id, name] of result.names) into.set(id, name);
      });
      inFlight.set(target, [...(inFlight.get(target) ?? []), call]);
      pending.push(call);
    }
    // Ids another type asked for first are in flight there: wait for those calls too.
    for (const target of new Set(def.references.map((r) => r.target))) pending.push(...(inFlight.get(target) ?? []));
    return pending;
  };
  const failure = (def: ResourceDefinition, read: TypeRead & { status: 'failed' }): TypeSnapshot => ({
    def,
    status: 'failed',
    error: {
      code: read.error.isPermission ? 'GRAPH_PERMISSION' : 'GRAPH_READ_FAILED',
      message: read.error.message,
      permission: read.permission,
      status: read.error.status,
      requestId: read.error.requestId,
    },
  });

  /** Names of referenced objects must be known, or the files would hold ids that look like changes */
  const blockerOf = (def: ResourceDefinition): TypeSnapshot | undefined => {
    const blocker = def.references
      .map((r) => r.target)
      .find((t) => failedLookups.has(t) || readStatus.get(t) === 'failed' || (findResource(t) !== undefined && !reads.has(t)));
    if (!blocker) return undefined;
    const lookupFailure = failedLookups.get(blocker);
    return {
      def,
      status: 'failed',
      error: {
        code: lookupFailure ? 'GRAPH_PERMISSION' : 'GRAPH_READ_FAILED',
        message: `names of the ${blocker} it refers to could not be read${lookupFailure ? `: ${lookupFailure.message}` : ''}`,
        permission: lookupFailure?.permission ?? findResource(blocker)?.permissions.read,
      },
    };
  };

  const snapshotOf = async (def: ResourceDefinition): Promise<TypeSnapshot> => {
    const pendingRead = reads.get(def.type);
    if (!pendingRead) return { def, status: 'failed', error: withoutUser(def) };
    const read = await pendingRead;
    if (read.status === 'failed') return failure(def, read);
    const waits: Promise<unknown>[] = lookUp(def, read.objects);
    for (const target of new Set(def.references.map((r) => r.target))) {
      const ready = namesReady.get(target);
      if (ready) waits.push(ready);
    }
    await Promise.all(waits);
    await namesReady.get(def.type);
    const blocked = blockerOf(def);
    if (blocked) return blocked;
    const snapshot = await renderType(def, read.objects, namesByType);
    read.objects = []; // rendered: only the files are kept
    return snapshot;
  };

  const handOff = async (def: ResourceDefinition): Promise<TypeSnapshot> => {
    const snapshot = await snapshotOf(def);
    if (!onType) return snapshot;
    await onType(snapshot);
    return snapshot.status === 'read' ? { ...snapshot, files: new Map() } : snapshot;
  };
  const rendered = await Promise.all(enabled.map((def) => handOff(def)));
  // Without onType, a lookup that failed after a type was rendered fails that type too: every type
  // that refers to a target whose names could not all be read fails, whatever the order the reads
  // finished in. (A type handed to onType had every one of its own references named.)
  const types = onType ? rendered : rendered.map((t) => (t.status === 'read' ? (blockerOf(t.def) ?? t) : t));
  log.progress('');
  return { tenant: tenant.name, startedAt, types };
}

/** Objects rendered between two turns of the event loop: rendering must not hold up the paced sends */
const RENDER_SLICE = 64;

/** One type's objects as the files a backup writes: file names, references by name */
async function renderType(def: ResourceDefinition, objects: readonly RawObject[], namesByType: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<TypeSnapshot> {
  const named = objects.map((raw) => ({ id: String(raw[def.key] ?? objectName(def, raw)), name: objectName(def, raw), raw }));
  const { fileNames, duplicates } = assignFileNames(named.map(({ id, name }) => ({ id, name })));
  const files = new Map<string, string>();
  const unresolved: TypeReport['unresolved'] = [];
  const ids: Record<string, string> = {};
  for (const [i, { id, raw }] of named.entries()) {
    if (i > 0 && i % RENDER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    const fileName = fileNames.get(id)!;
    const replaced = toFileObject(def, raw, (target, refId) => namesByType.get(target)?.get(refId));
    for (const u of replaced.unresolved) unresolved.push({ file: `${fileName}.json`, path: u.path, target: u.target, id: u.id });
    files.set(`${fileName}.json`, renderJson(replaced.object));
    ids[fileName] = id;
  }
  return {
    def,
    status: 'read',
    files,
    ids: sortRecord(ids),
    duplicates: duplicates.map((d) => ({ name: d.name, files: d.ids.map((id) => `${fileNames.get(id)}.json`) })),
    unresolved,
  };
}

/**
 * Back up a tenant into files. A type that cannot be read keeps its files exactly as they were and its
 * entries in the id map: a failed read is never an empty type.
 */
export async function backupTenant(options: BackupOptions): Promise<BackupReport> {
  const { tenant, root, graph, log } = options;
  const started = Date.now();
  const previousIds = (await readIdMap(metaFile(options))) ?? {};
  const idMap: Record<string, Record<string, string>> = {};
  const reports = new Map<string, TypeReport>();

  // Each type is written as soon as it is rendered, while the others are still being read.
  const write = async (type: TypeSnapshot): Promise<void> => {
    const { def } = type;
    const base = { type: def.type, workload: def.workload, title: def.title };
    if (type.status === 'failed') {
      idMap[def.type] = previousIds[def.type] ?? {};
      reports.set(def.type, { ...base, objects: 0, written: [], deleted: [], unchanged: 0, duplicates: [], unresolved: [], status: 'failed', error: type.error });
      return;
    }
    idMap[def.type] = type.ids;
    const result = await writeTypeFolder(join(root, typeFolder(tenant.name, def)), type.files);
    reports.set(def.type, {
      ...base,
      status: 'backed-up',
      objects: type.files.size,
      written: result.written,
      deleted: result.deleted,
      unchanged: result.unchanged,
      duplicates: type.duplicates,
      unresolved: type.unresolved,
    });
  };
  const snapshot = await readSnapshot({ tenant, graph, log, delegated: options.delegated, onType: write });
  // Reports in the catalogue's order, whatever order the types finished in
  const ordered = snapshot.types.map((t) => reports.get(t.def.type)!);
  await writeIdMap(metaFile(options), idMap);
  const totals = {
    types: ordered.length,
    failedTypes: ordered.filter((r) => r.status === 'failed').length,
    objects: ordered.reduce((n, r) => n + r.objects, 0),
    written: ordered.reduce((n, r) => n + r.written.length, 0),
    deleted: ordered.reduce((n, r) => n + r.deleted.length, 0),
  };
  return {
    tenant: tenant.name,
    startedAt: snapshot.startedAt,
    durationMs: Date.now() - started,
    types: ordered,
    totals,
    graph: { ...graph.stats },
    idMap,
  };
}

export function objectName(def: ResourceDefinition, raw: RawObject): string {
  if (def.kind === 'singleton') return def.singletonName ?? def.title;
  const value = raw[def.nameField];
  return typeof value === 'string' && value.trim() !== '' ? value : String(raw[def.key] ?? 'unnamed');
}

function metaFile(options: BackupOptions): string {
  return options.metaDir ? join(options.metaDir, 'ids.json') : idMapFile(options.root, options.tenant.name);
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
