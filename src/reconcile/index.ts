/**
 * The reconcile module: the three-way comparison of base (state branch), tenant (just read) and
 * desired (default branch), and the plan an approval pull request shows and `apply` deploys.
 * Pure: no I/O, no Graph.
 */
export {
  reconcile,
  applyAdoption,
  type AdoptionOp,
  type Classification,
  type DeleteGuardInput,
  type HeldAdoption,
  type ObjectResult,
  type ReconcileInput,
  type Reconciliation,
} from './reconcile.js';
export {
  PLAN_VERSION,
  conflictKindSchema,
  conflictSchema,
  driftEntrySchema,
  driftPolicySchema,
  heldDeletesSchema,
  isEmptyPlan,
  objectHash,
  parsePlan,
  planCountsSchema,
  planErrorCodeSchema,
  planErrorKindSchema,
  planErrorSchema,
  planHash,
  planItemSchema,
  planSchema,
  planTypeSchema,
  propertyChangeSchema,
  sha256Schema,
  type Conflict,
  type ConflictKind,
  type DriftEntry,
  type DriftPolicy,
  type HeldDeletes,
  type Plan,
  type PlanAction,
  type PlanCounts,
  type PlanError,
  type PlanErrorCode,
  type PlanErrorKind,
  type PlanItem,
} from './plan.js';
export {
  baseName,
  idMapSchema,
  treeEntrySchema,
  treeFromTenantTree,
  treeSchema,
  type IdMap,
  type Tree,
  type TreeEntry,
} from './tree.js';
export { deepEqual, diffObjects, diffValues, type ChangeKind, type PropertyChange } from './diff.js';
export { errorTexts, format, heldTexts, messages, type Catalogue, type MessageKey, type MessageParams } from './messages.js';
export { MARKDOWN_TARGET_LENGTH, GITHUB_BODY_LIMIT, renderPlanMarkdown, type MarkdownOptions } from './markdown.js';
export {
  baseWithUnsettled,
  nextUnsettled,
  unsettledEntrySchema,
  unsettledSchema,
  type Unsettled,
  type UnsettledEntry,
  type UnsettledObject,
} from './unsettled.js';
