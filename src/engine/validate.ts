import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TenantConfig } from '../config/load.js';
import { closest } from '../errors/index.js';
import { reconcile, treeFromTenantTree, type Tree } from '../reconcile/index.js';
import { resources } from '../resources/catalogue.js';
import type { ResourceDefinition } from '../resources/definition.js';
import { checkObject, formatPath, graphSchema, graphTypeName, type SchemaIssue } from '../resources/graphSchema.js';
import { readTenantTree, TENANTS_FOLDER, typeFolder, type TenantTree, type TreeIssue } from '../snapshot/index.js';
import { JsonPositions } from './jsonPositions.js';
import { idMapFile, readIdMap } from './idMap.js';

export interface Problem {
  code: string;
  /** Path relative to the repository root */
  file?: string;
  line?: number;
  column?: number;
  /** What is wrong, without the location (file and line are given apart) */
  message: string;
  fix: string;
  /**
   * 'warning': allowed, but worth a look (a file named differently from its object); it does not
   * make the files invalid. Absent: an error.
   */
  severity?: 'warning';
}

export interface DesiredTree {
  tree: Tree;
  /** Types whose files have errors: they take no part in reconcile */
  invalid: string[];
  /** Every problem of the files, each with its file (and line when known), and no location in the message */
  errors: TreeIssue[];
  warnings: TreeIssue[];
}

/**
 * The desired configuration of a tenant from the working tree, enabled types only, checked as
 * `validate` checks it: files that do not parse or sit in the wrong folder (src/snapshot/files.ts)
 * and objects that are not what Graph has for their type (src/resources/graphSchema.ts). A type
 * with any such error is invalid: it is not in `tree` and must take no part in a plan (no change,
 * never a delete) until its files are fixed. `plan` (the command line) and the action's `sync`
 * read the desired files through this function, so what validate refuses is never planned.
 */
export async function readDesired(root: string, tenant: TenantConfig): Promise<DesiredTree> {
  const read = await readTenantTree(root, tenant.name, resources);
  const enabled = new Set(tenant.types.map((t) => t.type));
  const schemaErrors = await checkSchemas(root, tenant, read, enabled);
  for (const e of schemaErrors) if (e.type) read.invalidTypes.add(e.type);
  const full = treeFromTenantTree(read);
  const tree: Tree = {};
  for (const [type, entries] of Object.entries(full)) if (enabled.has(type)) tree[type] = entries;
  return {
    tree,
    invalid: [...read.invalidTypes].filter((t) => enabled.has(t)),
    errors: [...read.errors.filter((e) => !e.type || enabled.has(e.type)), ...schemaErrors].map(withoutLocation),
    warnings: read.warnings.filter((w) => !w.type || enabled.has(w.type)).map(withoutLocation),
  };
}

/**
 * Check a tenant's desired files without touching the tenant: files that do not parse or sit in the
 * wrong folder, properties that are not what Graph has for the type (a misspelt name, an unknown
 * @odata.type, a string where Graph has a number, ...), duplicate names, references to names that
 * do not exist, and deletes beyond the delete guard compared with the tenant as last backed up (the
 * id map), when there is one.
 *
 * The errors come first; then the warnings (`severity: 'warning'`), which do not make the files
 * invalid.
 */
