/**
 * The REST operations the double implements, keyed by their operationId in GitHub's OpenAPI
 * description. Each handler returns a status and a body; the server completes 2xx bodies from the
 * response schema, checks them, paginates arrays and writes GitHub's headers.
 */
import { isoNow, nodeId, type DoubleCore } from './core.js';
import type { CheckRunRecord, IssueRecord, ReviewRecord } from './state.js';

type Obj = Record<string, unknown>;

export interface HandlerContext {
  core: DoubleCore;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Obj;
  /** the login the token belongs to */
  actor: string;
  docsUrl: string;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** the body is an array to page with per_page/page (Link header) */
  paginate?: boolean;
  /** for search results: page `items` */
  paginateKey?: string;
}

export type Handler = (ctx: HandlerContext) => Promise<HandlerResult>;

/** GitHub's error body. */
export function error(ctx: { docsUrl: string }, status: number, message: string, errors?: Obj[]): HandlerResult {
  return { status, body: { message, ...(errors ? { errors } : {}), documentation_url: ctx.docsUrl, status: String(status) } };
}

const notFound = (ctx: HandlerContext) => error(ctx, 404, 'Not Found');
const validationFailed = (ctx: HandlerContext, errors: Obj[]) => error(ctx, 422, 'Validation Failed', errors);

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function issueOf(ctx: HandlerContext, key = 'issue_number'): IssueRecord | undefined {
  return ctx.core.issues.get(Number(ctx.params[key] ?? ctx.params['pull_number']));
}

function sortAndOrder<T extends IssueRecord>(items: T[], query: Obj): T[] {
  const sort = str(query['sort']) ?? 'created';
  const direction = str(query['direction']) ?? (sort === 'popularity' || sort === 'long-running' ? 'desc' : 'desc');
  const key = (i: IssueRecord) => (sort === 'updated' ? i.updated_at : i.created_at) + String(i.number).padStart(10, '0');
  const sorted = [...items].sort((a, b) => key(a).localeCompare(key(b)));
  return direction === 'asc' ? sorted : sorted.reverse();
}

async function refreshAll(core: DoubleCore): Promise<void> {
  for (const i of core.issues.values()) await core.refreshPull(i);
}

/** "owner:branch" or "branch" → branch (undefined for another owner). */
function headBranch(core: DoubleCore, head: string): string | undefined {
  const i = head.indexOf(':');
  if (i < 0) return head;
  return head.slice(0, i).toLowerCase() === core.owner.toLowerCase() ? head.slice(i + 1) : undefined;
}

function approvals(rec: IssueRecord): number {
  return new Set((rec.pull?.reviews ?? []).filter((r) => r.state === 'APPROVED').map((r) => r.user)).size;
}

function checkRunLimits(ctx: HandlerContext): HandlerResult | undefined {
  // The description states these limits too (so a request over them is also a violation); they are
  // enforced here as well so that a double started with `validateRequests: false` keeps them.
  const output = ctx.body['output'] as Obj | undefined;
  for (const field of ['summary', 'text'] as const) {
    const v = str(output?.[field]);
    if (v !== undefined && v.length > 65535) return error(ctx, 422, `Invalid request.\n\nOnly 65535 characters are allowed; ${v.length} were supplied.`);
  }
  const actions = ctx.body['actions'];
  if (Array.isArray(actions)) {
    if (actions.length > 3) return error(ctx, 422, `Invalid request.\n\nFor 'properties/actions', ${actions.length} items are more than the allowed maximum of 3.`);
    for (const a of actions as Obj[]) {
      for (const [field, max] of [['label', 20], ['description', 40], ['identifier', 20]] as const) {
        const v = str(a[field]) ?? '';
        if (v.length > max) return error(ctx, 422, `Invalid request.\n\nFor 'properties/${field}', "${v}" is too long (maximum is ${max} characters).`);
      }
    }
  }
  const annotations = (output?.['annotations'] as unknown[] | undefined) ?? [];
  if (annotations.length > 50) return error(ctx, 422, `Invalid request.\n\nFor 'properties/annotations', ${annotations.length} items are more than the allowed maximum of 50.`);
  return undefined;
}

function applyCheckRunBody(c: CheckRunRecord, body: Obj): void {
  c.history.push(structuredClone(body));
  if (str(body['name'])) c.name = str(body['name']) as string;
  if ('details_url' in body) c.details_url = str(body['details_url']) ?? null;
  if ('external_id' in body) c.external_id = str(body['external_id']) ?? null;
  if (str(body['started_at'])) c.started_at = str(body['started_at']) as string;
  const status = str(body['status']);
  const conclusion = str(body['conclusion']);
  if (status) c.status = status as CheckRunRecord['status'];
  if (conclusion) {
    c.conclusion = conclusion;
    c.status = 'completed';
  }
  if (c.status === 'completed') c.completed_at = str(body['completed_at']) ?? c.completed_at ?? isoNow();
  else if (status) {
    c.conclusion = null;
    c.completed_at = null;
  }
  if (c.status === 'in_progress' && !c.started_at) c.started_at = isoNow();
  const output = body['output'] as Obj | undefined;
  if (output) {
    if ('title' in output) c.output.title = str(output['title']) ?? null;
    if ('summary' in output) c.output.summary = str(output['summary']) ?? null;
    if ('text' in output) c.output.text = str(output['text']) ?? null;
    for (const a of (output['annotations'] as Obj[] | undefined) ?? []) c.annotations.push(a);
  }
  if (Array.isArray(body['actions'])) c.actions = (body['actions'] as Obj[]).map((a) => ({ label: str(a['label']) ?? '', description: str(a['description']) ?? '', identifier: str(a['identifier']) ?? '' }));
}

