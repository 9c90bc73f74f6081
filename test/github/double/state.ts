/** The double's records (what GitHub keeps besides the git repository) and its public types. */

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface LabelRecord {
  id: number;
  node_id: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface ReviewRecord {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  commit_id: string;
  submitted_at: string;
}

export interface PullData {
  head: string;
  base: string;
  /** head/base shas frozen when the pull request was closed or merged */
  headSha: string | undefined;
  baseSha: string | undefined;
  merged: boolean;
  merged_at: string | null;
  merged_by: string | null;
  merge_commit_sha: string | null;
  draft: boolean;
  maintainer_can_modify: boolean;
  reviews: ReviewRecord[];
}

/** An issue, or a pull request (GitHub numbers both from one sequence; a pull request is an issue). */
export interface IssueRecord {
  number: number;
  id: number;
  node_id: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  /** label names, in the order they were added */
  labels: string[];
  user: string;
  assignees: string[];
  locked: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: string | null;
  pull?: PullData;
}

export interface CommentRecord {
  id: number;
  node_id: string;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRunRecord {
  id: number;
  node_id: string;
  name: string;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  details_url: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Record<string, unknown>[];
  actions: CheckRunAction[];
  check_suite_id: number;
  /** every create/update body, in order */
  history: Record<string, unknown>[];
}

export interface WorkflowRunRecord {
  id: number;
  name: string;
  run_number: number;
  run_attempt: number;
  event: string;
  head_branch: string;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  path: string;
  workflow_id: number;
  created_at: string;
  updated_at: string;
  actor: string;
}

export interface ProtectionRule {
  /** Approving reviews a merge needs (the merge API answers 405 below it). */
  requiredApprovingReviewCount: number;
  /** Refuse `git push` to the branch (GH006), as GitHub does for a branch that needs reviews. Default true. */
  blockPushes: boolean;
}

export interface FailureRule {
  id: number;
  /** operationId as in the OpenAPI description, e.g. 'git/update-ref' */
  operationId?: string;
  method?: string;
  pathIncludes?: string;
  status: number;
  /** the `message` of GitHub's error body (default: the status text) */
  message?: string;
  /** a whole body instead */
  body?: unknown;
  headers?: Record<string, string>;
  /** how many matching requests fail (default 1; Infinity for all) */
  times: number;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  /** the path below the API root (or the git / twirp / blob path) */
  path: string;
  query: string;
  kind: 'rest' | 'git' | 'artifacts' | 'blob' | 'other';
  operationId?: string;
  status: number;
  /** the parsed JSON body (REST and Twirp) */
  body?: unknown;
  /** the response body (REST) */
  response?: unknown;
}

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  /** what did not fit, in GitHub's words where it has them */
  errors: string[];
  body?: unknown;
}
