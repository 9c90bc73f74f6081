import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { idMapSchema, type IdMap } from '../reconcile/index.js';
import { renderJson } from '../snapshot/index.js';

/** Where a tenant's id map (type -> file name -> id) is kept, next to its files */
export function idMapFile(root: string, tenant: string): string {
  return join(root, '.tenant-sync', tenant, 'ids.json');
}

/** The recorded id map; undefined when none was written yet */
export async function readIdMap(file: string): Promise<IdMap | undefined> {
  try {
    return idMapSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes the id map with sorted keys, and only when it changed (a no-change backup writes nothing) */
export async function writeIdMap(file: string, idMap: IdMap): Promise<void> {
  const text = renderJson(idMap);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}