function labelsOf(body: Obj): string[] | undefined {
  const labels = body['labels'];
  if (!Array.isArray(labels)) return undefined;
  return labels.map((l) => (typeof l === 'string' ? l : str((l as Obj)['name']) ?? ''));
}

function parseSearch(q: string): { terms: string[]; qualifiers: [string, string, boolean][] } {
  const terms: string[] = [];
  const qualifiers: [string, string, boolean][] = [];
  for (const m of q.matchAll(/(-?)([a-z-]+):("[^"]*"|\S+)|"([^"]*)"|(\S+)/gi)) {
    if (m[2]) qualifiers.push([m[2].toLowerCase(), (m[3] ?? '').replace(/^"|"$/g, ''), m[1] === '-']);
    else terms.push((m[4] ?? m[5] ?? '').toLowerCase());
  }
  return { terms, qualifiers };
}

export const handlers: Record<string, Handler> = {
  // ---------------------------------------------------------------------------------- repository
  'repos/get': async (ctx) => ({ status: 200, body: ctx.core.repository() }),

  'repos/list-branches': async (ctx) => {
    const branches = await ctx.core.git.branches();
    return {
      status: 200,
      paginate: true,
      body: Object.entries(branches)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, sha]) => ({ name, commit: { sha, url: `${ctx.core.repoApi}/commits/${sha}` }, protected: ctx.core.protections.has(name) })),
    };
  },

  'repos/get-branch': async (ctx) => {
    const name = ctx.params['branch'] ?? '';
    const sha = await ctx.core.git.resolve(`refs/heads/${name}`);
    if (!sha) return error(ctx, 404, 'Branch not found');
    const info = await ctx.core.git.commit(sha);
    const rule = ctx.core.protections.get(name);
    return {
      status: 200,
      body: {
        name,
        commit: info ? ctx.core.commit(info) : { sha },
        _links: { html: `${ctx.core.repoHtml}/tree/${name}`, self: `${ctx.core.repoApi}/branches/${encodeURIComponent(name)}` },
        protected: Boolean(rule),
        protection: { enabled: Boolean(rule), required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: `${ctx.core.repoApi}/branches/${encodeURIComponent(name)}/protection`,
      },
    };
  },

  'repos/get-collaborator-permission-level': async (ctx) => {
    const login = ctx.params['username'] ?? '';
    const permission = ctx.core.collaborators.get(login) ?? ctx.core.collaborators.get(login.toLowerCase()) ?? (ctx.core.options.private ? 'none' : 'read');
    const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
    const flags = {
      admin: permission === 'admin',
      maintain: ['admin', 'maintain'].includes(permission),
      push: ['admin', 'maintain', 'write'].includes(permission),
      triage: ['admin', 'maintain', 'write', 'triage'].includes(permission),
      pull: permission !== 'none',
    };
    return { status: 200, body: { permission: legacy, role_name: permission, user: { ...ctx.core.user(login), permissions: flags, role_name: permission } } };
  },

  // ---------------------------------------------------------------------------------------- git
  'git/get-ref': async (ctx) => {
    const ref = `refs/${ctx.params['ref'] ?? ''}`;
    const sha = (await ctx.core.git.refs())[ref];
    if (!sha) return notFound(ctx);
    return { status: 200, body: ctx.core.gitRef(ref, sha) };
  },

  'git/list-matching-refs': async (ctx) => {
    const prefix = `refs/${ctx.params['ref'] ?? ''}`;
    const refs = Object.entries(await ctx.core.git.refs()).filter(([name]) => name.startsWith(prefix));
    return { status: 200, paginate: true, body: refs.map(([name, sha]) => ctx.core.gitRef(name, sha)) };
  },

  'git/create-ref': async (ctx) => {
    const ref = str(ctx.body['ref']) ?? '';
    const sha = str(ctx.body['sha']) ?? '';
    if (!/^refs\/[^/]+\/.+/.test(ref)) return error(ctx, 422, 'Reference name must start with \'refs/\' and have at least two slashes.');
    if (!/^[0-9a-f]{40}$/.test(sha) || !(await ctx.core.git.objectExists(sha))) return error(ctx, 422, 'Object does not exist');
    if ((await ctx.core.git.refs())[ref]) return error(ctx, 422, 'Reference already exists');
    await ctx.core.git.updateRef(ref, sha, '');
    return { status: 201, body: ctx.core.gitRef(ref, sha), headers: { location: `${ctx.core.repoApi}/git/${ref}` } };
  },

  'git/update-ref': async (ctx) => {
    const ref = `refs/${ctx.params['ref'] ?? ''}`;
    const sha = str(ctx.body['sha']) ?? '';
    const current = (await ctx.core.git.refs())[ref];
    if (!current) return error(ctx, 422, 'Reference does not exist');
    if (!/^[0-9a-f]{40}$/.test(sha) || !(await ctx.core.git.objectExists(sha))) return error(ctx, 422, 'Object does not exist');
    if (ctx.body['force'] !== true && !(await ctx.core.git.isAncestor(current, sha))) return error(ctx, 422, 'Update is not a fast forward');
    const branch = ref.startsWith('refs/heads/') ? ref.slice(11) : undefined;
    if (branch && ctx.core.protections.get(branch)?.blockPushes) return error(ctx, 422, `Protected branch update failed for ${ref}.`);
    await ctx.core.git.updateRef(ref, sha, current);
    return { status: 200, body: ctx.core.gitRef(ref, sha) };
  },

  'git/delete-ref': async (ctx) => {
    const ref = `refs/${ctx.params['ref'] ?? ''}`;
    if (!(await ctx.core.git.refs())[ref]) return error(ctx, 422, 'Reference does not exist');
    await ctx.core.git.deleteRef(ref);
    return { status: 204 };
  },

  'git/get-commit': async (ctx) => {
    const info = await ctx.core.git.commit(ctx.params['commit_sha'] ?? '');
    if (!info) return notFound(ctx);
    return { status: 200, body: ctx.core.gitCommit(info) };
  },

  // ------------------------------------------------------------------------------------ commits
  'repos/get-commit': async (ctx) => {
    const sha = await ctx.core.git.resolve(ctx.params['ref'] ?? '');
    const info = sha ? await ctx.core.git.commit(sha) : undefined;
    if (!info) return error(ctx, 422, `No commit found for SHA: ${ctx.params['ref'] ?? ''}`);
    return { status: 200, body: ctx.core.commit(info, await ctx.core.git.diffFiles(info.parents[0], info.sha)) };
  },

  'repos/list-commits': async (ctx) => {
    const from = str(ctx.query['sha']) ?? ctx.core.options.defaultBranch;
    const head = await ctx.core.git.resolve(from);
    if (!head) return error(ctx, 404, 'Not Found');
    const path = str(ctx.query['path']);
    const out = await ctx.core.git.git(['rev-list', '--max-count=1000', head, ...(path ? ['--', path] : [])]);
    const commits = [];
    for (const sha of out.split('\n').filter(Boolean)) {
      const info = await ctx.core.git.commit(sha);
      if (info) commits.push(ctx.core.commit(info));
    }
    return { status: 200, paginate: true, body: commits };
  },

  'repos/compare-commits': async (ctx) => {
    const base = await ctx.core.git.resolve(ctx.params['base'] ?? '');
    const head = await ctx.core.git.resolve(ctx.params['head'] ?? '');
    if (!base || !head) return notFound(ctx);
    const mergeBase = await ctx.core.git.mergeBase(base, head);
    const ahead = await ctx.core.git.revList(head, base, 10_000);
    const behind = await ctx.core.git.revList(base, head, 10_000);
    const status = ahead.length && behind.length ? 'diverged' : ahead.length ? 'ahead' : behind.length ? 'behind' : 'identical';
    const commits = [];
    for (const sha of ahead.slice(0, 250)) {
      const info = await ctx.core.git.commit(sha);
      if (info) commits.push(ctx.core.commit(info));
    }
    const baseInfo = await ctx.core.git.commit(base);
    const mbInfo = mergeBase ? await ctx.core.git.commit(mergeBase) : undefined;
    const files = await ctx.core.git.diffFiles(mergeBase, head);
    const basehead = `${ctx.params['base'] ?? ''}...${ctx.params['head'] ?? ''}`;
    return {
      status: 200,
      body: {
        url: `${ctx.core.repoApi}/compare/${basehead}`,
        html_url: `${ctx.core.repoHtml}/compare/${basehead}`,
        permalink_url: `${ctx.core.repoHtml}/compare/${ctx.core.owner}:${base.slice(0, 7)}...${ctx.core.owner}:${head.slice(0, 7)}`,
        diff_url: `${ctx.core.repoHtml}/compare/${basehead}.diff`,
        patch_url: `${ctx.core.repoHtml}/compare/${basehead}.patch`,
        base_commit: baseInfo ? ctx.core.commit(baseInfo) : null,
        merge_base_commit: mbInfo ? ctx.core.commit(mbInfo) : baseInfo ? ctx.core.commit(baseInfo) : null,
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits,
        files: files.map((f) => ctx.core.diffEntry(f, head)),
      },
    };
  },

  'repos/compare-commits-with-basehead': async (ctx) => {
    const basehead = ctx.params['basehead'] ?? '';
    const i = basehead.indexOf('...');
    if (i < 0) return notFound(ctx);
    const compare = handlers['repos/compare-commits'] as Handler;
    return compare({ ...ctx, params: { ...ctx.params, base: basehead.slice(0, i), head: basehead.slice(i + 3) } });
  },

  // -------------------------------------------------------------------------------------- pulls
  'pulls/list': async (ctx) => {
    await refreshAll(ctx.core);
    const state = str(ctx.query['state']) ?? 'open';
    const head = str(ctx.query['head']);
    const base = str(ctx.query['base']);
    let items = [...ctx.core.issues.values()].filter((i) => i.pull);
    if (state !== 'all') items = items.filter((i) => i.state === state);
    if (head) {
      // GitHub expects "user:ref-name"; a bare branch name matches nothing.
      const branch = head.includes(':') ? headBranch(ctx.core, head) : undefined;
      items = items.filter((i) => i.pull?.head === branch);
    }
    if (base) items = items.filter((i) => i.pull?.base === base);
    const sorted = sortAndOrder(items, ctx.query);
    const body = [];
    for (const i of sorted) body.push(await ctx.core.pull(i, false));
    return { status: 200, paginate: true, body };
  },

  'pulls/create': async (ctx) => {
    const core = ctx.core;
    const headRaw = str(ctx.body['head']) ?? '';
    const base = str(ctx.body['base']) ?? '';
    const head = headBranch(core, headRaw);
    const headSha = head ? await core.git.resolve(`refs/heads/${head}`) : undefined;
    const baseSha = await core.git.resolve(`refs/heads/${base}`);
    const errors: Obj[] = [];
    if (!headSha) errors.push({ resource: 'PullRequest', field: 'head', code: 'invalid' });
    if (!baseSha) errors.push({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    if (errors.length) return validationFailed(ctx, errors);
    if (!str(ctx.body['title']) && ctx.body['issue'] === undefined) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    await refreshAll(core);
    const open = [...core.issues.values()].find((i) => i.pull && i.state === 'open' && i.pull.head === head && i.pull.base === base);
    if (open) return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${core.owner}:${head ?? ''}.` }]);
    if ((await core.git.revList(headSha as string, baseSha as string, 1)).length === 0) {
      return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head ?? ''}` }]);
    }
    const now = isoNow();
    const id = core.newId('issue');
    const rec: IssueRecord = {
      number: core.newNumber(),
      id,
      node_id: nodeId('Issue', id),
      title: str(ctx.body['title']) ?? '',
      body: str(ctx.body['body']) ?? null,
      state: 'open',
      state_reason: null,
      labels: [],
      user: ctx.actor,
      assignees: [],
      locked: false,
      created_at: now,
      updated_at: now,
      closed_at: null,
      closed_by: null,
      pull: {
        head: head as string,
        base,
        headSha,
        baseSha,
        merged: false,
        merged_at: null,
        merged_by: null,
        merge_commit_sha: null,
        draft: ctx.body['draft'] === true,
        maintainer_can_modify: ctx.body['maintainer_can_modify'] !== false,
        reviews: [],
      },
    };
    core.issues.set(rec.number, rec);
    return { status: 201, body: await core.pull(rec, true), headers: { location: `${core.repoApi}/pulls/${rec.number}` } };
  },

  'pulls/get': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    await ctx.core.refreshPull(rec);
    return { status: 200, body: await ctx.core.pull(rec, true) };
  },

  'pulls/update': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    await ctx.core.refreshPull(rec);
    const b = ctx.body;
    if (str(b['title']) !== undefined) rec.title = str(b['title']) as string;
    if ('body' in b) rec.body = str(b['body']) ?? null;
    if (str(b['base'])) {
      const base = str(b['base']) as string;
      if (!(await ctx.core.git.resolve(`refs/heads/${base}`))) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      rec.pull.base = base;
    }
    const state = str(b['state']);
    if (state === 'closed' && rec.state === 'open') {
      await ctx.core.refreshPull(rec);
      rec.state = 'closed';
      rec.closed_at = isoNow();
      rec.closed_by = ctx.actor;
    } else if (state === 'open' && rec.state === 'closed') {
      if (rec.pull.merged) return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The pull request has been merged.' }]);
      if (!(await ctx.core.git.resolve(`refs/heads/${rec.pull.head}`))) return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: `state cannot be changed. The ${rec.pull.head} branch has been deleted.` }]);
      rec.state = 'open';
      rec.closed_at = null;
      rec.closed_by = null;
    }
    rec.updated_at = isoNow();
    return { status: 200, body: await ctx.core.pull(rec, true) };
  },

  'pulls/merge': async (ctx) => {
    const core = ctx.core;
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    await core.refreshPull(rec);
    const p = rec.pull;
    if (p.merged) return error(ctx, 405, 'Pull Request is not mergeable');
    if (rec.state !== 'open') return error(ctx, 405, 'Pull Request is not mergeable');
    const method = (str(ctx.body['merge_method']) ?? 'merge') as 'merge' | 'squash' | 'rebase';
    if (!core.options.allowedMergeMethods.includes(method)) {
      const names = { merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' };
      return error(ctx, 405, `${names[method]} are not allowed on this repository.`);
    }
    const { head, base } = await core.pullShas(rec);
    if (!head || !base) return error(ctx, 405, 'Pull Request is not mergeable');
    const sha = str(ctx.body['sha']);
    if (sha && sha !== head) return error(ctx, 409, 'Head branch was modified. Review and try the merge again.');
    const rule = core.protections.get(p.base);
    if (rule && approvals(rec) < rule.requiredApprovingReviewCount) {
      const n = rule.requiredApprovingReviewCount;
      return error(ctx, 405, n === 1 ? 'At least 1 approving review is required by reviewers with write access.' : `At least ${n} approving reviews are required by reviewers with write access.`);
    }
    if (p.draft) return error(ctx, 405, 'Pull Request is still a draft');
    const title = str(ctx.body['commit_title']) ?? (method === 'squash' ? `${rec.title} (#${rec.number})` : `Merge pull request #${rec.number} from ${core.owner}/${p.head}`);
    const message = str(ctx.body['commit_message']) ?? (method === 'squash' ? '' : rec.title);
    const merged = await core.git.merge(base, head, method, message ? `${title}\n\n${message}` : title);
    if (!merged) return error(ctx, 405, 'Pull Request is not mergeable');
    await core.git.updateRef(`refs/heads/${p.base}`, merged, base);
    const now = isoNow();
    p.merged = true;
    p.merged_at = now;
    p.merged_by = ctx.actor;
    p.merge_commit_sha = merged;
    p.headSha = head;
    p.baseSha = base;
    rec.state = 'closed';
    rec.closed_at = now;
    rec.closed_by = ctx.actor;
    rec.updated_at = now;
    if (core.options.deleteBranchOnMerge) await core.git.deleteRef(`refs/heads/${p.head}`).catch(() => undefined);
    return { status: 200, body: { sha: merged, merged: true, message: 'Pull Request successfully merged' } };
  },

  'pulls/create-review': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    const event = str(ctx.body['event']);
    if (event === 'APPROVE' && rec.user === ctx.actor) return validationFailed(ctx, [{ resource: 'PullRequestReview', code: 'custom', message: 'Can not approve your own pull request' }]);
    const review = await addReview(ctx.core, rec, ctx.actor, event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : 'COMMENTED', str(ctx.body['body']) ?? '');
    return { status: 200, body: reviewObject(ctx.core, rec, review) };
  },

  'pulls/list-reviews': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    return { status: 200, paginate: true, body: rec.pull.reviews.map((r) => reviewObject(ctx.core, rec, r)) };
  },

  'pulls/list-files': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    const { head, base } = await ctx.core.pullShas(rec);
    if (!head || !base) return { status: 200, paginate: true, body: [] };
    const files = await ctx.core.git.diffFiles(await ctx.core.git.mergeBase(base, head), head);
    return { status: 200, paginate: true, body: files.map((f) => ctx.core.diffEntry(f, head)) };
  },

  'pulls/list-commits': async (ctx) => {
    const rec = issueOf(ctx, 'pull_number');
    if (!rec?.pull) return notFound(ctx);
    const { head, base } = await ctx.core.pullShas(rec);
    const commits = [];
    for (const sha of head && base ? await ctx.core.git.revList(head, base) : []) {
      const info = await ctx.core.git.commit(sha);
      if (info) commits.push(ctx.core.commit(info));
    }
    return { status: 200, paginate: true, body: commits };
  },

  // ------------------------------------------------------------------------------------- issues
  'issues/list-for-repo': async (ctx) => {
    await refreshAll(ctx.core);
    const state = str(ctx.query['state']) ?? 'open';
    const labels = (str(ctx.query['labels']) ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
    const creator = str(ctx.query['creator']);
    let items = [...ctx.core.issues.values()];
    if (state !== 'all') items = items.filter((i) => i.state === state);
    if (labels.length) items = items.filter((i) => labels.every((l) => i.labels.some((n) => n.toLowerCase() === l)));
    if (creator) items = items.filter((i) => i.user === creator);
    // Like GitHub, pull requests are issues too: they are listed, with a `pull_request` key.
    return { status: 200, paginate: true, body: sortAndOrder(items, ctx.query).map((i) => ctx.core.issue(i)) };
  },

  'issues/create': async (ctx) => {
    const core = ctx.core;
    const title = ctx.body['title'];
    const now = isoNow();
    const id = core.newId('issue');
    const labels = labelsOf(ctx.body) ?? [];
    const rec: IssueRecord = {
      number: core.newNumber(),
      id,
      node_id: nodeId('Issue', id),
      title: String(title),
      body: str(ctx.body['body']) ?? null,
      state: 'open',
      state_reason: null,
      labels: [],
      user: ctx.actor,
      assignees: Array.isArray(ctx.body['assignees']) ? (ctx.body['assignees'] as string[]) : [],
      locked: false,
      created_at: now,
      updated_at: now,
      closed_at: null,
      closed_by: null,
    };
    for (const l of labels) rec.labels.push(core.ensureLabel(l).name);
    core.issues.set(rec.number, rec);
    return { status: 201, body: core.issue(rec), headers: { location: `${core.repoApi}/issues/${rec.number}` } };
  },

  'issues/get': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    await ctx.core.refreshPull(rec);
    return { status: 200, body: ctx.core.issue(rec) };
  },

  'issues/update': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    const b = ctx.body;
    if ('title' in b && b['title'] !== null) rec.title = String(b['title']);
    if ('body' in b) rec.body = str(b['body']) ?? null;
    const labels = labelsOf(b);
    if (labels) rec.labels = labels.map((l) => ctx.core.ensureLabel(l).name);
    if (Array.isArray(b['assignees'])) rec.assignees = b['assignees'] as string[];
    const state = str(b['state']);
    if (state === 'closed' && rec.state === 'open') {
      if (rec.pull) await ctx.core.refreshPull(rec);
      rec.state = 'closed';
      rec.state_reason = rec.pull ? null : ((str(b['state_reason']) as IssueRecord['state_reason']) ?? 'completed');
      rec.closed_at = isoNow();
      rec.closed_by = ctx.actor;
    } else if (state === 'open' && rec.state === 'closed') {
      if (rec.pull?.merged) return validationFailed(ctx, [{ resource: 'Issue', code: 'custom', message: 'state cannot be changed. The pull request has been merged.' }]);
      rec.state = 'open';
      rec.state_reason = 'reopened';
      rec.closed_at = null;
      rec.closed_by = null;
    }
    rec.updated_at = isoNow();
    return { status: 200, body: ctx.core.issue(rec) };
  },

  'issues/list-comments': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    return { status: 200, paginate: true, body: ctx.core.comments.filter((c) => c.issue_number === rec.number).map((c) => ctx.core.comment(c)) };
  },

  'issues/create-comment': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    const body = str(ctx.body['body']) ?? '';
    if (body.length > 65536) return validationFailed(ctx, [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' }]);
    const now = isoNow();
    const id = ctx.core.newId('comment');
    const c = { id, node_id: nodeId('IssueComment', id), issue_number: rec.number, body, user: ctx.actor, created_at: now, updated_at: now };
    ctx.core.comments.push(c);
    rec.updated_at = now;
    return { status: 201, body: ctx.core.comment(c), headers: { location: `${ctx.core.repoApi}/issues/comments/${id}` } };
  },

  'issues/get-comment': async (ctx) => {
    const c = ctx.core.comments.find((x) => x.id === Number(ctx.params['comment_id']));
    return c ? { status: 200, body: ctx.core.comment(c) } : notFound(ctx);
  },

  'issues/update-comment': async (ctx) => {
    const c = ctx.core.comments.find((x) => x.id === Number(ctx.params['comment_id']));
    if (!c) return notFound(ctx);
    const body = str(ctx.body['body']) ?? '';
    if (body.length > 65536) return validationFailed(ctx, [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' }]);
    c.body = body;
    c.updated_at = isoNow();
    return { status: 200, body: ctx.core.comment(c) };
  },

  'issues/delete-comment': async (ctx) => {
    const i = ctx.core.comments.findIndex((x) => x.id === Number(ctx.params['comment_id']));
    if (i < 0) return notFound(ctx);
    ctx.core.comments.splice(i, 1);
    return { status: 204 };
  },

  // ------------------------------------------------------------------------------------- labels
  'issues/list-labels-for-repo': async (ctx) => ({ status: 200, paginate: true, body: [...ctx.core.labels.values()].map((l) => ctx.core.label(l.name)) }),

  'issues/get-label': async (ctx) => (ctx.core.labels.has((ctx.params['name'] ?? '').toLowerCase()) ? { status: 200, body: ctx.core.label(ctx.params['name'] ?? '') } : notFound(ctx)),

  'issues/create-label': async (ctx) => {
    const name = str(ctx.body['name']) ?? '';
    if (ctx.core.labels.has(name.toLowerCase())) return validationFailed(ctx, [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    const color = (str(ctx.body['color']) ?? 'ededed').replace(/^#/, '');
    if (!/^[0-9a-fA-F]{6}$/.test(color)) return validationFailed(ctx, [{ resource: 'Label', code: 'invalid', field: 'color' }]);
    ctx.core.ensureLabel(name, color.toLowerCase(), str(ctx.body['description']) ?? null);
    return { status: 201, body: ctx.core.label(name), headers: { location: `${ctx.core.repoApi}/labels/${encodeURIComponent(name)}` } };
  },

  'issues/update-label': async (ctx) => {
    const l = ctx.core.labels.get((ctx.params['name'] ?? '').toLowerCase());
    if (!l) return notFound(ctx);
    if (str(ctx.body['color'])) l.color = (str(ctx.body['color']) as string).replace(/^#/, '').toLowerCase();
    if ('description' in ctx.body) l.description = str(ctx.body['description']) ?? null;
    const newName = str(ctx.body['new_name']);
    if (newName && newName !== l.name) {
      ctx.core.labels.delete(l.name.toLowerCase());
      for (const i of ctx.core.issues.values()) i.labels = i.labels.map((n) => (n === l.name ? newName : n));
      l.name = newName;
      ctx.core.labels.set(newName.toLowerCase(), l);
    }
    return { status: 200, body: ctx.core.label(l.name) };
  },

  'issues/delete-label': async (ctx) => {
    const l = ctx.core.labels.get((ctx.params['name'] ?? '').toLowerCase());
    if (!l) return notFound(ctx);
    ctx.core.labels.delete(l.name.toLowerCase());
    for (const i of ctx.core.issues.values()) i.labels = i.labels.filter((n) => n !== l.name);
    return { status: 204 };
  },

  'issues/list-labels-on-issue': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    return { status: 200, paginate: true, body: rec.labels.map((n) => ctx.core.label(n)) };
  },

  'issues/add-labels': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    const labels = Array.isArray(ctx.body) ? (ctx.body as unknown[]).map(String) : (labelsOf(ctx.body) ?? []);
    for (const l of labels) {
      const name = ctx.core.ensureLabel(l).name;
      if (!rec.labels.includes(name)) rec.labels.push(name);
    }
    rec.updated_at = isoNow();
    return { status: 200, body: rec.labels.map((n) => ctx.core.label(n)) };
  },

  'issues/set-labels': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    const labels = Array.isArray(ctx.body) ? (ctx.body as unknown[]).map(String) : (labelsOf(ctx.body) ?? []);
    rec.labels = [...new Set(labels.map((l) => ctx.core.ensureLabel(l).name))];
    rec.updated_at = isoNow();
    return { status: 200, body: rec.labels.map((n) => ctx.core.label(n)) };
  },

  'issues/remove-label': async (ctx) => {
    const rec = issueOf(ctx);
    if (!rec) return notFound(ctx);
    const name = (ctx.params['name'] ?? '').toLowerCase();
    const i = rec.labels.findIndex((n) => n.toLowerCase() === name);
    if (i < 0) return error(ctx, 404, 'Label does not exist');
    rec.labels.splice(i, 1);
    rec.updated_at = isoNow();
    return { status: 200, body: rec.labels.map((n) => ctx.core.label(n)) };
  },

  // ------------------------------------------------------------------------------------- search
  'search/issues-and-pull-requests': async (ctx) => {
    const q = str(ctx.query['q']) ?? '';
    const { terms, qualifiers } = parseSearch(q);
    await refreshAll(ctx.core);
    let items = [...ctx.core.issues.values()];
    for (const [key, value, negated] of qualifiers) {
      const v = value.toLowerCase();
      let keep: (i: IssueRecord) => boolean;
      if (key === 'repo') keep = () => v === ctx.core.fullName.toLowerCase();
      else if (key === 'is' || key === 'type') {
        keep = (i) =>
          v === 'issue' ? !i.pull : v === 'pr' || v === 'pull-request' ? Boolean(i.pull) : v === 'open' ? i.state === 'open' : v === 'closed' ? i.state === 'closed' : v === 'merged' ? Boolean(i.pull?.merged) : v === 'unmerged' ? Boolean(i.pull) && !i.pull?.merged : true;
      } else if (key === 'state') keep = (i) => i.state === v;
      else if (key === 'label') keep = (i) => v.split(',').some((l) => i.labels.some((n) => n.toLowerCase() === l));
      else if (key === 'author') keep = (i) => i.user.toLowerCase() === v || i.user.toLowerCase() === `${v}[bot]` || (v.startsWith('app/') && i.user.toLowerCase() === `${v.slice(4)}[bot]`);
      else if (key === 'head') keep = (i) => i.pull?.head === value;
      else if (key === 'base') keep = (i) => i.pull?.base === value;
      else if (key === 'in') keep = () => true;
      else keep = () => true;
      items = items.filter((i) => keep(i) !== negated);
    }
    const inBody = qualifiers.some(([k, v]) => k === 'in' && v.includes('body'));
    const inTitle = !qualifiers.some(([k]) => k === 'in') || qualifiers.some(([k, v]) => k === 'in' && v.includes('title'));
    for (const t of terms) items = items.filter((i) => (inTitle && i.title.toLowerCase().includes(t)) || ((inBody || !qualifiers.some(([k]) => k === 'in')) && (i.body ?? '').toLowerCase().includes(t)));
    const sorted = sortAndOrder(items, ctx.query);
    return { status: 200, paginateKey: 'items', body: { total_count: sorted.length, incomplete_results: false, items: sorted.map((i) => ({ ...ctx.core.issue(i), score: 1 })) } };
  },

  // ------------------------------------------------------------------------------------- checks
  'checks/create': async (ctx) => {
    const core = ctx.core;
    const limit = checkRunLimits(ctx);
    if (limit) return limit;
    const headSha = str(ctx.body['head_sha']) ?? '';
    if (!/^[0-9a-f]{40}$/.test(headSha) || !(await core.git.objectExists(headSha))) return validationFailed(ctx, [{ resource: 'CheckRun', code: 'invalid', field: 'head_sha', message: `No commit found for SHA: ${headSha}` }]);
    const status = str(ctx.body['status']);
    if ((status === 'completed' || ctx.body['completed_at']) && !ctx.body['conclusion']) return error(ctx, 422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.');
    const id = core.newId('check');
    const suite = [...core.checkRuns].find((c) => c.head_sha === headSha)?.check_suite_id ?? core.newId('suite');
    const c: CheckRunRecord = {
      id,
      node_id: nodeId('CheckRun', id),
      name: str(ctx.body['name']) ?? '',
      head_sha: headSha,
      status: 'queued',
      conclusion: null,
      started_at: isoNow(),
      completed_at: null,
      details_url: null,
      external_id: '',
      output: { title: null, summary: null, text: null },
      annotations: [],
      actions: [],
      check_suite_id: suite,
      history: [],
    };
    applyCheckRunBody(c, ctx.body);
    core.checkRuns.push(c);
    return { status: 201, body: core.checkRun(c), headers: { location: `${core.repoApi}/check-runs/${id}` } };
  },

  'checks/update': async (ctx) => {
    const c = ctx.core.checkRuns.find((x) => x.id === Number(ctx.params['check_run_id']));
    if (!c) return notFound(ctx);
    const limit = checkRunLimits(ctx);
    if (limit) return limit;
    if (str(ctx.body['status']) === 'completed' && !ctx.body['conclusion'] && !c.conclusion) return error(ctx, 422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.');
    applyCheckRunBody(c, ctx.body);
    return { status: 200, body: ctx.core.checkRun(c) };
  },

  'checks/get': async (ctx) => {
    const c = ctx.core.checkRuns.find((x) => x.id === Number(ctx.params['check_run_id']));
    return c ? { status: 200, body: ctx.core.checkRun(c) } : notFound(ctx);
  },

  'checks/list-annotations': async (ctx) => {
    const c = ctx.core.checkRuns.find((x) => x.id === Number(ctx.params['check_run_id']));
    if (!c) return notFound(ctx);
    return {
      status: 200,
      paginate: true,
      body: c.annotations.map((a) => ({ start_column: null, end_column: null, title: null, raw_details: null, blob_href: `${ctx.core.repoHtml}/blob/${c.head_sha}/${String(a['path'])}`, ...a })),
    };
  },

  'checks/list-for-ref': async (ctx) => {
    const sha = await ctx.core.git.resolve(ctx.params['ref'] ?? '');
    if (!sha) return error(ctx, 422, `No commit found for SHA: ${ctx.params['ref'] ?? ''}`);
    let runs = ctx.core.checkRuns.filter((c) => c.head_sha === sha);
    const name = str(ctx.query['check_name']);
    const status = str(ctx.query['status']);
    if (name) runs = runs.filter((c) => c.name === name);
    if (status) runs = runs.filter((c) => c.status === status);
    if ((str(ctx.query['filter']) ?? 'latest') === 'latest') {
      const latest = new Map<string, CheckRunRecord>();
      for (const c of runs) latest.set(c.name, c);
      runs = [...latest.values()];
    }
    runs = [...runs].sort((a, b) => b.id - a.id);
    return { status: 200, paginateKey: 'check_runs', body: { total_count: runs.length, check_runs: runs.map((c) => ctx.core.checkRun(c)) } };
  },

  // ------------------------------------------------------------------------------------ actions
  'actions/get-workflow-run': async (ctx) => {
    const r = ctx.core.runs.get(Number(ctx.params['run_id']));
    return r ? { status: 200, body: ctx.core.workflowRun(r) } : notFound(ctx);
  },

  'actions/cancel-workflow-run': async (ctx) => {
    const r = ctx.core.runs.get(Number(ctx.params['run_id']));
    if (!r) return notFound(ctx);
    if (r.status === 'completed') return error(ctx, 409, 'Cannot cancel a workflow run that is completed.');
    r.status = 'completed';
    r.conclusion = 'cancelled';
    r.updated_at = isoNow();
    return { status: 202, body: {} };
  },

  'actions/list-workflow-run-artifacts': async (ctx) => {
    const runId = Number(ctx.params['run_id']);
    if (!ctx.core.runs.has(runId)) return notFound(ctx);
    const name = str(ctx.query['name']);
    const list = ctx.core.artifacts.artifacts.filter((a) => a.finalized && a.runId === runId && (!name || a.name === name));
    return { status: 200, paginateKey: 'artifacts', body: { total_count: list.length, artifacts: list.map((a) => ctx.core.artifact(a)) } };
  },

  'actions/list-artifacts-for-repo': async (ctx) => {
    const name = str(ctx.query['name']);
    const list = ctx.core.artifacts.artifacts.filter((a) => a.finalized && (!name || a.name === name)).reverse();
    return { status: 200, paginateKey: 'artifacts', body: { total_count: list.length, artifacts: list.map((a) => ctx.core.artifact(a)) } };
  },

  'actions/get-artifact': async (ctx) => {
    const a = ctx.core.artifacts.artifacts.find((x) => x.finalized && x.id === Number(ctx.params['artifact_id']));
    return a ? { status: 200, body: ctx.core.artifact(a) } : notFound(ctx);
  },

  'actions/download-artifact': async (ctx) => {
    const a = ctx.core.artifacts.artifacts.find((x) => x.finalized && x.id === Number(ctx.params['artifact_id']));
    if (!a) return notFound(ctx);
    if (ctx.params['archive_format'] !== 'zip') return notFound(ctx);
    return { status: 302, headers: { location: ctx.core.artifacts.signedUrl(a, 'r') } };
  },

  'actions/delete-artifact': async (ctx) => {
    const list = ctx.core.artifacts.artifacts;
    const i = list.findIndex((x) => x.finalized && x.id === Number(ctx.params['artifact_id']));
    if (i < 0) return notFound(ctx);
    list.splice(i, 1);
    return { status: 204 };
  },
};

export async function addReview(core: DoubleCore, rec: IssueRecord, user: string, state: ReviewRecord['state'], body = ''): Promise<ReviewRecord> {
  if (!rec.pull) throw new Error(`#${rec.number} is not a pull request`);
  const { head } = await core.pullShas(rec);
  const review: ReviewRecord = { id: core.newId('review'), user, state, body, commit_id: head ?? '', submitted_at: isoNow() };
  rec.pull.reviews.push(review);
  return review;
}

function reviewObject(core: DoubleCore, rec: IssueRecord, r: ReviewRecord): Obj {
  return {
    id: r.id,
    node_id: nodeId('PullRequestReview', r.id),
    user: core.user(r.user),
    body: r.body,
    state: r.state,
    html_url: `${core.repoHtml}/pull/${rec.number}#pullrequestreview-${r.id}`,
    pull_request_url: `${core.repoApi}/pulls/${rec.number}`,
    _links: { html: { href: `${core.repoHtml}/pull/${rec.number}#pullrequestreview-${r.id}` }, pull_request: { href: `${core.repoApi}/pulls/${rec.number}` } },
    submitted_at: r.submitted_at,
    commit_id: r.commit_id,
    author_association: 'COLLABORATOR',
  };
}
