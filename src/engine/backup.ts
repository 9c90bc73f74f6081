import { dirname, join } from 'node:path';
import type { TenantConfig } from '../config/load.js';
import type { GraphClient, GraphStats } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import type { DelegatedConnection } from './connect.js';
import { findLookup, findResource } from '../resources/catalogue.js';
import type { ResourceDefinition } from '../resources/definition.js';
import { performance } from 'node:perf_hooks';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  assignFileNames,
  collectReferencedIds,
  toFileObject,
  renderJson,
  typeFolder,
  writeTypeFolder,
  StagingArea,
  type StagedTypeFolder,
} from '../snapshot/index.js';
import { limitHeapGrowth } from './heap.js';
import { idMapFile, readIdMap, writeIdMap } from './idMap.js';
import { Semaphore } from '../graph/concurrency.js';
import { readLookupNames, streamType, type RawObject, type TypeStreamEnd } from './readTenant.js';

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
      /**
       * file name (with .json) -> file content (large contents kept compressed until read); empty
       * when the type's texts went to its staged folder (`staged`)
       */
      files: ReadonlyMap<string, string>;
      /** file name (with .json) -> object id, the key its text was staged under, when it was staged */
      staged?: ReadonlyMap<string, string>;
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
  /**
   * Where an enabled type's texts go as soon as each object is rendered, instead of memory (a
   * backup writes them to staged files: the rendered text of a large type is never held whole).
   * The type is then handed to onType with `staged` (file name -> id) and no `files`.
   */
  stageFor?: (def: ResourceDefinition) => TextStage;
}): Promise<TenantSnapshot> {
  const { tenant, graph, log, delegated, onType, stageFor } = options;
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
  const isEnabled = new Set(enabled.map((d) => d.type));

  // A pipeline per object: as soon as an object's list page, detail and children are in, the
  // directory objects it refers to are looked up (their own throttle budget) and, once the names
  // it needs are known, it is rendered to its file's text, while everything else is still being
  // read. The Intune budget is never left idle waiting for a phase to end, the rendering (CPU)
  // runs in the time the reads wait for their window, and an object's raw form is dropped as soon
  // as it is rendered: no type is ever held whole as Graph returned it.

  // id -> name of every object read, per catalogue type; and of the directory objects looked up
  const namesByType = new Map<string, Map<string, string>>();
  const readStatus = new Map<string, TypeStreamEnd['status']>();
  const readEnd = new Map<string, Promise<TypeStreamEnd>>();
  /** Resolved once a type's read is over (its names complete, or the read failed) */
  const namesReady = new Map<string, Promise<void>>();

  // Directory objects (groups, users) referenced by what was read, looked up by id, each id once.
  const failedLookups = new Map<string, { message: string; permission: string }>();
  /** lookup type -> id -> the look-up that answers it */
  const lookupOf = new Map<string, Map<string, Promise<void>>>();
  const lookUp = (def: ResourceDefinition, obj: RawObject): Promise<void>[] => {
    const waits: Promise<void>[] = [];
    for (const [target, ids] of collectReferencedIds(def, obj)) {
      const lookup = findLookup(target);
      if (!lookup) continue;
      let calls = lookupOf.get(target);
      if (!calls) lookupOf.set(target, (calls = new Map()));
      const fresh: string[] = [];
      for (const id of ids) {
        const call = calls.get(id);
        if (call) waits.push(call);
        else fresh.push(id);
      }
      if (fresh.length === 0) continue;
      let names = namesByType.get(target);
      if (!names) namesByType.set(target, (names = new Map()));
      const into = names;
      const call = readLookupNames(graph, lookup, fresh.sort()).then((result) => {
        if (result.error) failedLookups.set(target, { message: result.error.message, permission: lookup.permissions.read });
        for (const [id, name] of result.names) into.set(id, name);
      });
      for (const id of fresh) calls.set(id, call);
      waits.push(call);
    }
    return waits;
  };
  const nameOf = (target: string, id: string): string | undefined => namesByType.get(target)?.get(id);

  /** Names of referenced objects must be known, or the files would hold ids that look like changes */
  const blockerOf = (def: ResourceDefinition): TypeSnapshot | undefined => {
    const blocker = def.references
      .map((r) => r.target)
      .find((t) => failedLookups.has(t) || readStatus.get(t) === 'failed' || (findResource(t) !== undefined && !readEnd.has(t)));
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
  const failure = (def: ResourceDefinition, read: TypeStreamEnd & { status: 'failed' }): TypeSnapshot => ({
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

  /** Each enabled type's objects, rendered as they complete, by list position */
  const renderedOf = new Map<string, RenderedObject[]>();
  const rendersOf = new Map<string, Promise<void>[]>();
  const renderQueue = new RenderQueue();
  /** Enabled types whose texts are staged */
  const stagedTypes = new Set<string>();

  let done = 0;
  // Objects read but not yet rendered are held as Graph returned them (a settings catalog policy
  // with its settings is tens of KB): past a bound, their reads wait for the rendering to catch up.
  // Types whose names others wait for are never held back (that could wait forever).
  const inFlight = new Semaphore(MAX_OBJECTS_IN_FLIGHT);
  const admit = (): Promise<() => void> => inFlight.acquire();
  const gated = new Set(enabled.filter((d) => !referencedTypes.has(d.type)).map((d) => d.type));
  log.progress(`${tenant.name}: reading 0/${toRead.length} types`);
  for (const def of toRead) {
    const names = new Map<string, string>();
    const rendered: RenderedObject[] = [];
    const renders: Promise<void>[] = [];
    const targets = [...new Set(def.references.map((r) => r.target))];
    const wanted = isEnabled.has(def.type);
    const stage = wanted ? stageFor?.(def) : undefined;
    if (stage) stagedTypes.add(def.type);
    if (wanted) {
      renderedOf.set(def.type, rendered);
      rendersOf.set(def.type, renders);
    }
    const end = streamType(clientFor(def)!, def, (raw, index) => {
      const id = String(raw[def.key] ?? objectName(def, raw));
      const name = objectName(def, raw);
      names.set(String(raw[def.key]), name);
      // A type read for its names only keeps nothing else.
      if (!wanted) return;
      const waits = lookUp(def, raw);
      for (const target of targets) {
        const ready = namesReady.get(target);
        if (ready) waits.push(ready);
      }
      const render = (): void => {
        const replaced = toFileObject(def, raw, nameOf);
        const text = renderJson(replaced.object);
        rendered[index] = { id, name, text: stage ? '' : pack(text), unresolved: replaced.unresolved };
        // Staged: the text is compared with the file on disk or handed to a background write and
        // flush, and dropped here (a failure is thrown by the type's commit).
        stage?.put(id, name, text).catch(() => undefined);
      };
      const finished = waits.length === 0 ? renderQueue.run(render) : Promise.all(waits).then(() => renderQueue.run(render));
      renders.push(finished);
      // The read holds its place (admit) until the object is rendered; a failure is the type's.
      return finished.catch(() => undefined);
    }, gated.has(def.type) ? admit : undefined).then((end) => {
      done++;
      log.progress(`${tenant.name}: reading ${done}/${toRead.length} types, ${graph.stats.graphRequests} requests`);
      readStatus.set(def.type, end.status);
      if (end.status === 'read') namesByType.set(def.type, names);
      return end;
    });
    readEnd.set(def.type, end);
    namesReady.set(
      def.type,
      end.then(() => undefined),
    );
  }

  const snapshotOf = async (def: ResourceDefinition): Promise<TypeSnapshot> => {
    const pendingRead = readEnd.get(def.type);
    if (!pendingRead) return { def, status: 'failed', error: withoutUser(def) };
    const end = await pendingRead;
    // Every render started; an object whose names are not ready yet still waits for them.
    await Promise.all(rendersOf.get(def.type)!);
    const rendered = renderedOf.get(def.type)!;
    renderedOf.delete(def.type);
    rendersOf.delete(def.type);
    if (end.status === 'failed') return failure(def, end);
    const waits: Promise<void>[] = [];
    for (const target of new Set(def.references.map((r) => r.target))) {
      const ready = namesReady.get(target);
      if (ready) waits.push(ready);
    }
    await Promise.all(waits);
    return blockerOf(def) ?? assembleType(def, rendered, stagedTypes.has(def.type));
  };

  const handOff = async (def: ResourceDefinition): Promise<TypeSnapshot> => {
    const snapshot = await snapshotOf(def);
    if (!onType) return snapshot;
    await onType(snapshot);
    return snapshot.status === 'read' ? { ...snapshot, files: new Map() } : snapshot;
  };
  // Every type ends (its files written, or its staged files dropped) before a failure is thrown.
  const settled = await Promise.allSettled(enabled.map((def) => handOff(def)));
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  const rendered = settled.map((r) => (r as PromiseFulfilledResult<TypeSnapshot>).value);
  // Without onType, a lookup that failed after a type was rendered fails that type too: every type
  // that refers to a target whose names could not all be read fails, whatever the order the reads
  // finished in. (A type handed to onType had every one of its own references named.)
  const types = onType ? rendered : rendered.map((t) => (t.status === 'read' ? (blockerOf(t.def) ?? t) : t));
  log.progress('');
  return { tenant: tenant.name, startedAt, types };
}

/** Where a type's rendered texts go when they are not kept in memory (a StagedTypeFolder) */
export interface TextStage {
  /** Keeps the text of object `id`, named `name`; resolves once it is safely kept */
  put(id: string, name: string, text: string): Promise<void>;
}

/** One object rendered as its file holds it, before its file name is known */
interface RenderedObject {
  id: string;
  name: string;
  text: Packed;
  unresolved: { path: string; target: string; id: string }[];
}

/**
 * Rendering runs in slices between turns of the event loop: objects complete in bursts (a $batch
 * envelope answers 20 at once; a type waiting for another's names is released whole), and one long
 * run of rendering would hold up the paced sends of every other read.
 */
class RenderQueue {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  run(render: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push(() => {
        try {
          render();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    const until = performance.now() + RENDER_SLICE_MS;
    while (this.queue.length > 0 && performance.now() < until) this.queue.shift()!();
    if (this.queue.length > 0) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}

/** Objects of the held-back types read (or being read) and not yet rendered, at most */
const MAX_OBJECTS_IN_FLIGHT = 2000;

/** Longest run of rendering between two turns of the event loop */
const RENDER_SLICE_MS = 10;

/**
 * A rendered file's text until it is written: a large one compressed (a type of 20,000 settings
 * catalog policies renders to hundreds of MB of text, and is held whole until its file names are
 * known and its references all named), a small one as it is.
 */
type Packed = string | Buffer;
const PACK_FROM_CHARS = 2048;

function pack(text: string): Packed {
  return text.length < PACK_FROM_CHARS ? text : deflateRawSync(Buffer.from(text, 'utf8'), { level: 1 });
}

function unpack(packed: Packed): string {
  return typeof packed === 'string' ? packed : inflateRawSync(packed).toString('utf8');
}

/** File name -> text, each text kept packed and unpacked when it is read */
class PackedTexts implements ReadonlyMap<string, string> {
  private readonly packed = new Map<string, Packed>();

  set(name: string, text: Packed): void {
    this.packed.set(name, text);
  }

  get size(): number {
    return this.packed.size;
  }

  get(name: string): string | undefined {
    const p = this.packed.get(name);
    return p === undefined ? undefined : unpack(p);
  }

  has(name: string): boolean {
    return this.packed.has(name);
  }

  keys(): MapIterator<string> {
    return this.packed.keys();
  }

  *values(): MapIterator<string> {
    for (const p of this.packed.values()) yield unpack(p);
  }

  *entries(): MapIterator<[string, string]> {
    for (const [name, p] of this.packed) yield [name, unpack(p)];
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [name, text] of this.entries()) callback.call(thisArg, text, name, this);
  }
}

/** A type's rendered objects as the files a backup writes: file names, ids, duplicates */
function assembleType(def: ResourceDefinition, rendered: readonly (RenderedObject | undefined)[], staged: boolean): TypeSnapshot {
  const objects = rendered.filter((r): r is RenderedObject => r !== undefined);
  const { fileNames, duplicates } = assignFileNames(objects.map(({ id, name }) => ({ id, name })));
  const files = new PackedTexts();
  const keys = new Map<string, string>();
  const unresolved: TypeReport['unresolved'] = [];
  const ids: Record<string, string> = {};
  for (const { id, text, unresolved: missing } of objects) {
    const fileName = fileNames.get(id)!;
    for (const u of missing) unresolved.push({ file: `${fileName}.json`, path: u.path, target: u.target, id: u.id });
    if (staged) keys.set(`${fileName}.json`, id);
    else files.set(`${fileName}.json`, text);
    ids[fileName] = id;
  }
  return {
    def,
    status: 'read',
    files,
    ...(staged ? { staged: keys } : {}),
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
  limitHeapGrowth();
  const started = Date.now();
  const previousIds = (await readIdMap(metaFile(options))) ?? {};
  const idMap: Record<string, Record<string, string>> = {};
  const reports = new Map<string, TypeReport>();
  // Each object's text goes to a staged file as soon as it is rendered (or is found unchanged on
  // disk), in the repository's temp area; at the end of its type it is renamed into place.
  const staging = await StagingArea.open(dirname(metaFile(options)));
  const stages = new Map<string, StagedTypeFolder>();
  const stageFor = (def: ResourceDefinition): StagedTypeFolder => {
    const stage = staging.type(join(root, typeFolder(tenant.name, def)));
    stages.set(def.type, stage);
    return stage;
  };

  // Each type is written as soon as it is rendered, while the others are still being read.
  const write = async (type: TypeSnapshot): Promise<void> => {
    const { def } = type;
    const base = { type: def.type, workload: def.workload, title: def.title };
    const stage = stages.get(def.type);
    if (type.status === 'failed') {
      // A failed type keeps its folder exactly as it was: what was staged for it is dropped.
      await stage?.discard();
      idMap[def.type] = previousIds[def.type] ?? {};
      reports.set(def.type, { ...base, objects: 0, written: [], deleted: [], unchanged: 0, duplicates: [], unresolved: [], status: 'failed', error: type.error });
      return;
    }
    idMap[def.type] = type.ids;
    const result =
      stage && type.staged ? await stage.commit(type.staged) : await writeTypeFolder(join(root, typeFolder(tenant.name, def)), type.files);
    reports.set(def.type, {
      ...base,
      status: 'backed-up',
      objects: type.staged?.size ?? type.files.size,
      written: result.written,
      deleted: result.deleted,
      unchanged: result.unchanged,
      duplicates: type.duplicates,
      unresolved: type.unresolved,
    });
  };
  let snapshot: TenantSnapshot;
  try {
    snapshot = await readSnapshot({ tenant, graph, log, delegated: options.delegated, onType: write, stageFor });
  } finally {
    // Whatever happened, no staged file is left behind (a type that never reached `write` included).
    await Promise.all([...stages.values()].map((s) => s.discard()));
    await staging.close();
  }
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
