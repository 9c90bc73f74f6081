/**
 * The GitHub double: GitHub's REST API (as GitHub Enterprise Server lays it out, under /api/v3),
 * git's smart HTTP protocol and the Actions artifact service, on one plain-HTTP listener on
 * 127.0.0.1, over a real bare git repository. See README.md in test/github for the API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOB_PREFIX, TWIRP_PREFIX, unzip, type ArtifactRecord } from './artifacts.js';
import { ACTIONS_BOT, DoubleCore, isoNow, type CoreOptions } from './core.js';
import { BareRepo, serveGitHttp } from './git.js';
import { checkRequest, checkResponse, fill, loadSpec, matchOperation, responseSchema } from './openapi.js';
import { addReview, error, handlers, type HandlerResult } from './rest.js';
import type {
  CheckRunRecord,
  CommentRecord,
  FailureRule,
  IssueRecord,
  LabelRecord,
  Permission,
  RequestLogEntry,
  Violation,
  WorkflowRunRecord,
} from './state.js';

export interface GitHubDoubleOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Files of the first commit on the default branch (default: a README.md). `{}`: an empty repository. */
  initialFiles?: Record<string, string>;
  /** The token requests must carry (default: a random `ghs_…`). */
  token?: string;
  /** Whose token it is (default github-actions[bot], as GITHUB_TOKEN). */
  tokenUser?: string;
  private?: boolean;
  /** Repository setting "Automatically delete head branches" (default false). */
  deleteBranchOnMerge?: boolean;
  /** default ['merge', 'squash', 'rebase'] */
  allowedMergeMethods?: ('merge' | 'squash' | 'rebase')[];
  /** Check requests against the OpenAPI description (default true). */
  validateRequests?: boolean;
  /** Check the double's own responses against the description (default true). */
  validateResponses?: boolean;
  /** Collaborators and their role (the owner is admin). */
  collaborators?: Record<string, Permission>;
  /** Where the bare repository lives (default: a new temporary directory, removed by close()). */
  dir?: string;
  port?: number;
  log?: (line: string) => void;
}

export interface ProtectOptions {
  /** approving reviews a merge needs (default 1) */
  requiredApprovingReviewCount?: number;
  /** refuse `git push` and ref updates to the branch (default true) */
  blockPushes?: boolean;
}

export type FailureSpec = Omit<FailureRule, 'id' | 'times'> & { times?: number };

export interface CheckRunView extends CheckRunRecord {}

export interface PullView {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  head: string;
  base: string;
  headSha: string | undefined;
  baseSha: string | undefined;
  merged: boolean;
  merge_commit_sha: string | null;
  labels: string[];
  user: string;
  draft: boolean;
  approvals: number;
}

export interface IssueView {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  isPullRequest: boolean;
  comments: CommentRecord[];
}

export interface ArtifactView {
  id: number;
  name: string;
  runId: number;
  size: number;
  digest: string | null;
  url: string;
  archiveDownloadUrl: string;
  /** the uploaded bytes (the zip) */
  content: Buffer;
  /** the zip's files, path → bytes (raw upload with skipArchive: one entry, the file name) */
  files(): Map<string, Buffer>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/**
 * A running GitHub double. Endpoints: `apiUrl` (GITHUB_API_URL), `serverUrl` (GITHUB_SERVER_URL),
 * `remoteUrl` (git over smart HTTP, credentials included), `resultsUrl` (ACTIONS_RESULTS_URL).
 */
export class GitHubDouble {
  /** @internal */
  readonly core: DoubleCore;
  private server: Server | undefined;
  private failureSeq = 1;
  private ownsDir: string | undefined;
  readonly token: string;
  readonly tokenUser: string;
  private readonly validateRequests: boolean;
  private readonly logLine: (line: string) => void;

  /** @internal use startGitHubDouble() */
  constructor(core: DoubleCore, options: GitHubDoubleOptions, ownsDir: string | undefined) {
    this.core = core;
    this.token = options.token ?? `ghs_${randomBytes(18).toString('base64url')}`;
    this.tokenUser = options.tokenUser ?? ACTIONS_BOT.login;
    this.validateRequests = options.validateRequests ?? true;
    this.logLine = options.log ?? (() => undefined);
    this.ownsDir = ownsDir;
  }

  // ----------------------------------------------------------------------------------- endpoints

