import { z } from 'zod';
import { canonicalHash } from './canonical.js';
import { diffObjects } from './diff.js';

/**
 * The plan: what an approval would write to the tenant, as data. It is stored as plan.json (an
 * artifact, and what `apply` deploys from) and rendered as the approval pull request's body
 * (markdown.ts). Everything in it is deterministic: the same three trees give the same bytes and
 * the same planHash, so a rerun with nothing new changes nothing.
 */

export const PLAN_VERSION = 1;

const jsonObjectSchema = z.record(z.string(), z.unknown());
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex');

export const propertyChangeSchema = z.object({
  /** 'conditions.users.includeGroups', 'assignments[2].target'; see diff.ts */
  path: z.string(),
  kind: z.enum(['added', 'removed', 'changed']),
  /** Absent when added */
  before: z.unknown().optional(),
  /** Absent when removed */
  after: z.unknown().optional(),
});

export const driftPolicySchema = z.enum(['adopt', 'remediate', 'report']);
export type DriftPolicy = z.infer<typeof driftPolicySchema>;

const itemCommon = {
  /** 'repository': the default branch changed it; 'remediation': puts back a change made in the tenant */
  origin: z.enum(['repository', 'remediation']),
  type: z.string(),
  /** The object's display name (def.nameField) after the change; its name in the tenant for deletes */
  name: z.string(),
  /** The file (without .json) in the repository; for deletes the file it had on the state branch */
  file: z.string(),
  /** Its property changes, tenant (before) -> desired (after) */
  changes: z.array(propertyChangeSchema),
};

export const planItemSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('create'),
    ...itemCommon,
    /** Nothing in the tenant yet */
    id: z.null(),
    tenantFile: z.null(),
    /** null: the object must still be absent when the plan is applied */
    tenantHash: z.null(),
    before: z.null(),
    after: jsonObjectSchema,
  }),
  z.object({
    action: z.literal('update'),
    ...itemCommon,
    /** The tenant's name when the change renames the object */
    previousName: z.string().optional(),
    /** The tenant's id (from the id map); null when the map does not know it */
    id: z.string().nullable(),
    /** The object's file on the state branch */
    tenantFile: z.string(),
    /** sha256 of renderJson(before): the tenant's version the change was planned against */
    tenantHash: sha256Schema,
    before: jsonObjectSchema,
    after: jsonObjectSchema,
  }),
  z.object({
    action: z.literal('delete'),
    ...itemCommon,
    id: z.string().nullable(),
    tenantFile: z.string(),
    tenantHash: sha256Schema,
    before: jsonObjectSchema,
    after: z.null(),
  }),
]);
export type PlanItem = z.infer<typeof planItemSchema>;
export type PlanAction = PlanItem['action'];

export const conflictKindSchema = z.enum([
  'both-changed',
  'changed-in-tenant-deleted-in-repo',
  'deleted-in-tenant-changed-in-repo',
  'created-in-both',
  'name-taken',
]);
export type ConflictKind = z.infer<typeof conflictKindSchema>;

const filesSchema = z.object({
  base: z.string().nullable(),
  tenant: z.string().nullable(),
  desired: z.string().nullable(),
});

export const conflictSchema = z.object({
  kind: conflictKindSchema,
  type: z.string(),
  name: z.string(),
  files: filesSchema,
  id: z.string().nullable(),
  /** sha256 of the tenant's version, null when the tenant has none */
  tenantHash: sha256Schema.nullable(),
  /** last recorded -> tenant (or repository -> tenant when nothing was recorded) */
  tenantChanges: z.array(propertyChangeSchema),
  /** last recorded -> repository (or tenant -> repository when nothing was recorded) */
  repoChanges: z.array(propertyChangeSchema),
  message: z.string(),
  fix: z.string(),
});
export type Conflict = z.infer<typeof conflictSchema>;

export const planErrorKindSchema = z.enum([
  'duplicate-name',
  'missing-reference',
  'ambiguous-reference',
  'still-referenced',
  'read-only',
  'not-writable',
  'cannot-create',
  'cannot-delete',
  'type-changed',
]);
export type PlanErrorKind = z.infer<typeof planErrorKindSchema>;

/** Stable codes; each has (or is to get) a page docs/troubleshooting/<code>.md */
export const planErrorCodeSchema = z.enum(['DUPLICATE_NAME', 'REFERENCE_UNRESOLVED', 'READ_ONLY_OBJECT', 'WRITE_NOT_SUPPORTED']);
export type PlanErrorCode = z.infer<typeof planErrorCodeSchema>;

