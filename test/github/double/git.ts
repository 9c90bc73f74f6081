/**
 * The double's repository: a real bare git repository, read and written with the git CLI
 * (plumbing only, no work tree), and served over git's smart HTTP protocol by `git http-backend`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fixed identity and dates so that commits the double makes are reproducible. */
export const GITHUB_IDENTITY = { name: 'GitHub', email: 'noreply@github.com' };

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: GITHUB_IDENTITY.name,
    GIT_AUTHOR_EMAIL: GITHUB_IDENTITY.email,
    GIT_COMMITTER_NAME: GITHUB_IDENTITY.name,
    GIT_COMMITTER_EMAIL: GITHUB_IDENTITY.email,
    ...extra,
  };
}

export function runGit(args: string[], options: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // git may exit before reading all of it
      child.stdin.end(options.input);
    }
  });
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

export interface FileChange {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  additions: number;
  deletions: number;
  changes: number;
  previous_filename?: string;
  patch?: string;
}

/** Thrown for a git command that failed; `stderr` tells why. */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  }
}

const PRE_RECEIVE = `#!/bin/sh
# Installed by the GitHub double: protected branches and injected push failures.
status=0
while read old new ref; do
  if [ -f "$GIT_DIR/double-reject-push" ]; then
    msg=$(cat "$GIT_DIR/double-reject-push")
    rm -f "$GIT_DIR/double-reject-push"
    echo "error: $msg" >&2
    status=1
  elif [ -f "$GIT_DIR/double-protected" ] && grep -qxF "$ref" "$GIT_DIR/double-protected"; then
    echo "error: GH006: Protected branch update failed for $ref." >&2
    echo "error: Changes must be made through a pull request." >&2
    status=1
  fi
done
exit $status
`;

const POST_RECEIVE = `#!/bin/sh
# Installed by the GitHub double: a log of every ref a push updated.
while read old new ref; do
  echo "$old $new $ref" >> "$GIT_DIR/double-pushes.log"
done
`;