  get owner(): string {
    return this.core.owner;
  }
  get repo(): string {
    return this.core.repo;
  }
  /** "owner/repo" (GITHUB_REPOSITORY) */
  get repository(): string {
    return this.core.fullName;
  }
  get defaultBranch(): string {
    return this.core.options.defaultBranch;
  }
  /** GITHUB_API_URL, e.g. http://127.0.0.1:41234/api/v3 (GHES layout: the API below a path). */
  get apiUrl(): string {
    return this.core.apiUrl;
  }
  /**
   * GITHUB_SERVER_URL: http://github.localhost:<port>. Used for links (html_url) only; the name
   * need not resolve. @actions/artifact refuses to upload on GHES and treats `*.localhost` as
   * github.com, which is why it is not 127.0.0.1.
   */
  get serverUrl(): string {
    return this.core.serverUrl;
  }
  /** The listener's origin, http://127.0.0.1:<port> (ACTIONS_RESULTS_URL). */
  get origin(): string {
    return this.core.origin;
  }
  /** ACTIONS_RESULTS_URL (the artifact service: Twirp + blob storage). */
  get resultsUrl(): string {
    return `${this.core.origin}/`;
  }
  /** git remote over smart HTTP, with the token as password (as actions/checkout authenticates). */
  get remoteUrl(): string {
    return `http://x-access-token:${this.token}@127.0.0.1:${new URL(this.core.origin).port}/${this.core.fullName}.git`;
  }
  /** The same remote without credentials (git asks: 401 with WWW-Authenticate: Basic). */
  get remoteUrlWithoutCredentials(): string {
    return `${this.core.origin}/${this.core.fullName}.git`;
  }
  /** The bare repository on disk (also usable as a `file://` remote; no hooks skipped). */
  get bareRepoPath(): string {
    return this.core.git.dir;
  }

  // ---------------------------------------------------------------------------------- inspection

  /** Every request, in order (REST, git, Twirp, blob). */
  get requests(): readonly RequestLogEntry[] {
    return this.core.requests;
  }
  /** REST requests that did not fit GitHub's OpenAPI description (each was answered 422). */
  get violations(): readonly Violation[] {
    return this.core.violations;
  }
  /** Responses of the double that did not fit the description: a bug in the double. */
  get responseViolations(): readonly Violation[] {
    return this.core.responseViolations;
  }
  /** Requests for operations GitHub has but the double does not implement (answered 501). */
  get unimplemented(): readonly Violation[] {
    return this.core.unimplemented;
  }
  /** Violations, response violations and unimplemented operations together (empty when all is well). */
  problems(): Violation[] {
    return [...this.core.violations, ...this.core.responseViolations, ...this.core.unimplemented];
  }
  /** REST requests of one operation (e.g. 'pulls/create'). */
  calls(operationId: string): RequestLogEntry[] {
    return this.core.requests.filter((r) => r.operationId === operationId);
  }

  pulls(): PullView[] {
    return [...this.core.issues.values()]
      .filter((i) => i.pull)
      .map((i) => {
        const p = i.pull as NonNullable<IssueRecord['pull']>;
        return {
          number: i.number,
          title: i.title,
          body: i.body,
          state: i.state,
          head: p.head,
          base: p.base,
          headSha: p.headSha,
          baseSha: p.baseSha,
          merged: p.merged,
          merge_commit_sha: p.merge_commit_sha,
          labels: [...i.labels],
          user: i.user,
          draft: p.draft,
          approvals: new Set(p.reviews.filter((r) => r.state === 'APPROVED').map((r) => r.user)).size,
        };
      });
  }
  pull(number: number): PullView | undefined {
    return this.pulls().find((p) => p.number === number);
  }
  /** Issues (not pull requests unless includePulls). */
  issues(options: { includePulls?: boolean } = {}): IssueView[] {
    return [...this.core.issues.values()]
      .filter((i) => options.includePulls || !i.pull)
      .map((i) => ({
        number: i.number,
        title: i.title,
        body: i.body,
        state: i.state,
        labels: [...i.labels],
        user: i.user,
        isPullRequest: Boolean(i.pull),
        comments: this.core.comments.filter((c) => c.issue_number === i.number),
      }));
  }
  issue(number: number): IssueView | undefined {
    return this.issues({ includePulls: true }).find((i) => i.number === number);
  }
  labels(): LabelRecord[] {
    return [...this.core.labels.values()];
  }
  comments(issueNumber?: number): CommentRecord[] {
    return this.core.comments.filter((c) => issueNumber === undefined || c.issue_number === issueNumber);
  }
  /** Check runs, with their actions and the history of create/update bodies. */
  checkRuns(filter: { name?: string; headSha?: string } = {}): CheckRunView[] {
    return this.core.checkRuns.filter((c) => (!filter.name || c.name === filter.name) && (!filter.headSha || c.head_sha === filter.headSha));
  }
  workflowRuns(): WorkflowRunRecord[] {
    return [...this.core.runs.values()];
  }
  /** Finalized artifacts. */
  artifacts(filter: { runId?: number; name?: string } = {}): ArtifactView[] {
    return this.core.artifacts.artifacts
      .filter((a) => a.finalized && (filter.runId === undefined || a.runId === filter.runId) && (!filter.name || a.name === filter.name))
      .map((a) => this.artifactView(a));
  }
  private artifactView(a: ArtifactRecord): ArtifactView {
    const content = a.content ?? Buffer.alloc(0);
    const url = `${this.core.repoApi}/actions/artifacts/${a.id}`;
    return {
      id: a.id,
      name: a.name,
      runId: a.runId,
      size: a.size,
      digest: a.digest,
      url,
      archiveDownloadUrl: `${url}/zip`,
      content,
      files: () => (a.mimeType === 'application/zip' ? unzip(content) : new Map([[a.name, content]])),
    };
  }

