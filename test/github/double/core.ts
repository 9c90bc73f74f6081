/**
 * The double's state and the builders of GitHub's REST objects (users, repository, issues, pull
 * requests, labels, comments, check runs, workflow runs, artifacts, commits). The builders set the
 * fields that carry meaning; openapi.fill() completes the rest from the response schema.
 */
import { createHash } from 'node:crypto';
import { ArtifactService, type ArtifactRecord } from './artifacts.js';
import type { BareRepo, CommitInfo, FileChange } from './git.js';
import type {
  CheckRunRecord,
  CommentRecord,
  FailureRule,
  IssueRecord,
  LabelRecord,
  Permission,
  ProtectionRule,
  RequestLogEntry,
  Violation,
  WorkflowRunRecord,
} from './state.js';

type Obj = Record<string, unknown>;

/** The GITHUB_TOKEN's identity in Actions. */
export const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282 };
/** The GitHub Actions app (check runs created with GITHUB_TOKEN belong to it). */
export const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions', node_id: 'MDM6QXBwMTUzNjg=' };

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function userId(login: string): number {
  if (login === ACTIONS_BOT.login) return ACTIONS_BOT.id;
  return 1_000_000 + (createHash('sha1').update(login).digest().readUInt32BE(0) % 8_000_000);
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64').replace(/=+$/, '');
}

export interface CoreOptions {
  owner: string;
  repo: string;
  defaultBranch: string;
  token: string;
  private: boolean;
  deleteBranchOnMerge: boolean;
  allowedMergeMethods: ('merge' | 'squash' | 'rebase')[];
  validateResponses: boolean;
}

export class DoubleCore {
  readonly repoId = 700_001;
  readonly ownerId: number;
  apiUrl = '';
  serverUrl = '';
  origin = '';
  readonly issues = new Map<number, IssueRecord>();
  readonly labels = new Map<string, LabelRecord>();
  readonly comments: CommentRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly runs = new Map<number, WorkflowRunRecord>();
  readonly collaborators = new Map<string, Permission>();
  readonly protections = new Map<string, ProtectionRule>();
  failures: FailureRule[] = [];
  readonly requests: RequestLogEntry[] = [];
  readonly violations: Violation[] = [];
  /** Responses of the double that did not fit the description (a bug in the double). */
  readonly responseViolations: Violation[] = [];
  /** Requests that fit the description but that the double does not implement. */
  readonly unimplemented: Violation[] = [];
  readonly artifacts: ArtifactService;
  private nextNumber = 1;
  private nextIds = new Map<string, number>();

  constructor(
    readonly options: CoreOptions,
    readonly git: BareRepo,
  ) {
    this.ownerId = userId(options.owner);
    this.artifacts = new ArtifactService(() => this.origin);
    this.collaborators.set(options.owner, 'admin');
  }

  get owner(): string {
    return this.options.owner;
  }
  get repo(): string {
    return this.options.repo;
  }
  get fullName(): string {
    return `${this.options.owner}/${this.options.repo}`;
  }
  get repoApi(): string {
    return `${this.apiUrl}/repos/${this.fullName}`;
  }
  get repoHtml(): string {
    return `${this.serverUrl}/${this.fullName}`;
  }

  newId(kind: string): number {
    const base = { issue: 2_000_000_001, comment: 3_000_000_001, label: 4_000_000_001, check: 5_000_000_001, suite: 6_000_000_001, review: 7_000_000_001, run: 8_000_000_001 }[kind] ?? 1;
    const next = this.nextIds.get(kind) ?? base;
    this.nextIds.set(kind, next + 1);
    return next;
  }

  newNumber(): number {
    return this.nextNumber++;
  }

  // ------------------------------------------------------------------------------------- objects

