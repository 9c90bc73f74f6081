import type { GraphClient, ReadOutcome } from '../graph/types.js';
import { GraphError } from '../graph/types.js';
import type { LookupDefinition, ResourceDefinition } from '../resources/definition.js';

export type RawObject = Record<string, unknown>;

/** What reading one type gave: its objects, or why it could not be read (never an empty list) */
export type TypeRead =
  | { def: ResourceDefinition; status: 'read'; objects: RawObject[] }
  | { def: ResourceDefinition; status: 'failed'; error: GraphError; permission: string };

export function collectionUrl(def: { api: string; path: string }, query: Record<string, string> = {}): string {
  return `/${def.api}${def.path}${queryString(query)}`;
}

export function objectUrl(def: { api: string; path: string }, id: string, suffix = '', query: Record<string, string> = {}): string {
  return `/${def.api}${def.path}/${encodeURIComponent(id)}${suffix ? `/${suffix}` : ''}${queryString(query)}`;
}

/** Graph wants OData's $-parameters literally and values percent-encoded (spaces as %20, not +) */
export function queryString(query: Record<string, string>): string {
  const entries = Object.entries(query);
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

/** Read every object of one type: the list, then detail reads and child collections through $batch */
export async function readType(graph: GraphClient, def: ResourceDefinition): Promise<TypeRead> {
  const failed = (error: GraphError): TypeRead => ({ def, status: 'failed', error, permission: def.permissions.read });
  if (def.kind === 'singleton') {
    const one = await graph.get<RawObject>(collectionUrl(def, def.listQuery), def.throttle);
    if (one.status === 'failed') return failed(one.error);
    return { def, status: 'read', objects: one.status === 'found' ? [one.value] : [] };
  }
  const listed = await graph.list<RawObject>(collectionUrl(def, def.listQuery), def.throttle);
  if (listed.status === 'failed') return failed(listed.error);
  if (listed.status === 'absent') {
    return failed(new GraphError(`${def.path} answered 404: the collection does not exist in this tenant`, { status: 404, code: 'NotFound', method: 'GET', url: def.path, attempts: 1 }));
  }
  let objects = listed.value;
  const idOf = (o: RawObject) => String(o[def.key]);

  if (def.detail) {
    const details = await graph.getMany<RawObject>(
      objects.map((o) => objectUrl(def, idOf(o), '', def.detail!.query)),
      def.throttle,
    );
    const kept: RawObject[] = [];
    for (const d of details) {
      if (d.status === 'failed') return failed(d.error);
      // Absent here means deleted between the list and the detail read: it is gone, not failed.
      if (d.status === 'found') kept.push(d.value);
    }
    objects = kept;
  }

  for (const child of def.children) {
    const results: ReadOutcome<RawObject[]>[] = await graph.listMany<RawObject>(
      objects.map((o) => objectUrl(def, idOf(o), child.path)),
      def.throttle,
    );
    const kept: RawObject[] = [];
    for (const [i, r] of results.entries()) {
      if (r.status === 'failed') return failed(r.error);
      if (r.status === 'found') kept.push({ ...objects[i]!, [child.property]: r.value });
    }
    objects = kept;
  }
  return { def, status: 'read', objects };
}

/** Names of directory objects by id, read one by one through $batch: found, absent (deleted) or failed */
export async function readLookupNames(
  graph: GraphClient,
  lookup: LookupDefinition,
  ids: readonly string[],
): Promise<{ names: Map<string, string>; absent: Set<string>; error?: GraphError }> {
  const names = new Map<string, string>();
  const absent = new Set<string>();
  const results = await graph.getMany<RawObject>(
    ids.map((id) => objectUrl(lookup, id, '', { $select: `${lookup.key},${lookup.nameField}` })),
    lookup.throttle,
  );
  for (const [i, r] of results.entries()) {
    const id = ids[i]!;
    if (r.status === 'failed') return { names, absent, error: r.error };
    if (r.status === 'absent') absent.add(id);
    else names.set(id, String(r.value[lookup.nameField] ?? id));
  }
  return { names, absent };
}