export async function validateTenant(root: string, tenant: TenantConfig, recordedIds?: string): Promise<Problem[]> {
  const desired = await readDesired(root, tenant);
  const problems: Problem[] = desired.errors.map(problemOf);

  // Reconciled against itself nothing changes, so what remains are the desired tree's own errors.
  // Each is reported once, from the repository's side: the same tree stands in for the tenant here,
  // and validate reads no tenant.
  const { plan } = reconcile({
    tenantName: tenant.name,
    defs: tenant.types,
    base: desired.tree,
    tenant: desired.tree,
    desired: desired.tree,
    unreadTypes: desired.invalid,
    drift: tenant.drift,
    deleteGuard: tenant.deleteGuard,
  });
  for (const error of plan.errors) {
    if (error.side !== 'desired') continue;
    const def = tenant.types.find((t) => t.type === error.type);
    const folder = def ? typeFolder(tenant.name, def) : `${TENANTS_FOLDER}/${tenant.name}`;
    // On each file it names (an annotation on each), with the same message naming all of them.
    for (const file of error.files.length ? error.files : [undefined]) {
      problems.push({ code: error.code, file: file === undefined ? folder : `${folder}/${file}.json`, message: error.message, fix: error.fix });
    }
  }

  const recorded = await readIdMap(recordedIds ?? idMapFile(root, tenant.name));
  if (recorded) {
    const guard = tenant.deleteGuard;
    for (const def of tenant.types) {
      const inTenant = Object.keys(recorded[def.type] ?? {});
      const entries = desired.tree[def.type];
      if (!entries || inTenant.length === 0 || desired.invalid.includes(def.type)) continue;
      const kept = new Set(entries.map((e) => e.file));
      const deletes = inTenant.filter((f) => !kept.has(f)).length;
      const limit = Math.max(guard['min-count'], Math.floor(guard['max-share'] * inTenant.length));
      if (deletes > limit && !guard.allow) {
        problems.push({
          code: 'DELETE_GUARD',
          file: typeFolder(tenant.name, def),
          message: `${deletes} of the ${inTenant.length} ${def.title.toLowerCase()} would be deleted; at most ${limit} may be deleted in one plan`,
          fix: 'Restore the files if they were removed by mistake, delete fewer objects per change, or raise delete-guard.max-share (or set delete-guard.allow: true) in tenant-sync.yml.',
        });
      }
    }
  }
  for (const w of desired.warnings) problems.push({ ...problemOf(w), severity: 'warning' });
  return problems;
}

/**
 * Folders under tenants/ that are not a tenant of the configuration: nothing reads them, so a
 * misspelt folder (tenants/contosso) or one that differs only in case (tenants/Contoso, the same
 * folder as tenants/contoso on Windows and macOS) would be silently ignored. `tenants` are the
 * configuration's tenant names; with `only`, just the folders that could be meant for those tenants
 * are reported (validate --tenant).
 */
export async function validateTenantFolders(
  root: string,
  tenants: readonly string[],
  options: { configFile?: string; only?: readonly string[] } = {},
): Promise<Problem[]> {
  const configFile = options.configFile ?? 'tenant-sync.yml';
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, TENANTS_FOLDER), { withFileTypes: true });
  } catch {
    // No tenants/ folder yet (or none readable): each tenant's own check reports what it finds.
    return [];
  }
  const known = new Set(tenants);
  const problems: Problem[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.') || known.has(entry.name) || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    const sameFolder = tenants.find((t) => t.toLowerCase() === entry.name.toLowerCase());
    const meant = sameFolder ?? closest(entry.name, tenants);
    if (options.only && !(meant !== undefined && options.only.includes(meant))) continue;
    const file = `${TENANTS_FOLDER}/${entry.name}`;
    if (sameFolder) {
      problems.push({
        code: 'FILE_INVALID',
        file,
        message: `the folder '${entry.name}' is not a tenant of ${configFile}; it differs from the tenant "${sameFolder}" only in case, and ${TENANTS_FOLDER}/${entry.name} and ${TENANTS_FOLDER}/${sameFolder} are the same folder on Windows and macOS.`,
        fix: `Folder names are case-sensitive: move its files into ${TENANTS_FOLDER}/${sameFolder} (the folder of "${sameFolder}") and remove ${file}.`,
      });
      continue;
    }
    problems.push({
      code: 'FILE_INVALID',
      file,
      message: `the folder '${entry.name}' is not a tenant of ${configFile}: its files are neither checked nor synced.`,
      fix: meant
        ? `Did you mean "${meant}"? Move its files into ${TENANTS_FOLDER}/${meant} and remove ${file}; or, if "${entry.name}" is another tenant, add it to ${configFile}.`
        : `Add the tenant "${entry.name}" to ${configFile}, or remove ${file}. The tenants of ${configFile}: ${tenants.join(', ') || '(none)'}.`,
    });
  }
  return problems;
}

function problemOf(e: TreeIssue): Problem {
  return {
    code: e.code,
    file: e.file,
    ...(e.line !== undefined ? { line: e.line } : {}),
    ...(e.column !== undefined ? { column: e.column } : {}),
    message: e.message,
    fix: e.fix,
  };
}