  user(login: string): Obj {
    const id = userId(login);
    const bot = login.endsWith('[bot]');
    const u = `${this.apiUrl}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: nodeId(bot ? 'Bot' : 'User', id),
      avatar_url: `${this.serverUrl}/avatars/u/${id}?v=4`,
      gravatar_id: '',
      url: u,
      html_url: bot ? `${this.serverUrl}/apps/${login.replace(/\[bot\]$/, '')}` : `${this.serverUrl}/${login}`,
      followers_url: `${u}/followers`,
      following_url: `${u}/following{/other_user}`,
      gists_url: `${u}/gists{/gist_id}`,
      starred_url: `${u}/starred{/owner}{/repo}`,
      subscriptions_url: `${u}/subscriptions`,
      organizations_url: `${u}/orgs`,
      repos_url: `${u}/repos`,
      events_url: `${u}/events{/privacy}`,
      received_events_url: `${u}/received_events`,
      type: bot ? 'Bot' : login === this.owner ? 'Organization' : 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  repository(): Obj {
    const api = this.repoApi;
    const html = this.repoHtml;
    return {
      id: this.repoId,
      node_id: nodeId('Repository', this.repoId),
      name: this.repo,
      full_name: this.fullName,
      private: this.options.private,
      visibility: this.options.private ? 'private' : 'public',
      owner: this.user(this.owner),
      html_url: html,
      description: 'Microsoft 365 tenant configuration',
      fork: false,
      url: api,
      archive_url: `${api}/{archive_format}{/ref}`,
      assignees_url: `${api}/assignees{/user}`,
      blobs_url: `${api}/git/blobs{/sha}`,
      branches_url: `${api}/branches{/branch}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      comments_url: `${api}/comments{/number}`,
      commits_url: `${api}/commits{/sha}`,
      compare_url: `${api}/compare/{base}...{head}`,
      contents_url: `${api}/contents/{+path}`,
      contributors_url: `${api}/contributors`,
      deployments_url: `${api}/deployments`,
      downloads_url: `${api}/downloads`,
      events_url: `${api}/events`,
      forks_url: `${api}/forks`,
      git_commits_url: `${api}/git/commits{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_url: `git:${html.replace(/^https?:/, '')}.git`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      issue_events_url: `${api}/issues/events{/number}`,
      issues_url: `${api}/issues{/number}`,
      keys_url: `${api}/keys{/key_id}`,
      labels_url: `${api}/labels{/name}`,
      languages_url: `${api}/languages`,
      merges_url: `${api}/merges`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      pulls_url: `${api}/pulls{/number}`,
      releases_url: `${api}/releases{/id}`,
      ssh_url: `git@${new URL(this.serverUrl).host}:${this.fullName}.git`,
      stargazers_url: `${api}/stargazers`,
      statuses_url: `${api}/statuses/{sha}`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      tags_url: `${api}/tags`,
      teams_url: `${api}/teams`,
      trees_url: `${api}/git/trees{/sha}`,
      clone_url: `${html}.git`,
      mirror_url: null,
      hooks_url: `${api}/hooks`,
      svn_url: html,
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: this.options.defaultBranch,
      open_issues_count: [...this.issues.values()].filter((i) => i.state === 'open').length,
      open_issues: [...this.issues.values()].filter((i) => i.state === 'open').length,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      pushed_at: isoNow(),
      created_at: '2024-01-02T03:04:05Z',
      updated_at: isoNow(),
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_rebase_merge: this.options.allowedMergeMethods.includes('rebase'),
      allow_squash_merge: this.options.allowedMergeMethods.includes('squash'),
      allow_merge_commit: this.options.allowedMergeMethods.includes('merge'),
      allow_auto_merge: false,
      delete_branch_on_merge: this.options.deleteBranchOnMerge,
      allow_forking: false,
      web_commit_signoff_required: false,
      license: null,
      network_count: 0,
      subscribers_count: 0,
      temp_clone_token: '',
    };
  }

  label(name: string): Obj {
    const l = this.labels.get(name.toLowerCase());
    const rec = l ?? { id: 0, node_id: '', name, color: 'ededed', description: null, default: false };
    return {
      id: rec.id,
      node_id: rec.node_id,
      url: `${this.repoApi}/labels/${encodeURIComponent(rec.name)}`,
      name: rec.name,
      description: rec.description,
      color: rec.color,
      default: rec.default,
    };
  }

  /** Creates the label when the repository lacks it (as adding an unknown label to an issue does). */
  ensureLabel(name: string, color = 'ededed', description: string | null = null): LabelRecord {
    const key = name.toLowerCase();
    let l = this.labels.get(key);
    if (!l) {
      const id = this.newId('label');
      l = { id, node_id: nodeId('Label', id), name, color, description, default: false };
      this.labels.set(key, l);
    }
    return l;
  }

  issue(rec: IssueRecord): Obj {
    const api = `${this.repoApi}/issues/${rec.number}`;
    const comments = this.comments.filter((c) => c.issue_number === rec.number).length;
    const out: Obj = {
      id: rec.id,
      node_id: rec.node_id,
      url: api,
      repository_url: this.repoApi,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: `${this.repoHtml}/${rec.pull ? 'pull' : 'issues'}/${rec.number}`,
      number: rec.number,
      state: rec.state,
      state_reason: rec.state_reason,
      title: rec.title,
      body: rec.body,
      user: this.user(rec.user),
      labels: rec.labels.map((n) => this.label(n)),
      assignee: rec.assignees[0] ? this.user(rec.assignees[0]) : null,
      assignees: rec.assignees.map((a) => this.user(a)),
      milestone: null,
      locked: rec.locked,
      active_lock_reason: null,
      comments,
      closed_at: rec.closed_at,
      created_at: rec.created_at,
      updated_at: rec.updated_at,
      closed_by: rec.closed_by ? this.user(rec.closed_by) : null,
      author_association: rec.user === this.owner ? 'OWNER' : rec.user.endsWith('[bot]') ? 'NONE' : 'COLLABORATOR',
      reactions: { url: `${api}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 },
      timeline_url: `${api}/timeline`,
      performed_via_github_app: null,
    };
    if (rec.pull) {
      const p = `${this.repoApi}/pulls/${rec.number}`;
      out['pull_request'] = { url: p, html_url: `${this.repoHtml}/pull/${rec.number}`, diff_url: `${this.repoHtml}/pull/${rec.number}.diff`, patch_url: `${this.repoHtml}/pull/${rec.number}.patch`, merged_at: rec.pull.merged_at };
      out['draft'] = rec.pull.draft;
    }
    return out;
  }

  /** The head and base shas: live for an open pull request, frozen for a closed one. */
  async pullShas(rec: IssueRecord): Promise<{ head: string | undefined; base: string | undefined }> {
    const p = rec.pull;
    if (!p) return { head: undefined, base: undefined };
    if (rec.state === 'closed' && p.headSha) return { head: p.headSha, base: p.baseSha };
    return { head: (await this.git.resolve(`refs/heads/${p.head}`)) ?? p.headSha, base: (await this.git.resolve(`refs/heads/${p.base}`)) ?? p.baseSha };
  }

  /** GitHub closes an open pull request whose head branch was deleted. */
  async refreshPull(rec: IssueRecord): Promise<void> {
    if (!rec.pull || rec.state !== 'open') return;
    const head = await this.git.resolve(`refs/heads/${rec.pull.head}`);
    if (!head) {
      rec.state = 'closed';
      rec.closed_at = isoNow();
      rec.updated_at = rec.closed_at;
    } else rec.pull.headSha = head;
    const base = await this.git.resolve(`refs/heads/${rec.pull.base}`);
    if (base) rec.pull.baseSha = base;
  }

  async pull(rec: IssueRecord, detail: boolean): Promise<Obj> {
    const p = rec.pull;
    if (!p) throw new Error(`#${rec.number} is not a pull request`);
    const shas = await this.pullShas(rec);
    const api = `${this.repoApi}/pulls/${rec.number}`;
    const html = `${this.repoHtml}/pull/${rec.number}`;
    const side = (ref: string, sha: string | undefined) => ({ label: `${this.owner}:${ref}`, ref, sha: sha ?? '0000000000000000000000000000000000000000', user: this.user(this.owner), repo: this.repository() });
    const out: Obj = {
      url: api,
      id: rec.id + 500_000_000,
      node_id: nodeId('PullRequest', rec.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${this.repoApi}/issues/${rec.number}`,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      review_comment_url: `${this.repoApi}/pulls/comments{/number}`,
      comments_url: `${this.repoApi}/issues/${rec.number}/comments`,
      statuses_url: `${this.repoApi}/statuses/${shas.head ?? ''}`,
      number: rec.number,
      state: rec.state,
      locked: rec.locked,
      title: rec.title,
      user: this.user(rec.user),
      body: rec.body,
      // pull-request-simple declares a label's description as a plain string (no null)
      labels: rec.labels.map((n) => ({ ...this.label(n), description: this.label(n)['description'] ?? '' })),
      milestone: null,
      active_lock_reason: null,
      created_at: rec.created_at,
      updated_at: rec.updated_at,
      closed_at: rec.closed_at,
      merged_at: p.merged_at,
      merge_commit_sha: p.merge_commit_sha,
      assignee: rec.assignees[0] ? this.user(rec.assignees[0]) : null,
      assignees: rec.assignees.map((a) => this.user(a)),
      requested_reviewers: [],
      requested_teams: [],
      head: side(p.head, shas.head),
      base: side(p.base, shas.base),
      _links: {
        self: { href: api },
        html: { href: html },
        issue: { href: `${this.repoApi}/issues/${rec.number}` },
        comments: { href: `${this.repoApi}/issues/${rec.number}/comments` },
        review_comments: { href: `${api}/comments` },
        review_comment: { href: `${this.repoApi}/pulls/comments{/number}` },
        commits: { href: `${api}/commits` },
        statuses: { href: `${this.repoApi}/statuses/${shas.head ?? ''}` },
      },
      author_association: rec.user === this.owner ? 'OWNER' : rec.user.endsWith('[bot]') ? 'NONE' : 'COLLABORATOR',
      auto_merge: null,
      draft: p.draft,
    };
    if (!detail) return out;
    let mergeable: boolean | null = null;
    let mergeableState = 'unknown';
    let commits = 0;
    let files: FileChange[] = [];
    if (shas.head && shas.base) {
      const mergeBase = await this.git.mergeBase(shas.base, shas.head);
      commits = (await this.git.revList(shas.head, shas.base)).length;
      files = await this.git.diffFiles(mergeBase, shas.head);
      if (rec.state === 'open') {
        const tree = await this.git.tryGit(['merge-tree', '--write-tree', '--no-messages', shas.base, shas.head]);
        mergeable = tree.code === 0;
        const rule = this.protections.get(p.base);
        const approvals = new Set(p.reviews.filter((r) => r.state === 'APPROVED').map((r) => r.user)).size;
        mergeableState = !mergeable ? 'dirty' : rule && approvals < rule.requiredApprovingReviewCount ? 'blocked' : 'clean';
      }
    }
    return {
      ...out,
      merged: p.merged,
      mergeable,
      rebaseable: mergeable,
      mergeable_state: mergeableState,
      merged_by: p.merged_by ? this.user(p.merged_by) : null,
      comments: this.comments.filter((c) => c.issue_number === rec.number).length,
      review_comments: 0,
      maintainer_can_modify: p.maintainer_can_modify,
      commits,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changed_files: files.length,
    };
  }

  comment(c: CommentRecord): Obj {
    return {
      id: c.id,
      node_id: c.node_id,
      url: `${this.repoApi}/issues/comments/${c.id}`,
      html_url: `${this.repoHtml}/issues/${c.issue_number}#issuecomment-${c.id}`,
      body: c.body,
      user: this.user(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${this.repoApi}/issues/${c.issue_number}`,
      author_association: c.user === this.owner ? 'OWNER' : 'NONE',
      performed_via_github_app: null,
    };
  }

  app(): Obj {
    return {
      id: ACTIONS_APP.id,
      slug: ACTIONS_APP.slug,
      node_id: ACTIONS_APP.node_id,
      client_id: 'Iv1.05c79e9ad1f6bdfa',
      owner: { ...this.user('github'), type: 'Organization' },
      name: ACTIONS_APP.name,
      description: 'Automate your workflow from idea to production',
      external_url: 'https://help.github.com/en/actions',
      html_url: `${this.serverUrl}/apps/github-actions`,
      created_at: '2018-07-30T09:30:17Z',
      updated_at: '2024-04-10T20:33:16Z',
      permissions: { actions: 'write', checks: 'write', contents: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', statuses: 'write' },
      events: ['check_run', 'check_suite', 'pull_request', 'push', 'workflow_dispatch'],
    };
  }

  checkRun(c: CheckRunRecord): Obj {
    const url = `${this.repoApi}/check-runs/${c.id}`;
    const pulls = [...this.issues.values()].filter((i) => i.pull && i.state === 'open' && i.pull.headSha === c.head_sha);
    return {
      id: c.id,
      head_sha: c.head_sha,
      node_id: c.node_id,
      external_id: c.external_id,
      url,
      html_url: `${this.repoHtml}/runs/${c.id}`,
      details_url: c.details_url,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.started_at,
      completed_at: c.completed_at,
      output: { title: c.output.title, summary: c.output.summary, text: c.output.text, annotations_count: c.annotations.length, annotations_url: `${url}/annotations` },
      name: c.name,
      check_suite: { id: c.check_suite_id },
      app: this.app(),
      pull_requests: pulls.map((i) => ({
        id: i.id + 500_000_000,
        number: i.number,
        url: `${this.repoApi}/pulls/${i.number}`,
        head: { ref: i.pull?.head ?? '', sha: i.pull?.headSha ?? '', repo: { id: this.repoId, url: this.repoApi, name: this.repo } },
        base: { ref: i.pull?.base ?? '', sha: i.pull?.baseSha ?? '', repo: { id: this.repoId, url: this.repoApi, name: this.repo } },
      })),
    };
  }

  workflowRun(r: WorkflowRunRecord): Obj {
    const url = `${this.repoApi}/actions/runs/${r.id}`;
    const minimal = { ...this.repository() };
    return {
      id: r.id,
      name: r.name,
      node_id: nodeId('WorkflowRun', r.id),
      check_suite_id: r.id + 1,
      check_suite_node_id: nodeId('CheckSuite', r.id + 1),
      head_branch: r.head_branch,
      head_sha: r.head_sha,
      path: r.path,
      display_title: r.name,
      run_number: r.run_number,
      run_attempt: r.run_attempt,
      event: r.event,
      status: r.status,
      conclusion: r.conclusion,
      workflow_id: r.workflow_id,
      url,
      html_url: `${this.repoHtml}/actions/runs/${r.id}`,
      pull_requests: [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      run_started_at: r.created_at,
      actor: this.user(r.actor),
      triggering_actor: this.user(r.actor),
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: `${this.repoApi}/check-suites/${r.id + 1}`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      previous_attempt_url: null,
      workflow_url: `${this.repoApi}/actions/workflows/${r.workflow_id}`,
      head_commit: null,
      repository: minimal,
      head_repository: minimal,
      referenced_workflows: [],
    };
  }

  artifact(a: ArtifactRecord): Obj {
    const url = `${this.repoApi}/actions/artifacts/${a.id}`;
    const run = this.runs.get(a.runId);
    return {
      id: a.id,
      node_id: a.node_id,
      name: a.name,
      size_in_bytes: a.size,
      url,
      archive_download_url: `${url}/zip`,
      expired: Date.parse(a.expires_at) < Date.now(),
      created_at: a.created_at,
      expires_at: a.expires_at,
      updated_at: a.updated_at,
      digest: a.digest,
      workflow_run: { id: a.runId, repository_id: this.repoId, head_repository_id: this.repoId, head_branch: run?.head_branch ?? this.options.defaultBranch, head_sha: run?.head_sha ?? '' },
    };
  }

  gitCommit(c: CommitInfo): Obj {
    return {
      sha: c.sha,
      node_id: nodeId('Commit', parseInt(c.sha.slice(0, 7), 16)),
      url: `${this.repoApi}/git/commits/${c.sha}`,
      html_url: `${this.repoHtml}/commit/${c.sha}`,
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${this.repoApi}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({ sha: p, url: `${this.repoApi}/git/commits/${p}`, html_url: `${this.repoHtml}/commit/${p}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  /** The REST "commit" object (repos/get-commit, list-commits, compare). */
  commit(c: CommitInfo, files?: FileChange[]): Obj {
    const out: Obj = {
      url: `${this.repoApi}/commits/${c.sha}`,
      sha: c.sha,
      node_id: nodeId('Commit', parseInt(c.sha.slice(0, 7), 16)),
      html_url: `${this.repoHtml}/commit/${c.sha}`,
      comments_url: `${this.repoApi}/commits/${c.sha}/comments`,
      commit: {
        url: `${this.repoApi}/git/commits/${c.sha}`,
        author: c.author,
        committer: c.committer,
        message: c.message,
        comment_count: 0,
        tree: { sha: c.tree, url: `${this.repoApi}/git/trees/${c.tree}` },
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      author: null,
      committer: null,
      parents: c.parents.map((p) => ({ sha: p, url: `${this.repoApi}/commits/${p}`, html_url: `${this.repoHtml}/commit/${p}` })),
    };
    if (files) {
      out['files'] = files.map((f) => this.diffEntry(f, c.sha));
      const additions = files.reduce((n, f) => n + f.additions, 0);
      const deletions = files.reduce((n, f) => n + f.deletions, 0);
      out['stats'] = { additions, deletions, total: additions + deletions };
    }
    return out;
  }

  diffEntry(f: FileChange, ref: string): Obj {
    const path = f.filename.split('/').map(encodeURIComponent).join('/');
    return {
      sha: createHash('sha1').update(`${ref}:${f.filename}`).digest('hex'),
      filename: f.filename,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.changes,
      blob_url: `${this.repoHtml}/blob/${ref}/${path}`,
      raw_url: `${this.repoHtml}/raw/${ref}/${path}`,
      contents_url: `${this.repoApi}/contents/${path}?ref=${ref}`,
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
    };
  }

  gitRef(ref: string, sha: string): Obj {
    return { ref, node_id: nodeId('Ref', parseInt(sha.slice(0, 7), 16)), url: `${this.repoApi}/git/${ref}`, object: { type: 'commit', sha, url: `${this.repoApi}/git/commits/${sha}` } };
  }
}
