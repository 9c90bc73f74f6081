import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
}): Promise<TenantSnapshot> {
  const { tenant, graph, log, delegated } = options;
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
  let done = 0;
  log.progress(`${tenant.name}: reading 0/${toRead.length} types`);
  const reads = new Map<string, TypeRead>(
    await Promise.all(
      toRead.map(async (def) => {
        const read = await readType(clientFor(def)!, def);
        done++;
        log.progress(`${tenant.name}: reading ${done}/${toRead.length} types, ${graph.stats.graphRequests} requests`);
        return [def.type, read] as const;
      }),
    ),
  );

  // id -> name of every object read, per catalogue type
  const namesByType = new Map<string, Map<string, string>>();
  for (const read of reads.values()) {
    if (read.status !== 'read') continue;
    namesByType.set(read.def.type, new Map(read.objects.map((o) => [String(o[read.def.key]), objectName(read.def, o)])));
  }

  // Directory objects (groups, users) referenced by what was read, looked up by id.
  const lookupIds = new Map<string, Set<string>>();
  for (const def of enabled) {
    const read = reads.get(def.type);
    if (read?.status !== 'read') continue;
    for (const obj of read.objects) {
      for (const [target, ids] of collectReferencedIds(def, obj)) {
        if (!findLookup(target)) continue;
        const set = lookupIds.get(target) ?? new Set<string>();
        ids.forEach((id) => set.add(id));
        lookupIds.set(target, set);
      }
    }
  }
  const failedLookups = new Map<string, { message: string; permission: string }>();
  await Promise.all(
    [...lookupIds].map(async ([target, ids]) => {
      const lookup = findLookup(target)!;
      const result = await readLookupNames(graph, lookup, [...ids].sort());
      if (result.error) failedLookups.set(target, { message: result.error.message, permission: lookup.permissions.read });
      else namesByType.set(target, result.names);
    }),
  );

  const types: TypeSnapshot[] = enabled.map((def): TypeSnapshot => {
    const read = reads.get(def.type);
    if (!read) return { def, status: 'failed', error: withoutUser(def) };
    if (read.status === 'failed') {
      return {
        def,
        status: 'failed',
        error: {
          code: read.error.isPermission ? 'GRAPH_PERMISSION' : 'GRAPH_READ_FAILED',
          message: read.error.message,
          permission: read.permission,
          status: read.error.status,
          requestId: read.error.requestId,
        },
      };
    }
    // Names of referenced objects must be known, or the files would hold ids that look like changes.
    const blocker = def.references
      .map((r) => r.target)
      .find((t) => failedLookups.has(t) || reads.get(t)?.status === 'failed' || (findResource(t) !== undefined && !reads.has(t)));
    if (blocker) {
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
    }
    const named = read.objects.map((raw) => ({ id: String(raw[def.key] ?? objectName(def, raw)), name: objectName(def, raw), raw }));
    const { fileNames, duplicates } = assignFileNames(named.map(({ id, name }) => ({ id, name })));
    const files = new Map<string, string>();
    const unresolved: TypeReport['unresolved'] = [];
    const ids: Record<string, string> = {};
    for (const { id, raw } of named) {
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
  });
  log.progress('');
  return { tenant: tenant.name, startedAt, types };
}

/**
 * Back up a tenant into files. A type that cannot be read keeps its files exactly as they were and its
 * entries in the id map: a failed read is never an empty type.
 */
export async function backupTenant(options: BackupOptions): Promise<BackupReport> {
  const { tenant, root, graph, log } = options;
  const started = Date.now();
  const snapshot = await readSnapshot({ tenant, graph, log, delegated: options.delegated });
  const previousIds = await readIdMap(metaDir(options));
  const idMap: Record<string, Record<string, string>> = {};
  const reports: TypeReport[] = [];

  for (const type of snapshot.types) {
    const { def } = type;
    const base = { type: def.type, workload: def.workload, title: def.title };
    if (type.status === 'failed') {
      idMap[def.type] = previousIds[def.type] ?? {};
      reports.push({ ...base, objects: 0, written: [], deleted: [], unchanged: 0, duplicates: [], unresolved: [], status: 'failed', error: type.error });
      continue;
    }
    idMap[def.type] = type.ids;
    const result = await writeTypeFolder(join(root, typeFolder(tenant.name, def)), type.files);
    reports.push({
      ...base,
      status: 'backed-up',
      objects: type.files.size,
      written: result.written,
      deleted: result.deleted,
      unchanged: result.unchanged,
      duplicates: type.duplicates,
      unresolved: type.unresolved,
    });
  }

  await writeIdMap(metaDir(options), idMap);
  const totals = {
    types: reports.length,
    failedTypes: reports.filter((r) => r.status === 'failed').length,
    objects: reports.reduce((n, r) => n + r.objects, 0),
    written: reports.reduce((n, r) => n + r.written.length, 0),
    deleted: reports.reduce((n, r) => n + r.deleted.length, 0),
  };
  return {
    tenant: tenant.name,
    startedAt: snapshot.startedAt,
    durationMs: Date.now() - started,
    types: reports,
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

function metaDir(options: BackupOptions): string {
  return options.metaDir ?? join(options.root, '.tenant-sync', options.tenant.name);
}

async function readIdMap(dir: string): Promise<Record<string, Record<string, string>>> {
  try {
    return JSON.parse(await readFile(join(dir, 'ids.json'), 'utf8')) as Record<string, Record<string, string>>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

async function writeIdMap(dir: string, idMap: Record<string, Record<string, string>>): Promise<void> {
  const file = join(dir, 'ids.json');
  const text = renderJson(sortRecord(idMap));
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
