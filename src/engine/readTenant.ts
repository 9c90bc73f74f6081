import type { GraphClient } from '../graph/types.js';
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
  const objects: RawObject[] = [];
  const read = await streamType(graph, def, (object, index) => {
    objects[index] = object;
  });
  if (read.status === 'failed') return read;
  return { def, status: 'read', objects: objects.filter((o) => o !== undefined) };
}

/** How a streamed read of one type ended; its objects went to the callback */
export type TypeStreamEnd = { def: ResourceDefinition; status: 'read' } | (TypeRead & { status: 'failed' });

/**
 * Read every object of one type, handing each object to `onObject` as soon as it is complete: its
 * list page, its detail read and its child collections. An object's detail and children are asked
 * for as soon as its list page is in (through $batch, gathered with every other read waiting), so
 * the reads of a large type flow while its next pages are read, and the caller can render each
 * object while the others are still being read, instead of holding the whole type.
 *
 * `index` is the object's position in the list; an object found absent on its detail or child read
 * (deleted since the list) is never handed over, so indexes may have gaps. Any failed read (a page,
 * a detail, a child page) fails the whole type: the result is 'failed' (never a shorter list), and no
 * further reads are started for it. The objects already handed over must then be discarded.
 * Of several failures, the one the phased read reported is kept: the list's, then details' (first
 * in list order), then each child collection's in turn.
 */
export async function streamType(
  graph: GraphClient,
  def: ResourceDefinition,
  onObject: (object: RawObject, index: number) => void | Promise<void>,
  /**
   * Called before an object's detail and children are asked for; the function it resolves with is
   * called once `onObject` (and the promise it returned) is done with the object. A caller that
   * cannot keep up (rendering is CPU work) holds the reads back instead of the objects piling up.
   */
  admit?: () => Promise<() => void>,
): Promise<TypeStreamEnd> {
  const failed = (error: GraphError): TypeStreamEnd => ({ def, status: 'failed', error, permission: def.permissions.read });
  if (def.kind === 'singleton') {
    const one = await graph.get<RawObject>(collectionUrl(def, def.listQuery), def.throttle);
    if (one.status === 'failed') return failed(one.error);
    if (one.status === 'found') onObject(one.value, 0);
    return { def, status: 'read' };
  }
  const idOf = (o: RawObject) => String(o[def.key]);
  // The failure to report, ranked as the phased read met them: (phase, position)
  let failure: { rank: [number, number]; error: GraphError } | undefined;
  const fail = (phase: number, position: number, error: GraphError): void => {
    if (!failure || phase < failure.rank[0] || (phase === failure.rank[0] && position < failure.rank[1])) failure = { rank: [phase, position], error };
  };
  const completeObject = async (listed: RawObject, index: number, release: (() => void) | undefined): Promise<void> => {
    try {
      await readObject(listed, index);
    } finally {
      release?.();
    }
  };
  // The detail and every child collection are asked for at once (they need only the listed id):
  // one round trip per object instead of one per phase. Their answers are then taken in phase
  // order, so an object deleted since the list is still "absent", whatever its children answered.
  const readObject = async (listed: RawObject, index: number): Promise<void> => {
    if (failure) return;
    const id = idOf(listed);
    const [detail, ...children] = await Promise.all([
      def.detail ? graph.getMany<RawObject>([objectUrl(def, id, '', def.detail.query)], def.throttle).then(([r]) => r!) : undefined,
      ...def.children.map((child) => graph.listMany<RawObject>([objectUrl(def, id, child.path)], def.throttle).then(([r]) => r!)),
    ]);
    let object = listed;
    if (detail) {
      if (detail.status === 'failed') return fail(1, index, detail.error);
      // Absent here means deleted between the list and the detail read: it is gone, not failed.
      if (detail.status === 'absent') return;
      object = detail.value;
    }
    for (const [c, child] of def.children.entries()) {
      const read = children[c]!;
      if (read.status === 'failed') return fail(2 + c, index, read.error);
      if (read.status === 'absent') return;
      object = { ...object, [child.property]: read.value };
    }
    if (!failure) await onObject(object, index);
  };

  const pending: Promise<void>[] = [];
  let count = 0;
  const listed = await graph.listPages<RawObject>(
    collectionUrl(def, def.listQuery),
    async (items) => {
      for (const item of items) {
        const index = count++;
        // Admitted in list order; while the caller holds too many, the next page waits too.
        const release = admit ? await admit() : undefined;
        if (failure) {
          release?.();
          return 'stop';
        }
        if (!def.detail && def.children.length === 0) {
          const done = onObject(item, index);
          if (done && release) pending.push(done.finally(release));
          else release?.();
        } else pending.push(completeObject(item, index, release));
      }
      return failure ? 'stop' : undefined;
    },
    def.throttle,
  );
  if (listed.status === 'absent') {
    return failed(new GraphError(`${def.path} answered 404: the collection does not exist in this tenant`, { status: 404, code: 'NotFound', method: 'GET', url: def.path, attempts: 1 }));
  }
  if (listed.status === 'failed') fail(0, 0, listed.error);
  await Promise.all(pending);
  if (failure) return failed(failure.error);
  return { def, status: 'read' };
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