export const planErrorSchema = z.object({
  code: planErrorCodeSchema,
  kind: planErrorKindSchema,
  type: z.string(),
  /** The object's display name, when the error is about one object */
  name: z.string().nullable(),
  /** Files (without .json) concerned */
  files: z.array(z.string()),
  /** Where the files are: desired (the default branch) or tenant (the state branch) */
  side: z.enum(['desired', 'tenant']),
  /** The values the message is made from (messages.ts), to render it in another language */
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.string(),
  fix: z.string(),
});
export type PlanError = z.infer<typeof planErrorSchema>;

export const heldDeletesSchema = z.object({
  code: z.literal('DELETE_GUARD'),
  type: z.string(),
  /** Deletes planned for the type */
  count: z.int().min(0),
  /** The most the guard allows: max(min-count, floor(max-share * tenantObjects)) */
  limit: z.int().min(0),
  /** Objects of the type in the tenant */
  tenantObjects: z.int().min(0),
  maxShare: z.number(),
  minCount: z.int().min(0),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.string(),
  fix: z.string(),
  /** The deletes held back, as they would have been planned */
  items: z.array(planItemSchema),
});
export type HeldDeletes = z.infer<typeof heldDeletesSchema>;

export const driftEntrySchema = z.object({
  type: z.string(),
  name: z.string(),
  kind: z.enum(['changed', 'created', 'deleted']),
  /** What the drift policy did with it */
  action: driftPolicySchema,
  /** The file in the repository (desired), null when the repository has none */
  file: z.string().nullable(),
  /** The file on the state branch, null when the tenant has none */
  tenantFile: z.string().nullable(),
  /** last recorded -> tenant */
  changes: z.array(propertyChangeSchema),
});
export type DriftEntry = z.infer<typeof driftEntrySchema>;

export const planCountsSchema = z.object({
  creates: z.int().min(0),
  updates: z.int().min(0),
  deletes: z.int().min(0),
  conflicts: z.int().min(0),
  errors: z.int().min(0),
  /** Deletes held back by the delete guard (objects, not types) */
  held: z.int().min(0),
  drift: z.int().min(0),
  unchanged: z.int().min(0),
});
export type PlanCounts = z.infer<typeof planCountsSchema>;

export const planTypeSchema = z.object({
  type: z.string(),
  title: z.string(),
  workload: z.string(),
  /** Objects of the type in the tenant */
  tenantObjects: z.int().min(0),
});

export const planSchema = z.object({
  version: z.literal(PLAN_VERSION),
  tenant: z.string(),
  /** tenant-id of tenant-sync.yml when the plan was made: apply refuses another tenant even under the same name */
  tenantId: z.string().optional(),
  driftPolicy: driftPolicySchema,
  /** Types compared, in dependency order */
  types: z.array(planTypeSchema),
  /** Types left out of the comparison (read failed, invalid files): nothing is planned for them */
  skippedTypes: z.array(z.object({ type: z.string(), title: z.string() })),
  counts: planCountsSchema,
  /** What approval writes: per type in dependency order, then create, update, delete, then by name */
  items: z.array(planItemSchema),
  conflicts: z.array(conflictSchema),
  errors: z.array(planErrorSchema),
  held: z.array(heldDeletesSchema),
  drift: z.array(driftEntrySchema),
});
export type Plan = z.infer<typeof planSchema>;

/**
 * sha256 of the bytes a file holding `object` has (renderJson, snapshot/normalise.ts): how a
 * tenant's version is pinned. Deploy hashes the object it reads back the same way.
 */
export function objectHash(object: unknown): string {
  return canonicalHash(object);
}

/** A stable hash of the whole plan (sorted keys; the same for a plan read back from plan.json). */
export function planHash(plan: Plan): string {
  return objectHash(plan);
}

/**
 * Where a plan's items contradict themselves: `changes` is not the difference of `before` and
 * `after`, or `before` does not hash to `tenantHash`. A plan edited after it was made (by hand, or
 * on the approval branch) shows up here; apply refuses it whole.
 */
export function planIntegrityProblems(plan: Plan): string[] {
  const problems: string[] = [];
  for (const item of plan.items) {
    const where = `${item.action} ${item.type} '${item.name}'`;
    if (JSON.stringify(diffObjects(item.before, item.after)) !== JSON.stringify(item.changes)) problems.push(`${where}: its changes are not the difference of its before and after`);
    if (item.action !== 'create' && objectHash(item.before) !== item.tenantHash) problems.push(`${where}: its before does not match its tenantHash`);
  }
  return problems;
}

/** Reads plan.json back; throws a ZodError naming what is wrong. */
export function parsePlan(value: unknown): Plan {
  return planSchema.parse(value);
}

/** Nothing for a person to review: no write, no conflict, no error, no held delete. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.items.length === 0 && plan.conflicts.length === 0 && plan.errors.length === 0 && plan.held.length === 0;
}