  /** Refs of the bare repository: 'refs/heads/main' → sha. */
  refs(): Promise<Record<string, string>> {
    return this.core.git.refs();
  }
  /** Branches: name → sha. */
  branches(): Promise<Record<string, string>> {
    return this.core.git.branches();
  }
  /** A branch's (or any ref's) sha, or undefined. */
  resolve(ref: string): Promise<string | undefined> {
    return this.core.git.resolve(ref);
  }
  /** A file at a ref. */
  readFile(ref: string, path: string): Promise<string | undefined> {
    return this.core.git.readFile(ref, path);
  }
  /** Every file at a ref. */
  readTree(ref: string): Promise<Record<string, string>> {
    return this.core.git.readTree(ref);
  }
  /** The commit's parents, message, author. */
  commit(sha: string): ReturnType<BareRepo['commit']> {
    return this.core.git.commit(sha);
  }
  /** Commits on `head` not on `base`, oldest first. */
  log(head: string, base?: string): Promise<string[]> {
    return this.core.git.revList(head, base);
  }
  /** Refs updated by `git push` (from the post-receive hook). */
  pushes(): { ref: string; before: string; after: string }[] {
    return this.core.git.pushes();
  }

  // ------------------------------------------------------------------------------------- control

  /** Commits files to a branch as someone else pushing would (`null` deletes a file). Returns the sha. */
  commitFiles(branch: string, files: Record<string, string | null>, message = 'Update files', options: { from?: string; author?: { name: string; email: string } } = {}): Promise<string> {
    return this.core.git.commitFiles(branch, files, message, options);
  }

  /** Branch protection: merges need approving reviews (405 otherwise); pushes are refused (GH006). */
  protectBranch(branch: string, options: ProtectOptions = {}): void {
    this.core.protections.set(branch, { requiredApprovingReviewCount: options.requiredApprovingReviewCount ?? 1, blockPushes: options.blockPushes ?? true });
    this.syncProtectedRefs();
  }
  unprotectBranch(branch: string): void {
    this.core.protections.delete(branch);
    this.syncProtectedRefs();
  }
  private syncProtectedRefs(): void {
    this.core.git.setProtectedRefs([...this.core.protections.entries()].filter(([, r]) => r.blockPushes).map(([b]) => `refs/heads/${b}`));
  }

  /** A reviewer approves a pull request (counts towards required reviews). */
  async approvePull(number: number, reviewer = 'reviewer'): Promise<void> {
    const rec = this.core.issues.get(number);
    if (!rec?.pull) throw new Error(`#${number} is not a pull request`);
    await addReview(this.core, rec, reviewer, 'APPROVED');
  }

  /** A person merges the pull request in the web UI (no API request is logged). Returns the merge commit. */
  async mergePullAsUser(number: number, user = 'reviewer', method: 'merge' | 'squash' | 'rebase' = 'merge'): Promise<string> {
    const result = await this.dispatchInternal('pulls/merge', { pull_number: String(number) }, { merge_method: method }, user);
    if (result.status !== 200) throw new Error(`merge of #${number} failed: ${JSON.stringify(result.body)}`);
    return (result.body as { sha: string }).sha;
  }

