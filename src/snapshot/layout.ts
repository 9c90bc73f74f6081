import type { ResourceDefinition } from '../resources/definition.js';
import { assignFileNames, safeFileName, type DuplicateName } from './naming.js';
import { renderJson } from './normalise.js';

/**
 * Where things live in the repository a user keeps (pure, no I/O):
 *
 *   <root>/tenants/<tenant>/<workload>/<type>/<file name>.json
 *
 * Collections: one file per object, named by assignFileNames from the object's def.nameField.
 * Singletons: one file named def.singletonName, or def.title when it has none.
 */

export const TENANTS_FOLDER = 'tenants';
export const FILE_EXTENSION = '.json';

/**
 * A tenant's folder name: one path segment, safe on every file system (config should only allow
 * such names; this is the last line of defence against '../' in a path).
 */
export function isValidTenantFolder(tenant: string): boolean {
  return tenant !== '' && tenant === safeFileName(tenant);
}

function checkTenant(tenant: string): void {
  if (!isValidTenantFolder(tenant)) throw new Error(`'${tenant}' cannot be used as a tenant folder name`);
}

/**
 * 'tenants/<tenant>', relative to the repository root with '/' (what git and annotations use;
 * path.join(root, it) gives the folder on disk on every platform). Throws on an unsafe tenant.
 */
export function tenantFolder(tenant: string): string {
  checkTenant(tenant);
  return `${TENANTS_FOLDER}/${tenant}`;
}

/** 'tenants/<tenant>/<workload>/<type>', relative to the repository root with '/'. */
export function typeFolder(tenant: string, def: ResourceDefinition): string {
  return `${tenantFolder(tenant)}/${def.workload}/${def.type}`;
}

/** A singleton's file name, with '.json'. */
export function singletonFileName(def: ResourceDefinition): string {
  return `${safeFileName(def.singletonName ?? def.title)}${FILE_EXTENSION}`;
}

/** The object's display name (def.nameField), or undefined when it has none that is a string. */
export function objectName(def: ResourceDefinition, object: Record<string, unknown>): string | undefined {
  const name = object[def.nameField];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export interface TypeFiles {
  /** file name with '.json' -> file content; what writeTypeFolder takes */
  files: Map<string, string>;
  /** object id -> file name with '.json' (for the id map) */
  fileNames: Map<string, string>;
  /** Objects sharing a display name; an error the caller reports (see assignFileNames) */
  duplicates: DuplicateName[];
  /** Ids of objects without a display name; they are named by their id (a warning) */
  unnamed: string[];
}

/**
 * The files of one type from its objects, already normalised and with references replaced by
 * names. `id` is the object's tenant id (taken before normalisation removed it). An object
 * without a display name is named by its id so that it is still backed up.
 * Throws when a singleton type is given more than one object.
 */
export function buildTypeFiles(
  def: ResourceDefinition,
  objects: readonly { id: string; object: Record<string, unknown> }[],
): TypeFiles {
  const files = new Map<string, string>();
  const fileNames = new Map<string, string>();
  if (def.kind === 'singleton') {
    if (objects.length > 1) throw new Error(`${def.type} is a singleton but ${objects.length} objects were given`);
    const only = objects[0];
    if (only) {
      const file = singletonFileName(def);
      files.set(file, renderJson(only.object));
      fileNames.set(only.id, file);
    }
    return { files, fileNames, duplicates: [], unnamed: [] };
  }
  const unnamed: string[] = [];
  const named = objects.map(({ id, object }) => {
    const name = objectName(def, object);
    if (name === undefined) unnamed.push(id);
    return { id, name: name ?? id };
  });
  const { fileNames: assigned, duplicates } = assignFileNames(named);
  for (const { id, object } of objects) {
    const file = `${assigned.get(id)!}${FILE_EXTENSION}`;
    files.set(file, renderJson(object));
    fileNames.set(id, file);
  }
  return { files, fileNames, duplicates, unnamed: unnamed.sort() };
}