/** A bare repository at `<root>/<owner>/<repo>.git`. */
export class BareRepo {
  readonly dir: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly root: string,
    readonly owner: string,
    readonly repo: string,
  ) {
    this.dir = join(root, owner, `${repo}.git`);
  }

  async init(defaultBranch: string, files: Record<string, string>): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.git(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, this.dir], false);
    await this.git(['config', 'http.receivepack', 'true']);
    await this.git(['config', 'receive.denyDeleteCurrent', 'ignore']);
    await this.git(['config', 'uploadpack.allowAnySHA1InWant', 'true']);
    for (const [name, body] of [['pre-receive', PRE_RECEIVE], ['post-receive', POST_RECEIVE]] as const) {
      const path = join(this.dir, 'hooks', name);
      writeFileSync(path, body);
      chmodSync(path, 0o755);
    }
    if (Object.keys(files).length) await this.commitFiles(defaultBranch, files, 'Initial commit');
  }

  /** Runs git in the bare repository (serialised: one writer at a time). */
  git(args: string[], inRepo = true, options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<string> {
    const run = async () => {
      const full = inRepo ? ['--git-dir', this.dir, ...args] : args;
      const result = await runGit(full, options);
      if (result.code !== 0) throw new GitError(args, result);
      return result.stdout;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Like git() but returns the result instead of throwing. */
  async tryGit(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
    return runGit(['--git-dir', this.dir, ...args], options);
  }

  /** The sha a ref (refs/heads/x, heads/x, a branch name or a sha) points at, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    const candidates = ref.startsWith('refs/') ? [ref] : /^[0-9a-f]{40}$/.test(ref) ? [ref] : ref.startsWith('heads/') || ref.startsWith('tags/') ? [`refs/${ref}`] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
    for (const c of candidates) {
      const r = await this.tryGit(['rev-parse', '--verify', '--quiet', `${c}^{commit}`]);
      if (r.code === 0) return r.stdout.trim();
    }
    return undefined;
  }

  async objectExists(sha: string): Promise<boolean> {
    return (await this.tryGit(['cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /** Every ref: name → sha. */
  async refs(): Promise<Record<string, string>> {
    const out = await this.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    const refs: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const [name, sha] = line.split(' ');
      if (name && sha) refs[name] = sha;
    }
    return refs;
  }

  async branches(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, sha] of Object.entries(await this.refs())) if (name.startsWith('refs/heads/')) out[name.slice(11)] = sha;
    return out;
  }

  /** Compare-and-swap update of a ref (old sha '' = must not exist). */
  async updateRef(ref: string, sha: string, oldSha?: string): Promise<void> {
    await this.git(['update-ref', ref, sha, ...(oldSha !== undefined ? [oldSha] : [])]);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.git(['update-ref', '-d', ref]);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.tryGit(['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
  }

  async commit(sha: string): Promise<CommitInfo | undefined> {
    const r = await this.tryGit(['cat-file', 'commit', sha]);
    if (r.code !== 0) return undefined;
    const [head = '', ...rest] = r.stdout.split('\n\n');
    const info: CommitInfo = { sha, tree: '', parents: [], author: { name: '', email: '', date: '' }, committer: { name: '', email: '', date: '' }, message: rest.join('\n\n').replace(/\n$/, '') };
    for (const line of head.split('\n')) {
      const [key, ...v] = line.split(' ');
      const value = v.join(' ');
      if (key === 'tree') info.tree = value;
      else if (key === 'parent') info.parents.push(value);
      else if (key === 'author' || key === 'committer') {
        const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(value);
        if (m) info[key] = { name: m[1] ?? '', email: m[2] ?? '', date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.000Z$/, 'Z') };
      }
    }
    return info;
  }

  /** Commits reachable from `head` and not from `base` (oldest first), as `git log base..head`. */
  async revList(head: string, base?: string, max = 250): Promise<string[]> {
    const out = await this.git(['rev-list', '--reverse', `--max-count=${max}`, ...(base ? [`${base}..${head}`] : [head])]);
    return out.split('\n').filter(Boolean);
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const r = await this.tryGit(['merge-base', a, b]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Files changed between two commits (as GitHub's compare and commit APIs list them). */
  async diffFiles(from: string | undefined, to: string): Promise<FileChange[]> {
    const base = from ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904'; // the empty tree
    const numstat = await this.git(['diff', '--numstat', '-z', '--no-renames', base, to]);
    const status = await this.git(['diff', '--name-status', '-z', '--no-renames', base, to]);
    const counts = new Map<string, { a: number; d: number }>();
    for (const rec of numstat.split('\0').filter(Boolean)) {
      const [a, d, file] = rec.split('\t');
      if (file) counts.set(file, { a: Number(a) || 0, d: Number(d) || 0 });
    }
    const parts = status.split('\0');
    const files: FileChange[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const s = parts[i] ?? '';
      const filename = parts[i + 1] ?? '';
      if (!s) continue;
      const c = counts.get(filename) ?? { a: 0, d: 0 };
      const patch = (await this.tryGit(['diff', '--no-renames', '--no-color', '-U3', base, to, '--', filename])).stdout;
      const hunk = patch.indexOf('\n@@');
      files.push({
        filename,
        status: s.startsWith('A') ? 'added' : s.startsWith('D') ? 'removed' : 'modified',
        additions: c.a,
        deletions: c.d,
        changes: c.a + c.d,
        ...(hunk >= 0 ? { patch: patch.slice(hunk + 1).replace(/\n$/, '') } : {}),
      });
    }
    return files;
  }

  /** The file's content at a ref, or undefined. */
  async readFile(ref: string, path: string): Promise<string | undefined> {
    const r = await this.tryGit(['show', `${ref}:${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** Every file at a ref: path → content. */
  async readTree(ref: string): Promise<Record<string, string>> {
    const list = await this.git(['ls-tree', '-r', '-z', '--name-only', ref]);
    const out: Record<string, string> = {};
    for (const path of list.split('\0').filter(Boolean)) out[path] = (await this.readFile(ref, path)) ?? '';
    return out;
  }

  /**
   * Commits files onto a branch without a work tree (as a person pushing from elsewhere would):
   * `null` deletes a file. Creates the branch (from `from`, or an orphan) when missing.
   */
  async commitFiles(branch: string, files: Record<string, string | null>, message: string, options: { from?: string; author?: { name: string; email: string } } = {}): Promise<string> {
    const ref = `refs/heads/${branch}`;
    const parent = (await this.resolve(ref)) ?? (options.from ? await this.resolve(options.from) : undefined);
    const tmp = mkdtempSync(join(tmpdir(), 'gh-double-index-'));
    const env = { GIT_INDEX_FILE: join(tmp, 'index'), ...(options.author ? { GIT_AUTHOR_NAME: options.author.name, GIT_AUTHOR_EMAIL: options.author.email } : {}) };
    try {
      await this.git(parent ? ['read-tree', parent] : ['read-tree', '--empty'], true, { env });
      for (const [path, content] of Object.entries(files)) {
        // --force-remove needs a work tree; a zero mode in --index-info removes the entry without one
        if (content === null) await this.git(['update-index', '--index-info'], true, { env, input: `0 ${'0'.repeat(40)}\t${path}\n` });
        else {
          const blob = (await this.git(['hash-object', '-w', '--stdin'], true, { input: content, env })).trim();
          await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], true, { env });
        }
      }
      const tree = (await this.git(['write-tree'], true, { env })).trim();
      const sha = (await this.git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], true, { env })).trim();
      await this.updateRef(ref, sha, (await this.resolve(ref)) ?? '');
      return sha;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Merges `head` into `base` as GitHub's merge button does, without a work tree: `merge-tree
   * --write-tree` (git ≥ 2.38), then a commit with both parents ('merge'), or one ('squash'), or
   * the head's commits replayed on base ('rebase', fast-forward only when base has not moved).
   * Returns undefined on a conflict.
   */
  async merge(baseSha: string, headSha: string, method: 'merge' | 'squash' | 'rebase', message: string, author?: { name: string; email: string }): Promise<string | undefined> {
    const r = await this.tryGit(['merge-tree', '--write-tree', '--no-messages', baseSha, headSha]);
    if (r.code !== 0) return undefined;
    const tree = (r.stdout.split('\n')[0] ?? '').trim();
    const env: Record<string, string> = author ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email } : {};
    if (method === 'rebase') {
      if (await this.isAncestor(baseSha, headSha)) return headSha;
      const commits = await this.revList(headSha, baseSha);
      let parent = baseSha;
      for (const c of commits) {
        const info = await this.commit(c);
        const t = await this.tryGit(['merge-tree', '--write-tree', '--no-messages', `--merge-base=${c}^`, parent, c]);
        if (t.code !== 0 || !info) return undefined;
        const commitEnv = { GIT_AUTHOR_NAME: info.author.name, GIT_AUTHOR_EMAIL: info.author.email, GIT_AUTHOR_DATE: info.author.date };
        parent = (await this.git(['commit-tree', (t.stdout.split('\n')[0] ?? '').trim(), '-p', parent, '-m', info.message], true, { env: commitEnv })).trim();
      }
      return parent;
    }
    const parents = method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
    return (await this.git(['commit-tree', tree, ...parents, '-m', message], true, { env })).trim();
  }

  /** Refs updated by pushes (post-receive log), oldest first. */
  pushes(): { ref: string; before: string; after: string }[] {
    const path = join(this.dir, 'double-pushes.log');
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [before = '', after = '', ref = ''] = line.split(' ');
        return { ref, before, after };
      });
  }

  setProtectedRefs(refs: string[]): void {
    writeFileSync(join(this.dir, 'double-protected'), refs.map((r) => `${r}\n`).join(''));
  }

  /** The next push is refused with this message (the pre-receive hook removes it). */
  rejectNextPush(message: string): void {
    writeFileSync(join(this.dir, 'double-reject-push'), message);
  }
}

/**
 * Serves git's smart HTTP protocol (fetch and push, protocol v0/v2) for the bare repository by
 * running `git http-backend` as a CGI program: `/{owner}/{repo}.git/info/refs`,
 * `/{owner}/{repo}.git/git-upload-pack`, `/{owner}/{repo}.git/git-receive-pack`.
 */
export async function serveGitHttp(repo: BareRepo, req: IncomingMessage, res: ServerResponse, pathInfo: string, query: string, user: string): Promise<void> {
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: repo.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
  };
  if (req.headers['content-length']) env['CONTENT_LENGTH'] = req.headers['content-length'];
  if (req.headers['content-encoding']) env['HTTP_CONTENT_ENCODING'] = String(req.headers['content-encoding']);
  if (req.headers['git-protocol']) env['GIT_PROTOCOL'] = String(req.headers['git-protocol']);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env: gitEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let headerDone = false;
    let buffered = Buffer.alloc(0);
    const stderr: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        res.write(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      let end = buffered.indexOf('\r\n\r\n');
      let sepLength = 4;
      if (end < 0) {
        end = buffered.indexOf('\n\n');
        sepLength = 2;
      }
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const bodyStart = buffered.subarray(end + sepLength);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]) || 200;
        else headers[k] = v;
      }
      headerDone = true;
      res.writeHead(status, headers);
      if (bodyStart.length) res.write(bodyStart);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!headerDone) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend failed (${code ?? '?'}): ${Buffer.concat(stderr).toString()}`);
      } else res.end();
      resolve();
    });
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
  });
}