  /** A person closes the pull request (optionally adding labels first, e.g. tenant-sync:revert). */
  async closePullAsUser(number: number, options: { user?: string; labels?: string[] } = {}): Promise<void> {
    const rec = this.core.issues.get(number);
    if (!rec?.pull) throw new Error(`#${number} is not a pull request`);
    for (const l of options.labels ?? []) if (!rec.labels.includes(this.core.ensureLabel(l).name)) rec.labels.push(this.core.ensureLabel(l).name);
    await this.core.refreshPull(rec);
    rec.state = 'closed';
    rec.closed_at = isoNow();
    rec.closed_by = options.user ?? 'reviewer';
    rec.updated_at = rec.closed_at;
  }

  /** A collaborator's role (GET …/collaborators/{username}/permission). */
  setCollaborator(login: string, permission: Permission): void {
    this.core.collaborators.set(login, permission);
  }

  /**
   * The next `times` (default 1) matching REST requests fail with `status` and GitHub's error body
   * (`message`, default the status text) — e.g. `{ operationId: 'git/update-ref', status: 409,
   * message: 'Reference update failed' }`. Returns an id for removeFailure().
   */
  failNext(spec: FailureSpec): number {
    const id = this.failureSeq++;
    this.core.failures.push({ ...spec, id, times: spec.times ?? 1 });
    return id;
  }
  removeFailure(id: number): void {
    this.core.failures = this.core.failures.filter((f) => f.id !== id);
  }
  /** The next `git push` is refused by the pre-receive hook with this message. */
  rejectNextPush(message = 'GH001: Large files detected.'): void {
    this.core.git.rejectNextPush(message);
  }

  /** Registers a workflow run (GET/cancel …/actions/runs/{id}); events.runnerEnv() does it for you. */
  addWorkflowRun(run: Partial<WorkflowRunRecord> & { head_sha: string }): WorkflowRunRecord {
    const id = run.id ?? this.core.newId('run');
    const now = isoNow();
    const rec: WorkflowRunRecord = {
      id,
      name: 'tenant-sync',
      run_number: this.core.runs.size + 1,
      run_attempt: 1,
      event: 'workflow_dispatch',
      head_branch: this.core.options.defaultBranch,
      status: 'in_progress',
      conclusion: null,
      path: '.github/workflows/tenant-sync.yml',
      workflow_id: 161335,
      created_at: now,
      updated_at: now,
      actor: this.core.owner,
      ...run,
    };
    this.core.runs.set(id, rec);
    return rec;
  }

  /** A runtime token for the artifact service (ACTIONS_RUNTIME_TOKEN) bound to a workflow run. */
  mintRuntimeToken(runId: number): string {
    return this.core.artifacts.mintRuntimeToken(runId).token;
  }

  clearLog(): void {
    this.core.requests.length = 0;
    this.core.violations.length = 0;
    this.core.responseViolations.length = 0;
    this.core.unimplemented.length = 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.ownsDir) rmSync(this.ownsDir, { recursive: true, force: true });
    this.ownsDir = undefined;
  }

  // -------------------------------------------------------------------------------------- server

  /** @internal */
  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.logLine(`internal error: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `double: ${(e as Error).message}` }));
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const actual = (server.address() as AddressInfo).port;
    this.core.origin = `http://127.0.0.1:${actual}`;
    this.core.apiUrl = `${this.core.origin}/api/v3`;
    this.core.serverUrl = `http://github.localhost:${actual}`;
  }

