import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TenantConfig } from '../config/load.js';
import { reconcile, type Tree } from '../reconcile/index.js';
import { checkObject } from '../resources/graphSchema.js';
import { typeFolder } from '../snapshot/index.js';
import { JsonPositions } from './jsonPositions.js';
import { idMapFile, readIdMap } from './idMap.js';
import { readDesired } from './plan.js';

export interface Problem {
  code: string;
  /** Path relative to the repository root */
  file?: string;
  line?: number;
  column?: number;
  message: string;
  fix: string;
}

/**
 * Check a tenant's desired files without touching the tenant: files that do not parse or sit in the
 * wrong folder, properties that are not what Graph has for the type (a misspelt name, an unknown
 * @odata.type, a string where Graph has a number, ...), duplicate names, references to names that
 * do not exist, and deletes beyond the delete guard compared with the tenant as last backed up (the
 * id map), when there is one.
 */
export async function validateTenant(root: string, tenant: TenantConfig, recordedIds?: string): Promise<Problem[]> {
  const desired = await readDesired(root, tenant);
  const problems: Problem[] = desired.errors.map((e) => ({
    code: e.code,
    file: e.file,
    line: e.line,
    column: e.column,
    // The location is given apart; the snapshot's message starts with it too.
    message: e.message.startsWith(`${e.file}`) ? e.message.slice(e.file.length).replace(/^(:\d+)*:\s*/, '') : e.message,
    fix: e.fix,
  }));

  problems.push(...(await checkSchemas(root, tenant, desired.tree)));

  // Reconciled against itself nothing changes, so what remains are the desired tree's own errors.
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
    const def = tenant.types.find((t) => t.type === error.type);
    const folder = def ? typeFolder(tenant.name, def) : `tenants/${tenant.name}`;
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
  return problems;
}

/**
 * Every object against its type's Graph schema (src/resources/graphSchema.ts). Types whose files
 * have errors are not in the tree and are not checked further. The line is found in the file's
 * text, which is read only for a file with a problem.
 */
async function checkSchemas(root: string, tenant: TenantConfig, tree: Tree): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const def of tenant.types) {
    const entries = tree[def.type];
    if (!entries || !def.graphType) continue;
    const folder = typeFolder(tenant.name, def);
    for (const entry of entries) {
      const issues = checkObject(def, entry.object);
      if (issues.length === 0) continue;
      const file = `${folder}/${entry.file}.json`;
      const positions = await readPositions(join(root, file));
      for (const issue of issues) {
        const at = positions?.locate(issue.path);
        problems.push({
          code: 'FILE_INVALID',
          file,
          ...(at ? { line: at.line, column: at.column } : {}),
          message: issue.message,
          fix: issue.fix,
        });
      }
    }
  }
  return problems;
}

async function readPositions(file: string): Promise<JsonPositions | undefined> {
  try {
    return new JsonPositions(await readFile(file, 'utf8'));
  } catch {
    // The file was read a moment ago; without its text the problem is still reported, without a line.
    return undefined;
  }
}
