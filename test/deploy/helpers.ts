import { diffObjects } from '../../src/reconcile/diff.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TenantConfig } from '../../src/config/load.js';
import { applyPlan, type DeployRecord } from '../../src/deploy/index.js';
import { connect } from '../../src/engine/connect.js';
import type { GraphClient } from '../../src/graph/types.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { PLAN_VERSION, type Plan, type PlanItem } from '../../src/reconcile/plan.js';
import { findResource } from '../../src/resources/catalogue.js';
import { renderJson, typeFolder } from '../../src/snapshot/index.js';
import type { Simulator } from '../simulator/index.js';
import { runBackup, simEnv, tenantFor } from '../backup/helpers.js';

export type Obj = Record<string, unknown>;

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The simulator's Graph through the production client and real MSAL, without the documented pacing (throttling is off) */
export async function graphFor(sim: Simulator, tenant: TenantConfig = tenantFor(sim)): Promise<GraphClient & { close?: () => void }> {
  return connect({ tenant, log: createMemoryLogger(), sources: { env: simEnv(sim) }, graph: { rateLimits: {} } });
}

/** A backed-up repository: the files a plan is made from, and the id map */
export interface Repo {
  root: string;
  ids: Record<string, Record<string, string>>;
}

export async function backup(sim: Simulator, root: string): Promise<Repo> {
  const report = await runBackup(sim, root, { graph: { rateLimits: {} } });
  if (report.totals.failedTypes > 0) throw new Error(`backup failed: ${JSON.stringify(report.types.filter((t) => t.status === 'failed'))}`);
  const ids = JSON.parse(await readFile(join(root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as Repo['ids'];
  return { root, ids };
}

export function filePath(repo: Repo, type: string, file: string): string {
  return join(repo.root, typeFolder('contoso', findResource(type)!), `${file}.json`);
}

export async function fileText(repo: Repo, type: string, file: string): Promise<string> {
  return readFile(filePath(repo, type, file), 'utf8');
}

export async function fileObject(repo: Repo, type: string, file: string): Promise<Obj> {
  return JSON.parse(await fileText(repo, type, file)) as Obj;
}

const common = (type: string, name: string, file: string) => ({ origin: 'repository' as const, type, name, file, changes: [] });

/** An update planned from the backed-up file: after = mutate(copy of the file) */
export async function updateItem(repo: Repo, type: string, file: string, mutate: (o: Obj) => void): Promise<PlanItem> {
  const text = await fileText(repo, type, file);
  const before = JSON.parse(text) as Obj;
  const after = structuredClone(before);
  mutate(after);
  const def = findResource(type)!;
  const name = def.kind === 'singleton' ? (def.singletonName ?? file) : String(after[def.nameField]);
  const previous = def.kind === 'singleton' ? name : String(before[def.nameField]);
  return {
    action: 'update',
    ...common(type, name, file),
    ...(previous !== name ? { previousName: previous } : {}),
    id: repo.ids[type]?.[file] ?? null,
    tenantFile: file,
    tenantHash: sha256(text),
    before,
    after: JSON.parse(renderJson(after)) as Obj,
  };
}

/** A create of `after` (references by name) */
export function createItem(type: string, after: Obj): PlanItem {
  const def = findResource(type)!;
  const name = String(after[def.nameField]);
  return { action: 'create', ...common(type, name, name), id: null, tenantFile: null, tenantHash: null, before: null, after: JSON.parse(renderJson(after)) as Obj };
}

/** A create from a backed-up file, renamed */
export async function copyItem(repo: Repo, type: string, file: string, newName: string, mutate: (o: Obj) => void = () => {}): Promise<PlanItem> {
  const def = findResource(type)!;
  const obj = await fileObject(repo, type, file);
  obj[def.nameField] = newName;
  mutate(obj);
  return createItem(type, obj);
}

export async function deleteItem(repo: Repo, type: string, file: string): Promise<PlanItem> {
  const text = await fileText(repo, type, file);
  const before = JSON.parse(text) as Obj;
  const def = findResource(type)!;
  return {
    action: 'delete',
    ...common(type, String(before[def.nameField]), file),
    id: repo.ids[type]?.[file] ?? null,
    tenantFile: file,
    tenantHash: sha256(text),
    before,
    after: null,
  };
}

/** A plan as reconcile makes it: each item's changes are the difference of its before and after */
export function makePlan(planned: PlanItem[], tenant = 'contoso'): Plan {
  const items = planned.map((i) => ({ ...i, changes: diffObjects(i.before, i.after) }) as PlanItem);
  return {
    version: PLAN_VERSION,
    tenant,
    driftPolicy: 'adopt',
    types: [],
    skippedTypes: [],
    counts: {
      creates: items.filter((i) => i.action === 'create').length,
      updates: items.filter((i) => i.action === 'update').length,
      deletes: items.filter((i) => i.action === 'delete').length,
      conflicts: 0,
      errors: 0,
      held: 0,
      drift: 0,
      unchanged: 0,
    },
    items,
    conflicts: [],
    errors: [],
    held: [],
    drift: [],
  };
}

export const approval = { kind: 'pull-request' as const, reference: 'https://github.com/contoso/tenant-config/pull/7', approvedBy: 'adele' };

export async function apply(
  sim: Simulator,
  repo: Repo,
  plan: Plan,
  options: { graph?: GraphClient; verifyTimeoutMs?: number; recordFile?: string } = {},
): Promise<DeployRecord & { log: string[]; recordFile: string }> {
  const tenant = tenantFor(sim);
  const graph = options.graph ?? (await graphFor(sim, tenant));
  const log = createMemoryLogger();
  const recordFile = options.recordFile ?? join(repo.root, '.tenant-sync', 'contoso', 'deploy-record.json');
  try {
    const record = await applyPlan({ plan, tenant, graph, log, recordFile, approval, verifyTimeoutMs: options.verifyTimeoutMs ?? 2_000 });
    return { ...record, log: log.lines, recordFile };
  } finally {
    if (!options.graph) (graph as { close?: () => void }).close?.();
  }
}

/** The writes Graph received, as 'METHOD /path' with ids replaced by the object's name where known */
export function writeLines(sim: Simulator): string[] {
  return sim.writes().map((w) => `${w.method} ${w.path}`);
}
