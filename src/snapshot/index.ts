/**
 * The snapshot module: what a tenant's configuration looks like in the repository. Normalise what
 * Graph returned, name the files, write references by name, and read and write the tenant folder.
 */
export { COMMON_VOLATILE_FIELDS, isRemovedAnnotation, normaliseObject, renderJson } from './normalise.js';
export {
  MAX_FILE_NAME_BYTES,
  assignFileNames,
  fileNameFoldKey,
  isSafeFileName,
  safeFileName,
  shortHash,
  truncateUtf8,
  type DuplicateName,
  type FileNameAssignment,
  type NamedObject,
} from './naming.js';
export {
  collectReferencedIds,
  replaceIdsWithNames,
  replaceNamesWithIds,
  type UnresolvedId,
  type UnresolvedName,
} from './references.js';
export {
  FILE_EXTENSION,
  TENANTS_FOLDER,
  buildTypeFiles,
  isValidTenantFolder,
  objectName,
  singletonFileName,
  tenantFolder,
  typeFolder,
  type TypeFiles,
} from './layout.js';
export {
  readTenantTree,
  writeTypeFolder,
  StagingArea,
  StagedTypeFolder,
  type TenantTree,
  type TreeFile,
  type TreeIssue,
  type TreeIssueKind,
  type WriteTypeFolderResult,
} from './files.js';
export { findJsonError, lineAndColumn, parseJsonText, type JsonParseFailure, type JsonParseResult } from './jsonError.js';
export { parsePath, resolvePath, type PathToken, type PathVisit } from './paths.js';
export { compareCodePoints } from './util.js';
export { dropRedacted } from './redacted.js';
export { toFileObject } from './fileObject.js';
