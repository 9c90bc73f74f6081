/**
 * The deploy module: apply an approved plan to the tenant object by object, in dependency order,
 * each checked against the tenant's version it was planned from, resolved to this tenant's ids,
 * read back and verified, and every write recorded durably as it happens.
 */
export { applyPlan, applyOrder, DEFAULT_VERIFY_TIMEOUT_MS, type ApplyPlanOptions } from './apply.js';
export { createWrite, dropRedacted, updateWrite, withoutRedacted, type FollowUpRequest, type ObjectWrite } from './bodies.js';
export { DEPLOY_ERROR_CODES, type DeployErrorCode } from './errors.js';
export {
  DEPLOY_RECORD_VERSION,
  approvalSchema,
  countItems,
  deployErrorSchema,
  deployRecordSchema,
  deployStatusSchema,
  itemResultSchema,
  overallStatus,
  readRecordFile,
  recordCountsSchema,
  recordItemSchema,
  requestRecordSchema,
  writeRecordFile,
  type Approval,
  type DeployError,
  type DeployRecord,
  type DeployStatus,
  type ItemResult,
  type RecordCounts,
  type RecordItem,
  type RequestRecord,
} from './record.js';