/** The location is given apart (file, line); a message that starts with it too is cut. */
function withoutLocation(e: TreeIssue): TreeIssue {
  if (!e.message.startsWith(e.file)) return e;
  const rest = e.message.slice(e.file.length).replace(/^(?::\d+)*:?\s*/, '');
  return rest === '' ? e : { ...e, message: rest };
}

/**
 * Every object of the enabled types against its type's Graph schema (src/resources/graphSchema.ts),
 * as FILE_INVALID issues of its type. Types whose files already have errors are checked too (each
 * file's problems are worth knowing at once). The line is found in the file's text, which is read
 * again only for a file with a problem.
 */
async function checkSchemas(root: string, tenant: TenantConfig, read: TenantTree, enabled: ReadonlySet<string>): Promise<TreeIssue[]> {
  const errors: TreeIssue[] = [];
  for (const def of tenant.types) {
    if (!enabled.has(def.type) || !def.graphType) continue;
    for (const entry of read.objects.get(def.type) ?? []) {
      const issues = checkObject(def, entry.object);
      if (issues.length === 0) continue;
      const positions = await readPositions(join(root, entry.file));
      const at = (issue: SchemaIssue) => positions?.locate(issue.path);
      const elsewhere = belongsElsewhere(def, entry.object);
      if (elsewhere.fits.length > 0) {
        // The whole object is of another type: one problem that says where it belongs.
        const first = issues[0]!;
        const others = issues.slice(1).map((i) => `"${formatPath(i.path)}"`);
        const where = at(first);
        errors.push({
          code: 'FILE_INVALID',
          kind: 'wrong-folder',
          file: entry.file,
          ...(where ? { line: where.line, column: where.column } : {}),
          type: def.type,
          message: `${first.message}${others.length ? ` (nor ${others.length === 1 ? 'is' : 'are'} ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''})` : ''}: the object is one of the ${elsewhere.fits.map((d) => d.title.toLowerCase()).join(' or ')}, not of the ${def.title.toLowerCase()}.`,
          fix: `Move the file to ${elsewhere.fits.map((d) => typeFolder(tenant.name, d)).join(' or ')}.`,
        });
        continue;
      }
      for (const issue of issues) {
        const where = at(issue);
        const typeOf = issue.kind === 'unknown-type' && issue.path.length === 1 ? elsewhere.byODataType : [];
        errors.push({
          code: 'FILE_INVALID',
          kind: 'schema',
          file: entry.file,
          ...(where ? { line: where.line, column: where.column } : {}),
          type: def.type,
          message: issue.message,
          fix: typeOf.length
            ? `${issue.fix} If the object is one of the ${typeOf.map((d) => d.title.toLowerCase()).join(' or ')}, move the file to ${typeOf.map((d) => typeFolder(tenant.name, d)).join(' or ')} instead.`
            : issue.fix,
        });
      }
    }
  }
  return errors;
}

/**
 * Other types of the catalogue the object belongs to: `fits`, those whose Graph schema it matches
 * without a problem (a conditional access policy put among the named locations); `byODataType`,
 * those its @odata.type is a type of.
 */
function belongsElsewhere(def: ResourceDefinition, object: Record<string, unknown>): { fits: ResourceDefinition[]; byODataType: ResourceDefinition[] } {
  const schemasOf = (r: ResourceDefinition) => (r.api === 'v1.0' ? [graphSchema('v1.0'), graphSchema('beta')] : [graphSchema('beta')]);
  // Only types the schema describes: checkObject finds nothing wrong with any object for the others.
  const others = resources.filter(
    (r) => r.type !== def.type && r.graphType && r.graphType !== def.graphType && schemasOf(r).some((s) => s.has(graphTypeName(r.graphType!))),
  );
  const fits = others.filter((r) => checkObject(r, object).length === 0);
  const odataType = object['@odata.type'];
  const byODataType =
    typeof odataType === 'string' && odataType !== ''
      ? others.filter((r) => schemasOf(r).some((s) => s.has(graphTypeName(odataType)) && s.isA(graphTypeName(odataType), graphTypeName(r.graphType!))))
      : [];
  return { fits, byODataType };
}

async function readPositions(file: string): Promise<JsonPositions | undefined> {
  try {
    return new JsonPositions(await readFile(file, 'utf8'));
  } catch {
    // The file was read a moment ago; without its text the problem is still reported, without a line.
    return undefined;
  }
}
