/**
 * The dashboard issue: the body as a pure function (rows, French, escaping, size, state round trip)
 * and the issue on the GitHub double (create, converge, refresh, concurrent writers, permissions).
 */
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { DASHBOARD_TITLE, parseDashboard, renderDashboard, updateDashboard, type DashboardEntry } from '../../src/github/dashboard.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { startGitHubDouble, type GitHubDouble } from './double/index.js';

const tenants = (...names: string[]) => names.map((name) => ({ name }));

/** The table rows of a body, each as its cells (split on unescaped pipes) */
function tableRows(body: string): string[][] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

const idle = (tenant: string, extra: Partial<DashboardEntry> = {}): DashboardEntry => ({
  tenant,
  status: 'Idle',
  updatedAt: '2025-03-04T05:06:07.000Z',
  lastSyncAt: '2025-03-04T05:06:07.000Z',
  runUrl: 'https://github.com/contoso/tenant-config/actions/runs/11',
  ...extra,
});

describe('renderDashboard and parseDashboard', () => {
  it('has one row per configured tenant in the configuration order, Not run without an entry, and drops removed tenants', () => {
    const entries = {
      zeta: idle('zeta'),
      alpha: idle('alpha', {
        status: 'Pending approval',
        pullRequest: { number: 12, url: 'https://github.com/contoso/tenant-config/pull/12' },
      }),
      removed: idle('removed'),
    };
    const body = renderDashboard(tenants('zeta', 'middle', 'alpha'), entries, 'en');
    const rows = tableRows(body);
    expect(rows[0]).toEqual(['Tenant', 'Status', 'Last sync', 'Run', 'Approval pull request', 'Note']);
    expect(rows.slice(2).map((r) => r.slice(0, 2))).toEqual([
      ['zeta', 'Idle'],
      ['middle', 'Not run'],
      ['alpha', 'Pending approval'],
    ]);
    expect(rows[2]?.[2]).toBe('2025-03-04 05:06 UTC');
    expect(rows[2]?.[3]).toBe('[run](https://github.com/contoso/tenant-config/actions/runs/11)');
    expect(rows[4]?.[4]).toBe('[#12](https://github.com/contoso/tenant-config/pull/12)');
    expect(rows[3]?.slice(2)).toEqual(['', '', '', '']);
    expect(body).not.toContain('removed');
    expect(parseDashboard(body)).toEqual({ zeta: entries.zeta, alpha: entries.alpha });
  });

  it('writes what to do in the note: error with its page, device code, admin consent, message', () => {
    const body = renderDashboard(
      tenants('a', 'b', 'c'),
      {
        a: idle('a', { status: 'New error', error: { code: 'AUTH_BAD_SECRET', message: 'The client secret was rejected', docs: 'https://example.com/docs/AUTH_BAD_SECRET.md' } }),
        b: idle('b', { status: 'Pending authentication', deviceCode: { verificationUri: 'https://microsoft.com/devicelogin', userCode: 'ABCD-EFGH', waitUntil: '2025-03-04T05:09:07Z' } }),
        c: idle('c', { status: 'Pending admin consent', consentUrl: 'https://login.microsoftonline.com/t/adminconsent?client_id=x', message: 'DeviceManagementConfiguration.Read.All is not granted' }),
      },
      'en',
    );
    const notes = tableRows(body)
      .slice(2)
      .map((r) => r[5]);
    expect(notes).toEqual([
      '`AUTH_BAD_SECRET`: The client secret was rejected ([troubleshooting](https://example.com/docs/AUTH_BAD_SECRET.md))',
      'Enter `ABCD-EFGH` at [https://microsoft.com/devicelogin](https://microsoft.com/devicelogin) before 2025-03-04 05:09 UTC',
      '[Grant admin consent](https://login.microsoftonline.com/t/adminconsent?client_id=x)<br>DeviceManagementConfiguration.Read.All is not granted',
    ]);
  });

  it('speaks French when asked, with the French status names', () => {
    const body = renderDashboard(tenants('a', 'b'), { a: idle('a', { status: 'Partially successful' }) }, 'fr');
    const rows = tableRows(body);
    expect(rows[0]?.[0]).toBe('Locataire');
    expect(rows[0]?.[1]).toBe('Statut');
    expect(rows.slice(2).map((r) => r[1])).toEqual(['Partiellement réussi', 'Non exécuté']);
    expect(body).not.toMatch(/Tenant|Last sync|Not run/);
  });

  it('keeps cells on one line and in their column, and the state comment unbroken, whatever the text', () => {
    const nasty = 'a | b\nsecond line --> <!-- x --> <script>alert(1)</script> \\| end';
    const entry = idle('odd|name', { message: nasty, runUrl: 'javascript:alert(1)', error: { code: 'X', message: nasty, docs: 'https://e.com/a b)|c' } });
    const body = renderDashboard(tenants('odd|name'), { 'odd|name': entry }, 'en');
    const rows = tableRows(body);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows[2]?.[0]).toBe('odd\\|name');
    expect(rows[2]?.[3]).toBe('');
    const visible = body.slice(0, body.indexOf('<!--'));
    expect(visible).not.toContain('<script');
    expect(visible).not.toContain('javascript:');
    expect(body.match(/<!--/g)).toHaveLength(1);
    expect(body.match(/-->/g)).toHaveLength(1);
    expect(body.trimEnd().endsWith('-->')).toBe(true);
    expect(parseDashboard(body)).toEqual({ 'odd|name': entry });
  });

  it('stays within 65,536 characters: long messages are shortened, then rows left out', () => {
    const names = Array.from({ length: 60 }, (_, i) => `tenant-${i}`);
    const long = Object.fromEntries(names.map((n) => [n, idle(n, { status: 'New error', message: 'm'.repeat(2000), error: { code: 'GRAPH_READ_FAILED', message: 'e'.repeat(2000), docs: 'https://e.com/x' } })]));
    const body = renderDashboard(tenants(...names), long, 'en');
    expect(body.length).toBeLessThanOrEqual(65_536);
    const parsed = parseDashboard(body);
    expect(Object.keys(parsed)).toEqual(names);
    expect(parsed['tenant-0']).toMatchObject({ status: 'New error', error: { code: 'GRAPH_READ_FAILED' } });
    expect(parsed['tenant-0']?.error?.message.length).toBeLessThan(2000);
    expect(tableRows(body)).toHaveLength(62);

    const many = Array.from({ length: 2000 }, (_, i) => `customer-tenant-${i}`);
    const huge = renderDashboard(tenants(...many), Object.fromEntries(many.map((n) => [n, idle(n)])), 'en');
    expect(huge.length).toBeLessThanOrEqual(65_536);
    expect(huge).toMatch(/… and \d+ more tenants/);
    const kept = Object.keys(parseDashboard(huge));
    expect(kept.length).toBeGreaterThan(100);
    expect(kept).toEqual(many.slice(0, kept.length));
  });

  it('reads nothing from a body without valid state, and drops only the invalid entries', () => {
    for (const garbage of [undefined, null, '', 'hello', '<!-- tenant-sync:dashboard-state {not json -->', '<!-- tenant-sync:dashboard-state [1,2] -->', '<!-- tenant-sync:dashboard-state null -->']) {
      expect(parseDashboard(garbage)).toEqual({});
    }
    const state = {
      good: idle('good'),
      badStatus: { ...idle('badStatus'), status: 'Sleeping' },
      mismatched: idle('someone-else'),
      notAnObject: 42,
      __proto__: idle('__proto__'),
    };
    const parsed = parseDashboard(`text\n<!-- tenant-sync:dashboard-state ${JSON.stringify(state)} -->\n`);
    expect(Object.keys(parsed)).toEqual(['good']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });
});