  private record(entry: Omit<RequestLogEntry, 'time'>): void {
    this.core.requests.push({ time: new Date().toISOString(), ...entry });
    this.logLine(`${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ''} → ${entry.status}${entry.operationId ? ` (${entry.operationId})` : ''}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.core.origin);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const query = url.search.slice(1);
    const gitMatch = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(path);
    if (gitMatch) {
      const [, owner = '', repo = '', service = ''] = gitMatch;
      if (owner.toLowerCase() !== this.core.owner.toLowerCase() || repo.toLowerCase() !== this.core.repo.toLowerCase()) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Repository not found.\n');
        this.record({ method, path, query, kind: 'git', status: 404 });
        return;
      }
      const auth = req.headers.authorization ?? '';
      const basic = /^Basic\s+(.+)$/i.exec(auth);
      const [user, password] = basic ? Buffer.from(basic[1] ?? '', 'base64').toString('utf8').split(':') : [];
      const bearer = /^(?:Bearer|token)\s+(.+)$/i.exec(auth)?.[1];
      if (password !== this.token && bearer !== this.token) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
        res.end(auth ? 'remote: Invalid username or token. Password authentication is not supported for Git operations.\n' : '');
        this.record({ method, path, query, kind: 'git', status: 401 });
        return;
      }
      await serveGitHttp(this.core.git, req, res, `/${this.core.owner}/${this.core.repo}.git/${service}`, query, user || 'x-access-token');
      this.record({ method, path, query, kind: 'git', status: res.statusCode });
      return;
    }
    if (path.startsWith(TWIRP_PREFIX)) {
      const body = await readBody(req);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      await this.core.artifacts.handleTwirp(req, res, path.slice(TWIRP_PREFIX.length), body);
      this.record({ method, path, query, kind: 'artifacts', status: res.statusCode, body: parsed });
      return;
    }
    if (path.startsWith(BLOB_PREFIX)) {
      const body = await readBody(req);
      await this.core.artifacts.handleBlob(req, res, url, body);
      this.record({ method, path, query: query.replace(/sig=[^&]*/, 'sig=***'), kind: 'blob', status: res.statusCode });
      return;
    }
    if (path === '/api/v3' || path.startsWith('/api/v3/')) {
      await this.handleRest(req, res, url, path.slice('/api/v3'.length) || '/');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
    this.record({ method, path, query, kind: 'other', status: 404 });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const common: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
    };
    if (body === undefined || status === 204 || status === 302) {
      res.writeHead(status, { ...common, ...headers });
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { ...common, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private async handleRest(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const query = url.search.slice(1);
    const raw = await readBody(req);
    const entry = { method, path, query, kind: 'rest' as const };
    const auth = req.headers.authorization;
    const presented = /^(?:token|bearer)\s+(.+)$/i.exec(auth ?? '')?.[1];
    if (!auth || presented !== this.token) {
      const body = { message: auth ? 'Bad credentials' : 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' };
      this.send(res, 401, body);
      this.record({ ...entry, status: 401, response: body });
      return;
    }
    let body: unknown;
    const hasBody = raw.length > 0;
    if (hasBody) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        const b = { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest', status: '400' };
        this.send(res, 400, b);
        this.record({ ...entry, status: 400, response: b });
        this.core.violations.push({ method, path, errors: ['The body is not JSON.'] });
        return;
      }
    }
    const matched = matchOperation(method, path);
    if (!matched || 'methodNotAllowed' in matched) {
      const b = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
      this.send(res, 404, b);
      this.record({ ...entry, status: 404, body, response: b });
      this.core.violations.push({ method, path, errors: [`${method} ${path} is not an operation of GitHub's REST API.`], body });
      return;
    }
    const { operation, params } = matched;
    const logged = { ...entry, operationId: operation.operationId, body };
    const ctxDocs = { docsUrl: operation.docsUrl };
    // Repository-scoped operations answer 404 for any other repository.
    if (params['owner'] !== undefined && params['repo'] !== undefined && (params['owner'].toLowerCase() !== this.core.owner.toLowerCase() || params['repo'].toLowerCase() !== this.core.repo.toLowerCase())) {
      const r = error(ctxDocs, 404, 'Not Found');
      this.send(res, r.status, r.body);
      this.record({ ...logged, status: r.status, response: r.body });
      return;
    }
    const check = checkRequest(operation, params, url.searchParams, body, hasBody);
    if (this.validateRequests && check.errors.length) {
      this.core.violations.push({ method, path, operationId: operation.operationId, errors: check.errors, body });
      const r = error(ctxDocs, 422, `Invalid request.\n\n${check.errors.join('\n')}`);
      this.send(res, r.status, r.body);
      this.record({ ...logged, status: r.status, response: r.body });
      return;
    }
    const failure = this.core.failures.find(
      (f) => f.times > 0 && (!f.operationId || f.operationId === operation.operationId) && (!f.method || f.method.toUpperCase() === method) && (!f.pathIncludes || path.includes(f.pathIncludes)),
    );
    if (failure) {
      failure.times--;
      if (failure.times <= 0) this.core.failures = this.core.failures.filter((f) => f !== failure);
      const b = failure.body ?? { message: failure.message ?? STATUS_TEXT[failure.status] ?? 'Error', documentation_url: operation.docsUrl, status: String(failure.status) };
      this.send(res, failure.status, b, failure.headers);
      this.record({ ...logged, status: failure.status, response: b });
      return;
    }
    const handler = handlers[operation.operationId];
    if (!handler) {
      this.core.unimplemented.push({ method, path, operationId: operation.operationId, errors: [`The double does not implement ${operation.operationId}.`], body });
      const b = { message: `The GitHub double does not implement ${operation.operationId}.`, documentation_url: operation.docsUrl, status: '501' };
      this.send(res, 501, b);
      this.record({ ...logged, status: 501, response: b });
      return;
    }
    const result = await handler({ core: this.core, params, query: check.query, body: (body ?? {}) as Record<string, unknown>, actor: this.tokenUser, docsUrl: operation.docsUrl });
    const out = this.finish(operation.operationId, result, url);
    this.send(res, out.status, out.body, out.headers);
    this.record({ ...logged, status: out.status, response: out.body });
  }

