import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { unsettledSchema, type AdoptionOp, type Plan, type PlanItem, type Unsettled } from '../reconcile/index.js';
import { findResource, resources } from '../resources/catalogue.js';
import { FILE_EXTENSION, renderJson, typeFolder } from '../snapshot/index.js';
import { readVisit, resolvePath, writeVisit } from '../snapshot/paths.js';

/** 'tenants/<tenant>/<workload>/<type>/<file>.json' of an object, relative to the repository root */
export function objectPath(tenant: string, type: string, file: string): string {
  const def = findResource(type);
  if (!def) throw new Error(`unknown type ${type}`);
  return `${typeFolder(tenant, def)}/${file}${FILE_EXTENSION}`;
}

export async function writeRepoFile(root: string, path: string, content: string): Promise<void> {
  const full = join(root, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
}

export async function removeRepoFile(root: string, path: string): Promise<void> {
  await rm(join(root, path), { force: true });
}

export async function readRepoFile(root: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, path), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The paths an adoption or a plan touches, for checking they did not move under us */
export function adoptionPaths(tenant: string, ops: readonly AdoptionOp[]): string[] {
  return ops.map((op) => objectPath(tenant, op.type, op.file));
}

/** The tenant's changes onto the desired tree (drift policy adopt) */
export async function writeAdoption(root: string, tenant: string, ops: readonly AdoptionOp[]): Promise<void> {
  for (const op of ops) {
    const path = objectPath(tenant, op.type, op.file);
    if (op.object === null) await removeRepoFile(root, path);
    else await writeRepoFile(root, path, renderJson(op.object));
  }
}

/** The plan's changes onto the tenant's state: what the tenant will hold once the plan is applied */
export async function writePlanItems(root: string, tenant: string, items: readonly PlanItem[]): Promise<void> {
  for (const item of items) {
    if (item.action === 'delete') {
      await removeRepoFile(root, objectPath(tenant, item.type, item.tenantFile));
      continue;
    }
    if (item.action === 'update' && item.tenantFile !== item.file) await removeRepoFile(root, objectPath(tenant, item.type, item.tenantFile));
    await writeRepoFile(root, objectPath(tenant, item.type, item.file), renderJson(item.after));
  }
}

/** An object a plan is about: its file on the default branch and on the state branch (null: none there) */
export interface PlannedObject {
  type: string;
  file: string | null;
  tenantFile: string | null;
}

/** Every object a plan shows: its writes, its held deletes, its conflicts and the objects its errors name */
export function plannedObjects(plan: Plan): PlannedObject[] {
  const fromItem = (i: PlanItem): PlannedObject => ({ type: i.type, file: i.action === 'delete' ? null : i.file, tenantFile: i.action === 'create' ? null : i.tenantFile });
  return [
    ...plan.items.map(fromItem),
    ...plan.held.flatMap((h) => h.items.map(fromItem)),
    ...plan.conflicts.map((c) => ({ type: c.type, file: c.files.desired, tenantFile: c.files.tenant })),
    ...plan.errors.flatMap((e) => e.files.map((f) => ({ type: e.type, file: f, tenantFile: f }))),
  ];
}

/**
 * The plan's objects put back to the tenant's state (revert): each object's file gets the state
 * branch's version, and a desired file the tenant has no object for is removed.
 */
export async function writeTenantVersions(
  root: string,
  tenant: string,
  objects: readonly PlannedObject[],
  stateFile: (path: string) => Promise<string | undefined>,
): Promise<string[]> {
  const touched: string[] = [];
  const renames: { type: string; from: string; to: string }[] = [];
  // Every removal before any write: two objects of a plan can share a path (the repository's file
  // of one is the tenant's file of another), and the tenant's version written there must stay.
  const removals = new Set<string>();
  const writes = new Map<string, string>();
  for (const object of objects) {
    const desiredPath = object.file === null ? undefined : objectPath(tenant, object.type, object.file);
    const tenantPath = object.tenantFile === null ? undefined : objectPath(tenant, object.type, object.tenantFile);
    const content = tenantPath === undefined ? undefined : await stateFile(tenantPath);
    if (desiredPath && tenantPath) {
      // The object gets the tenant's name back: the default branch's references to it follow
      const from = nameIn(object.type, await readRepoFile(root, desiredPath));
      const to = nameIn(object.type, content);
      if (from !== undefined && to !== undefined && from !== to) renames.push({ type: object.type, from, to });
    }
    if (desiredPath && desiredPath !== tenantPath) removals.add(desiredPath);
    if (tenantPath) {
      if (content === undefined) removals.add(tenantPath);
      else writes.set(tenantPath, content);
    }
  }
  await includeRenamedTargets(root, tenant, stateFile, removals, writes, renames);
  for (const path of removals) {
    if (!writes.has(path)) await removeRepoFile(root, path);
    touched.push(path);
  }
  for (const [path, content] of writes) {
    await writeRepoFile(root, path, content);
    if (!removals.has(path)) touched.push(path);
  }
  if (renames.length > 0) touched.push(...(await followRenames(root, tenant, renames, new Set(touched))));
  return touched;
}

/**
 * A tenant version the revert writes may name an object by its tenant name while the default
 * branch still has it under its former name: the object was renamed in the tenant and the rename
 * was not adopted (it was held because objects naming it were not settled; see unsettled.json).
 * The revert then takes that object's tenant version too, in place of the file the default branch
 * has for it (unchanged since), so that nothing the revert writes names what main does not have.
 */
async function includeRenamedTargets(
  root: string,
  tenant: string,
  stateFile: (path: string) => Promise<string | undefined>,
  removals: Set<string>,
  writes: Map<string, string>,
  renames: { type: string; from: string; to: string }[],
): Promise<void> {
  let unsettled: Unsettled;
  try {
    const text = await stateFile(`.tenant-sync/${tenant}/unsettled.json`);
    if (text === undefined) return;
    unsettled = unsettledSchema.parse(JSON.parse(text));
  } catch {
    return;
  }
  for (let round = 0; round < 8; round++) {
    let added = false;
    for (const [path, content] of [...writes]) {
      const def = findResource(path.split('/')[3] ?? '');
      if (!def || def.references.length === 0) continue;
      let object: unknown;
      try {
        object = JSON.parse(content);
      } catch {
        continue;
      }
      for (const ref of def.references) {
        const entries = unsettled[ref.target];
        const target = findResource(ref.target);
        if (!entries || !target || target.kind !== 'collection') continue;
        for (const visit of resolvePath(object, ref.path)) {
          const value = readVisit(visit);
          if (typeof value !== 'string' || ref.keywords.includes(value)) continue;
          for (const entry of entries) {
            if (entry.file === null || entry.base === null) continue;
            const statePath = objectPath(tenant, ref.target, entry.file);
            if (writes.has(statePath)) continue;
            const tenantVersion = await stateFile(statePath);
            const from = entry.base.object[target.nameField];
            if (nameIn(ref.target, tenantVersion) !== value || typeof from !== 'string' || from === value) continue;
            const mainPath = objectPath(tenant, ref.target, entry.base.file);
            if (nameIn(ref.target, await readRepoFile(root, mainPath)) !== from) continue;
            if (mainPath !== statePath) removals.add(mainPath);
            writes.set(statePath, tenantVersion!);
            renames.push({ type: ref.target, from, to: value });
            added = true;
          }
        }
      }
    }
    if (!added) return;
  }
}

/** The name field of an object file's content; undefined when there is none or it cannot be read */
function nameIn(type: string, content: string | undefined): string | undefined {
  const def = findResource(type);
  if (content === undefined || !def || def.kind !== 'collection') return undefined;
  try {
    const value = (JSON.parse(content) as Record<string, unknown>)[def.nameField];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * References are written by name: when a revert gives an object its tenant's name back, the
 * default branch's other files that name it by the name it had there (objects not in the plan,
 * e.g. policies of a type that could not be read when the plan was made) are changed to name it
 * by its tenant name, so that no reference dangles. Files the revert wrote are left as written.
 * Returns the paths changed.
 */
async function followRenames(root: string, tenant: string, renames: readonly { type: string; from: string; to: string }[], written: ReadonlySet<string>): Promise<string[]> {
  const changed: string[] = [];
  for (const def of resources) {
    const refs = def.references.flatMap((ref) => renames.filter((r) => r.type === ref.target).map((r) => ({ ref, rename: r })));
    if (refs.length === 0) continue;
    const folder = typeFolder(tenant, def);
    const files = await readdir(join(root, folder)).catch(() => [] as string[]);
    for (const file of files.sort()) {
      if (!file.endsWith(FILE_EXTENSION)) continue;
      const path = `${folder}/${file}`;
      if (written.has(path)) continue;
      let object: unknown;
      try {
        object = JSON.parse((await readRepoFile(root, path)) ?? '');
      } catch {
        continue;
      }
      let edited = false;
      for (const { ref, rename } of refs) {
        if (ref.keywords.includes(rename.from)) continue;
        for (const visit of resolvePath(object, ref.path)) {
          if (readVisit(visit) !== rename.from) continue;
          writeVisit(visit, rename.to);
          edited = true;
        }
      }
      if (!edited) continue;
      await writeRepoFile(root, path, renderJson(object));
      changed.push(path);
    }
  }
  return changed;
}