describe('updateDashboard on GitHub', () => {
  let gh: GitHubDouble;
  beforeEach(async () => {
    gh = await startGitHubDouble({ owner: 'contoso', repo: 'tenant-config', defaultBranch: 'main' });
  });
  afterEach(async () => {
    expect(gh.problems()).toEqual([]);
    await gh.close();
  });

  async function context(): Promise<RepoContext> {
    return createRepoContext({
      env: { GITHUB_REPOSITORY: 'contoso/tenant-config', GITHUB_API_URL: gh.apiUrl, GITHUB_SERVER_URL: gh.serverUrl, GITHUB_RUN_ID: '77' },
      token: gh.token,
      defaultBranch: 'main',
      sha: (await gh.resolve('main')) as string,
    });
  }
  const openDashboards = () => gh.issues().filter((i) => i.state === 'open' && i.labels.includes('tenant-sync:dashboard'));

  it('creates the issue with its label, Not run for the others and the run link, then converges without writing', async () => {
    const ctx = await context();
    const log = createMemoryLogger();
    const entry = idle('contoso', { runUrl: undefined });
    const options = { tenants: tenants('contoso', 'fabrikam'), language: 'en' as const, entry, log };
    const first = await updateDashboard(ctx, options);

    const [issue, ...others] = openDashboards();
    expect(others).toEqual([]);
    expect(first).toEqual({ number: issue?.number, url: `${gh.serverUrl}/contoso/tenant-config/issues/${issue?.number}` });
    expect(issue?.title).toBe(DASHBOARD_TITLE);
    const rows = tableRows(issue?.body ?? '');
    expect(rows.slice(2).map((r) => [r[0], r[1], r[3]])).toEqual([
      ['contoso', 'Idle', `[run](${gh.serverUrl}/contoso/tenant-config/actions/runs/77)`],
      ['fabrikam', 'Not run', ''],
    ]);

    const bodyBefore = issue?.body;
    const updates = gh.calls('issues/update').length;
    const second = await updateDashboard(ctx, options);
    expect(second).toEqual(first);
    expect(gh.calls('issues/update')).toHaveLength(updates);
    expect(gh.calls('issues/create')).toHaveLength(1);
    expect(gh.issue(first!.number)?.body).toBe(bodyBefore);
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
  });

  it('refreshes without an entry (the status command): new tenants Not run, removed tenants dropped', async () => {
    const ctx = await context();
    const log = createMemoryLogger();
    for (const t of ['a', 'b', 'c']) await updateDashboard(ctx, { tenants: tenants('a', 'b', 'c'), language: 'en', entry: idle(t), log });
    const result = await updateDashboard(ctx, { tenants: tenants('c', 'a', 'd'), language: 'fr', log });
    const body = gh.issue(result!.number)?.body ?? '';
    expect(tableRows(body).slice(2).map((r) => [r[0], r[1]])).toEqual([
      ['c', 'Inactif'],
      ['a', 'Inactif'],
      ['d', 'Non exécuté'],
    ]);
    expect(Object.keys(parseDashboard(body))).toEqual(['c', 'a']);
    expect(openDashboards()).toHaveLength(1);
  });

  it('keeps the last sync time of an entry through the next sync that does not give one', async () => {
    const ctx = await context();
    const log = createMemoryLogger();
    const list = tenants('a');
    await updateDashboard(ctx, { tenants: list, language: 'en', entry: idle('a', { updatedAt: '2025-01-01T10:00:00Z', lastSyncAt: '2025-01-01T10:00:00Z' }), log });
    const result = await updateDashboard(ctx, { tenants: list, language: 'en', entry: { tenant: 'a', status: 'In progress', updatedAt: '2025-01-02T10:00:00Z' }, log });
    const state = parseDashboard(gh.issue(result!.number)?.body);
    expect(state['a']).toMatchObject({ status: 'In progress', lastSyncAt: '2025-01-01T10:00:00Z' });
  });

  it('uses the lowest open dashboard issue, never a pull request, and survives a garbage body', async () => {
    const ctx = await context();
    const octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });
    await gh.commitFiles('feature', { 'x.txt': 'x\n' }, 'Feature', { from: 'main' });
    const pull = await octokit.rest.pulls.create({ owner: 'contoso', repo: 'tenant-config', head: 'feature', base: 'main', title: 'A labelled pull request' });
    await octokit.rest.issues.addLabels({ owner: 'contoso', repo: 'tenant-config', issue_number: pull.data.number, labels: ['tenant-sync:dashboard'] });
    const mine = await octokit.rest.issues.create({ owner: 'contoso', repo: 'tenant-config', title: 'dashboard', labels: ['tenant-sync:dashboard'], body: 'edited by hand <!-- tenant-sync:dashboard-state {"a": oops -->' });
    const later = await octokit.rest.issues.create({ owner: 'contoso', repo: 'tenant-config', title: 'another', labels: ['tenant-sync:dashboard'], body: 'x' });

    const log = createMemoryLogger();
    const result = await updateDashboard(ctx, { tenants: tenants('a', 'b'), language: 'en', entry: idle('b'), log });
    expect(result?.number).toBe(mine.data.number);
    expect(Object.keys(parseDashboard(gh.issue(mine.data.number)?.body))).toEqual(['b']);
    expect(gh.issue(later.data.number)?.body).toBe('x');
    expect(gh.pull(pull.data.number)?.body ?? null).toBeNull();
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
  });

  it('two jobs updating at once for different tenants both end up in one issue', async () => {
    const [ctxA, ctxB] = [await context(), await context()];
    const list = tenants('alpha', 'beta', 'gamma');
    const [a, b] = await Promise.all([
      updateDashboard(ctxA, { tenants: list, language: 'en', entry: idle('alpha'), log: createMemoryLogger() }),
      updateDashboard(ctxB, { tenants: list, language: 'en', entry: idle('beta', { status: 'New error' }), log: createMemoryLogger() }),
    ]);
    const open = openDashboards();
    expect(open).toHaveLength(1);
    expect(a?.number).toBe(open[0]?.number);
    expect(b?.number).toBe(open[0]?.number);
    const state = parseDashboard(open[0]?.body);
    expect(Object.keys(state).sort()).toEqual(['alpha', 'beta']);
    expect(state['beta']?.status).toBe('New error');
  });

  it('writes its entry again when another job overwrote it with what it read before', async () => {
    const ctx = await context();
    const list = tenants('alpha', 'beta', 'gamma');
    const seeded = await updateDashboard(ctx, { tenants: list, language: 'en', entry: idle('gamma'), log: createMemoryLogger() });
    const staleWithBeta = renderDashboard(list, { gamma: idle('gamma'), beta: idle('beta') }, 'en');

    // The other job read the issue before our write and writes its own entry right after it.
    const other = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });
    let raced = false;
    ctx.octokit.hook.after('request', async (_response, options) => {
      if (!raced && options.method === 'PATCH' && String(options.url).includes('/issues/')) {
        raced = true;
        await other.rest.issues.update({ owner: 'contoso', repo: 'tenant-config', issue_number: seeded!.number, body: staleWithBeta });
      }
    });
    const log = createMemoryLogger();
    const updates = gh.calls('issues/update').length;
    await updateDashboard(ctx, { tenants: list, language: 'en', entry: idle('alpha'), log });

    expect(raced).toBe(true);
    expect(Object.keys(parseDashboard(gh.issue(seeded!.number)?.body)).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(gh.calls('issues/update')).toHaveLength(updates + 3);
    expect(log.lines.some((l) => l.includes('another job replaced the entry of alpha'))).toBe(true);
  });

  it('lets a newer entry for the same tenant stand', async () => {
    const ctx = await context();
    const list = tenants('alpha');
    const seeded = await updateDashboard(ctx, { tenants: list, language: 'en', entry: idle('alpha', { updatedAt: '2025-01-01T00:00:00Z' }), log: createMemoryLogger() });
    const newer = idle('alpha', { status: 'New error', updatedAt: '2025-01-03T00:00:00Z' });
    const other = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl });
    let raced = false;
    ctx.octokit.hook.after('request', async (_response, options) => {
      if (!raced && options.method === 'PATCH') {
        raced = true;
        await other.rest.issues.update({ owner: 'contoso', repo: 'tenant-config', issue_number: seeded!.number, body: renderDashboard(list, { alpha: newer }, 'en') });
      }
    });
    const updates = gh.calls('issues/update').length;
    const log = createMemoryLogger();
    await updateDashboard(ctx, { tenants: list, language: 'en', entry: idle('alpha', { status: 'Idle', updatedAt: '2025-01-02T00:00:00Z' }), log });
    expect(raced).toBe(true);
    // Accepted at the first read back: no retry, no warning.
    expect(log.lines).toEqual([]);
    expect(gh.calls('issues/update')).toHaveLength(updates + 2);
    expect(parseDashboard(gh.issue(seeded!.number)?.body)['alpha']).toEqual(newer);
  });

  it('without issues: write, warns once with the fix and gives undefined, never throws', async () => {
    const ctx = await context();
    const log = createMemoryLogger();
    gh.failNext({ operationId: 'issues/list-for-repo', status: 403, message: 'Resource not accessible by integration', times: 1 });
    gh.failNext({ operationId: 'issues/create', status: 403, message: 'Resource not accessible by integration', times: 1 });
    const options = { tenants: tenants('a'), language: 'en' as const, entry: idle('a'), log };
    await expect(updateDashboard(ctx, options)).resolves.toBeUndefined();
    await expect(updateDashboard(ctx, options)).resolves.toBeUndefined();
    const warnings = log.lines.filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('403');
    expect(warnings[0]).toContain('permissions: issues: write');
    expect(gh.issues()).toEqual([]);
    // Once allowed again, it works.
    expect(await updateDashboard(ctx, options)).toMatchObject({ number: expect.any(Number) });
  });
});