  /** Completes a 2xx body from the response schema, checks it, and pages arrays (Link header). */
  private finish(operationId: string, result: HandlerResult, url: URL): HandlerResult {
    const op = loadSpec().byId.get(operationId);
    if (!op) return result;
    let body = result.body;
    const headers = { ...result.headers };
    if (result.status < 300 && body !== undefined) {
      const schema = responseSchema(op, result.status);
      if (schema) body = fill(schema, body, { urlBase: `${this.core.serverUrl}/_`, now: isoNow() });
    }
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const pageOf = (items: unknown[]): unknown[] => {
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const link = (p: number, rel: string) => {
        const u = new URL(url.toString().replace(this.core.origin, this.core.origin));
        u.searchParams.set('per_page', String(perPage));
        u.searchParams.set('page', String(p));
        return `<${this.core.origin}${u.pathname}${u.search}>; rel="${rel}"`;
      };
      const links: string[] = [];
      if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
      if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
      if (links.length) headers['link'] = links.join(', ');
      return items.slice((page - 1) * perPage, page * perPage);
    };
    if (result.paginate && Array.isArray(body)) body = pageOf(body);
    if (result.paginateKey && body && typeof body === 'object') {
      const o = body as Record<string, unknown>;
      const items = o[result.paginateKey];
      if (Array.isArray(items)) body = { ...o, [result.paginateKey]: pageOf(items) };
    }
    if (this.core.options.validateResponses && result.status < 300) {
      const errors = checkResponse(op, result.status, body);
      if (errors.length) this.core.responseViolations.push({ method: op.method, path: url.pathname, operationId, errors, body });
    }
    return { ...result, body, headers };
  }

  /** Runs a handler as `user` without HTTP (the web UI's actions: merge button, …). */
  private async dispatchInternal(operationId: string, params: Record<string, string>, body: Record<string, unknown>, user: string): Promise<HandlerResult> {
    const handler = handlers[operationId];
    const op = loadSpec().byId.get(operationId);
    if (!handler || !op) throw new Error(`no handler ${operationId}`);
    return handler({ core: this.core, params: { owner: this.core.owner, repo: this.core.repo, ...params }, query: {}, body, actor: user, docsUrl: op.docsUrl });
  }
}

/** Starts the double: a bare repository with one commit on the default branch, and the listener. */
export async function startGitHubDouble(options: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  loadSpec();
  const ownsDir = options.dir ? undefined : mkdtempSync(join(tmpdir(), 'gh-double-'));
  const root = options.dir ?? (ownsDir as string);
  const coreOptions: CoreOptions = {
    owner: options.owner ?? 'contoso',
    repo: options.repo ?? 'tenant-config',
    defaultBranch: options.defaultBranch ?? 'main',
    token: options.token ?? '',
    private: options.private ?? true,
    deleteBranchOnMerge: options.deleteBranchOnMerge ?? false,
    allowedMergeMethods: options.allowedMergeMethods ?? ['merge', 'squash', 'rebase'],
    validateResponses: options.validateResponses ?? true,
  };
  const git = new BareRepo(root, coreOptions.owner, coreOptions.repo);
  await git.init(coreOptions.defaultBranch, options.initialFiles ?? { 'README.md': `# ${coreOptions.repo}\n` });
  const core = new DoubleCore(coreOptions, git);
  for (const [login, permission] of Object.entries(options.collaborators ?? {})) core.collaborators.set(login, permission);
  const double = new GitHubDouble(core, options, ownsDir);
  await double.listen(options.port ?? 0);
  return double;
}
