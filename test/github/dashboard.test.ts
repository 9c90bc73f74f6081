/**
 * The dashboard issue: the body as a pure function (one row per tenant in every status with its
 * action links, the sections of the tenants in error, French, escaping, size, state round trip),
 * the merge of an entry into the stored ones (since, last success, pull request), and the issue on
 * the GitHub double (create, converge, refresh, concurrent writers, permissions).
 *
 * The rendered matrix is kept in docs/dashboard-example.md and docs/dashboard-example.fr.md; a test
 * fails when they differ from the rendering. Regenerate them with
 * `UPDATE_DASHBOARD_EXAMPLES=1 npx vitest run test/github/dashboard.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authErrorFromMsal } from '../../src/auth/errors.js';
import { frenchErrorCatalogue } from '../../src/errors/index.js';
import { createRepoContext, type RepoContext } from '../../src/github/context.js';
import { DASHBOARD_BODY_LIMIT, DASHBOARD_TITLE, mergeEntry, parseDashboard, renderDashboard, updateDashboard, type DashboardEntry } from '../../src/github/dashboard.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { textsFor } from '../../src/main/texts.js';
import { statusName, syncStatuses, type Language, type SyncStatus } from '../../src/status/index.js';
import { frenchTypographyProblems } from '../frenchTypography.js';
import { startGitHubDouble, type GitHubDouble } from './double/index.js';

const tenants = (...names: string[]) => names.map((name) => ({ name }));

/** The rows of the body's (first) table, each as its cells (split on unescaped pipes) */
function tableRows(body: string): string[][] {
  const lines = body.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

/** The rows by tenant: status, since, last success, pull request, actions */
function rowsByTenant(body: string): Map<string, { status: string; since: string; success: string; pull: string; actions: string }> {
  return new Map(
    tableRows(body)
      .slice(2)
      .map((r) => [r[0]!, { status: r[1]!, since: r[2]!, success: r[3]!, pull: r[4]!, actions: r[5]! }]),
  );
}

/** The sections below the table, by their heading "### <tenant> — <status>" */
function sections(body: string): Map<string, string> {
  const visible = body.slice(0, body.lastIndexOf('<!-- tenant-sync:dashboard-state'));
  return new Map(
    visible
      .split(/^### /m)
      .slice(1)
      .map((s) => [s.slice(0, s.indexOf('\n')), s.slice(s.indexOf('\n') + 1).trim()]),
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

// ------------------------------------------------------------------------------------------------
// One tenant in every status

const repo = 'https://github.com/contoso/tenant-config';
const RUN = `${repo}/actions/runs/4242`;
const CHECK = `${repo}/runs/90017`;
const ARTIFACT = `${RUN}/artifacts/555`;
const PULL = `${repo}/pull/12`;
const CONSENT = 'https://login.microsoftonline.com/0b6d4a3e-1f2a-4c3b-9d8e-7f6a5b4c3d2e/adminconsent?client_id=6e1f0c4b-3a2d-4e5f-8a9b-0c1d2e3f4a5b';
const docs = (code: string) => `https://github.com/tenant-sync/tenant-sync/blob/main/docs/troubleshooting/${code}.md`;
const ERROR_MESSAGE = [
  'The client secret of the application 6e1f0c4b-3a2d-4e5f-8a9b-0c1d2e3f4a5b was rejected (AADSTS7000215: Invalid client secret provided).',
  'Trace ID: 3f2e1d0c-b9a8-4766-5544-332211009988',
  'Correlation ID: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  'Timestamp: 2025-03-04 05:06:01Z',
].join('\n');

/** The tenant of each status, in the configuration's order (northwind has no entry: Not run) */
const matrixTenants = tenants('northwind', 'adatum', 'tailspin', 'woodgrove', 'fabrikam', 'contoso', 'litware', 'wingtip', 'proseware');
const tenantOf: Record<SyncStatus, string> = {
  'Not run': 'northwind',
  Starting: 'adatum',
  'In progress': 'tailspin',
  'Pending authentication': 'woodgrove',
  'Pending approval': 'fabrikam',
  Idle: 'contoso',
  'Partially successful': 'litware',
  'New error': 'wingtip',
  'Pending admin consent': 'proseware',
};

/**
 * The fix tenant-sync gives for ERROR_MESSAGE (AADSTS7000215): English in every language, like every
 * error's own message and fix; French mode shows it as the technical detail, under the French title
 * and "what to do" of the code.
 */
const PRODUCT_FIX = authErrorFromMsal({ errorNo: '7000215' }, { tenantId: 't', clientId: 'c', credential: 'secret', authorityHost: 'https://login.microsoftonline.com' }).fix;

/**
 * What a caller would write for each status, as the product gives it: the notes and the sync
 * summary in the dashboard's language (textsFor), errors' messages and fixes (and so the failures')
 * in English whatever the language. The English entries are kept as they were, so that
 * docs/dashboard-example.md does not change.
 */
function matrix(language: Language): Record<string, DashboardEntry> {
  const fr = language === 'fr';
  const t = textsFor(language);
  const base = (tenant: string, status: SyncStatus, since: string, extra: Partial<DashboardEntry> = {}): DashboardEntry => ({
    tenant,
    status,
    updatedAt: '2025-03-04T05:06:07.000Z',
    since,
    lastSyncAt: '2025-03-04T05:00:00.000Z',
    lastSuccessAt: '2025-03-03T05:04:00.000Z',
    runUrl: RUN,
    checkRunUrl: CHECK,
    ...extra,
  });
  return {
    adatum: base('adatum', 'Starting', '2025-03-04T05:00:00.000Z'),
    tailspin: base('tailspin', 'In progress', '2025-03-04T05:00:30.000Z'),
    woodgrove: base('woodgrove', 'Pending authentication', '2025-03-04T05:01:00.000Z', {
      deviceCode: { verificationUri: 'https://microsoft.com/devicelogin', userCode: 'F7K2-QX9M', waitUntil: '2025-03-04T05:04:00.000Z' },
    }),
    fabrikam: base('fabrikam', 'Pending approval', '2025-03-02T05:06:07.000Z', { pullRequest: { number: 12, url: PULL } }),
    contoso: base('contoso', 'Idle', '2025-02-20T05:06:07.000Z', { lastSuccessAt: '2025-03-04T05:06:07.000Z' }),
    litware: base('litware', 'Partially successful', '2025-03-04T05:06:07.000Z', {
      artifactUrl: ARTIFACT,
      // In French, the product's message of a Partially successful tenant is its last note
      message: fr
        ? t.backupCommitted('tenant-sync/state/litware', '4f2a9c1')
        : 'User authentication failed - Authentication timed out waiting for delegated authentication to complete. Sync again and complete the steps for authentication. Configurations requiring user account authentication will not be backed up until the Sync authenticates successfully.',
      failures: [
        {
          what: 'entra/authenticationStrengthPolicies',
          code: 'AUTH_DEVICE_CODE_TIMEOUT',
          message: 'Delegated type not backed up: no one signed in in time.',
          docs: docs('AUTH_DEVICE_CODE_TIMEOUT'),
        },
        {
          what: 'intune/deviceCompliancePolicies',
          code: 'GRAPH_READ_FAILED',
          message: 'Could not be read: Graph answered 503 after 5 attempts.',
          docs: docs('GRAPH_READ_FAILED'),
        },
        {
          what: 'Block legacy authentication (entra/conditionalAccessPolicies)',
          code: 'DEPLOY_WRITE_FAILED',
          message: 'Graph refused the update: 400 Bad Request.',
          docs: docs('DEPLOY_WRITE_FAILED'),
        },
      ],
      report: fr
        ? [t.reportLine(12, 14, 214, 3, 0), t.notBackedUp('entra/authenticationStrengthPolicies, intune/deviceCompliancePolicies'), t.reportDeploy('partial', 2, 1, 0)].join(' ')
        : '| type | status | objects |\n|---|---|---:|\n| entra/conditionalAccessPolicies | read | 14 |\n| intune/deviceCompliancePolicies | failed | 0 |\n\n2 deployed, 1 failed.',
    }),
    wingtip: base('wingtip', 'New error', '2025-03-01T05:06:07.000Z', {
      lastSuccessAt: '2025-02-28T05:06:07.000Z',
      artifactUrl: ARTIFACT,
      error: {
        code: 'AUTH_BAD_SECRET',
        message: ERROR_MESSAGE,
        docs: docs('AUTH_BAD_SECRET'),
        fix: fr
          ? PRODUCT_FIX
          : 'Create a new client secret for the application and store it in the repository secret that tenant-sync.yml names.',
      },
      // A sign-in that failed reads nothing: the product has no summary for it
      report: fr ? undefined : 'No object read: sign-in failed before any read.',
    }),
    proseware: base('proseware', 'Pending admin consent', '2025-03-04T05:06:07.000Z', {
      consentUrl: CONSENT,
      missingPermissions: ['DeviceManagementConfiguration.Read.All', 'Policy.Read.All'],
    }),
  };
}

/** The texts the rows and sections must show, per language */
const expected = {
  en: {
    watch: `[Watch the run](${RUN})`,
    cancel: `To cancel: **Cancel sync** on the [check run](${CHECK}), or **Cancel workflow** on the run's page`,
    device: 'Open [https://microsoft.com/devicelogin](https://microsoft.com/devicelogin) and enter the code `F7K2-QX9M` (valid until 2025-03-04 05:04 UTC)',
    approval: `Review [#12](${PULL}): merge it to approve, close it to reject, or close it with the label \`tenant-sync:revert\` to reject and revert; or use **Approve**, **Reject** or **Reject and Revert** on the [check run](${CHECK}).`,
    viewJob: `[View job](${RUN})`,
    downloads: `[Download logs and artifacts](${ARTIFACT})`,
    failedBelow: 'What failed: see below',
    errorBelow: `\`AUTH_BAD_SECRET\`: details below · [Troubleshooting](${docs('AUTH_BAD_SECRET')})`,
    consent: `[Grant admin consent](${CONSENT})`,
    missing: 'Missing permissions: `DeviceManagementConfiguration.Read.All`, `Policy.Read.All`',
    code: `Code: \`AUTH_BAD_SECRET\` · [Troubleshooting](${docs('AUTH_BAD_SECRET')})`,
    fix: '**What to do:** Create a new client secret',
    whatFailed: '**What failed:**',
    failure: `- **intune/deviceCompliancePolicies**: Could not be read: Graph answered 503 after 5 attempts. (\`GRAPH_READ_FAILED\`, [Troubleshooting](${docs('GRAPH_READ_FAILED')}))`,
    summary: '<details><summary>Sync summary</summary>',
  },
  fr: {
    watch: `[Suivre l’exécution](${RUN})`,
    cancel: `Pour l’annuler : **Annuler la synchro** sur l’[exécution de vérification](${CHECK}), ou **Cancel workflow** sur la page de l’exécution`,
    device: "Ouvrez [https://microsoft.com/devicelogin](https://microsoft.com/devicelogin) et entrez le code `F7K2-QX9M` (valable jusqu’au 2025-03-04 05:04 UTC)",
    approval: `Examinez la demande de tirage [#12](${PULL}) : fusionnez-la pour approuver, fermez-la pour rejeter, ou fermez-la avec l’étiquette \`tenant-sync:revert\` pour rejeter et rétablir ; ou utilisez **Approuver**, **Rejeter** ou **Rejeter et rétablir** sur l’[exécution de vérification](${CHECK}).`,
    viewJob: `[Afficher le travail](${RUN})`,
    downloads: `[Télécharger les journaux et les artefacts](${ARTIFACT})`,
    failedBelow: 'Ce qui a échoué : voir ci-dessous',
    errorBelow: `\`AUTH_BAD_SECRET\` : détails ci-dessous · [Dépannage](${docs('AUTH_BAD_SECRET')})`,
    consent: `[Accorder le consentement administrateur](${CONSENT})`,
    missing: 'Autorisations manquantes : `DeviceManagementConfiguration.Read.All`, `Policy.Read.All`',
    code: `Code : \`AUTH_BAD_SECRET\` · [Dépannage](${docs('AUTH_BAD_SECRET')})`,
    fix: `**Que faire :** ${frenchErrorCatalogue.AUTH_BAD_SECRET.fix}`,
    whatFailed: '**Ce qui a échoué :**',
    failure: `- **intune/deviceCompliancePolicies** : Un type n’a pas pu être lu depuis Graph (\`GRAPH_READ_FAILED\`, [Dépannage](${docs('GRAPH_READ_FAILED')}))<br>Détail technique : Could not be read: Graph answered 503 after 5 attempts.`,
    summary: '<details><summary>Résumé de la synchronisation</summary>',
  },
} satisfies Record<Language, Record<string, string>>;

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
const exampleFile = (language: Language) => join(examplesDir, language === 'fr' ? 'dashboard-example.fr.md' : 'dashboard-example.md');

describe.each(['en', 'fr'] as const)('every status on the dashboard (%s)', (language) => {
  const entries = matrix(language);
  const body = renderDashboard(matrixTenants, entries, language);
  const rows = rowsByTenant(body);
  const below = sections(body);
  const x = expected[language];
  const row = (status: SyncStatus) => rows.get(tenantOf[status])!;

  it('has one row per tenant, in the configuration order, with its status in the language, since when and the last successful sync', () => {
    expect([...rows.keys()]).toEqual(matrixTenants.map((t) => t.name));
    for (const status of syncStatuses) {
      const r = row(status);
      if (status === 'New error') expect(r.status).toMatch(new RegExp(`^\\[${statusName(status, language)}\\]\\(`));
      else expect(r.status, status).toBe(statusName(status, language));
    }
    expect(row('Not run')).toEqual({ status: statusName('Not run', language), since: '', success: '', pull: '', actions: '' });
    expect(row('Idle')).toMatchObject({ since: '2025-02-20 05:06 UTC', success: '2025-03-04 05:06 UTC' });
    expect(row('New error')).toMatchObject({ since: '2025-03-01 05:06 UTC', success: '2025-02-28 05:06 UTC' });
    expect(row('Starting').since).toBe('2025-03-04 05:00 UTC');
    if (language === 'fr') expect(body).not.toMatch(/\| (Tenant|Status|Since|Last successful sync|Not run|Idle) \|/);
    // French typography (non-breaking space before : ; ? !, ’), outside the English error text and the state
    // and outside the technical details (the errors' own English words)
    const french = body
      .slice(0, body.lastIndexOf('<!--'))
      .replace(/```text\n[\s\S]*?\n```/g, '')
      .replace(/<br>Détail technique\u00a0: [^\n]*/g, '');
    if (language === 'fr') expect(frenchTypographyProblems(french)).toEqual([]);
  });

  it('New error: the status links to the run, with the error\'s first line as its title (after the code\'s title in French); the row gives the code and its page', () => {
    const firstLine = ERROR_MESSAGE.split('\n')[0]!;
    const title = language === 'fr' ? `${frenchErrorCatalogue.AUTH_BAD_SECRET.title} — ${firstLine}` : firstLine;
    expect(row('New error').status).toBe(`[${statusName('New error', language)}](${RUN} "${title}")`);
    expect(row('New error').actions).toBe(x.errorBelow);
  });

  it('Starting and In progress: the live run and how to cancel it', () => {
    for (const status of ['Starting', 'In progress'] as const) {
      expect(row(status).actions, status).toBe(`${x.watch}<br>${x.cancel}`);
    }
  });

  it('Pending authentication: the verification URL, the user code and until when', () => {
    expect(row('Pending authentication').actions).toBe(`${x.device}<br>${x.watch}`);
  });

  it('Pending approval: the pull request, how to approve, reject or revert, and the buttons on the check run', () => {
    expect(row('Pending approval').pull).toBe(`[#12](${PULL})`);
    expect(row('Pending approval').actions).toBe(`${x.approval}<br>${x.viewJob}`);
    for (const status of syncStatuses.filter((s) => s !== 'Pending approval')) expect(row(status).pull, status).toBe('');
  });

  it('Idle: the job', () => {
    expect(row('Idle').actions).toBe(x.viewJob);
  });

  it('Partially successful: what failed is below the table, with the job and its artifacts', () => {
    expect(row('Partially successful').actions).toBe(`${x.failedBelow}<br>${x.viewJob} · ${x.downloads}`);
    const section = below.get(`litware — ${statusName('Partially successful', language)}`)!;
    expect(section).toBeDefined();
    expect(section).toContain(entries['litware']!.message!);
    expect(section).toContain(x.whatFailed);
    for (const f of entries['litware']!.failures!) {
      expect(section).toContain(`- **${f.what}**`);
      expect(section).toContain(`[${language === 'fr' ? 'Dépannage' : 'Troubleshooting'}](${f.docs})`);
      expect(section).toContain(`\`${f.code}\``);
    }
    expect(section).toContain(x.failure);
    if (language === 'fr') {
      // What to do, once per code, in French
      expect(section).toContain(`**Que faire\u00a0:**\n\n- \`AUTH_DEVICE_CODE_TIMEOUT\`\u00a0: ${frenchErrorCatalogue.AUTH_DEVICE_CODE_TIMEOUT.fix}\n- \`GRAPH_READ_FAILED\``);
    }
    expect(section).toContain(`${x.summary}\n\n${entries['litware']!.report}\n\n</details>`);
    expect(section.endsWith(`${x.viewJob} · ${x.downloads}`)).toBe(true);
  });

  it('New error: below the table, the error in full in a fenced block, its code, page and fix, the summary, the job and the downloads', () => {
    const section = below.get(`wingtip — ${statusName('New error', language)}`)!;
    expect(section).toBeDefined();
    if (language === 'en') {
      expect(section.startsWith(`\`\`\`text\n${ERROR_MESSAGE}\n\`\`\`\n`)).toBe(true);
      expect(section).toContain(`${x.summary}\n\n${entries['wingtip']!.report}\n\n</details>`);
    } else {
      // The code's French title and "what to do" first, then the error's own message and fix verbatim, as the technical detail
      expect(section.startsWith(`**${frenchErrorCatalogue.AUTH_BAD_SECRET.title}**\n`)).toBe(true);
      expect(section).toContain(`**Détail technique (texte d’origine, en anglais)\u00a0:**\n\n\`\`\`text\n${ERROR_MESSAGE}\nFix: ${PRODUCT_FIX}\n\`\`\`\n`);
      expect(section.indexOf(x.fix)).toBeLessThan(section.indexOf('```text'));
      expect(section).not.toContain(x.summary);
    }
    expect(section).toContain(x.code);
    expect(section).toContain(x.fix);
    expect(section.endsWith(`${x.viewJob} · ${x.downloads}`)).toBe(true);
  });

  it('Pending admin consent: the consent link, the missing permissions and the job', () => {
    expect(row('Pending admin consent').actions).toBe(`${x.consent}<br>${x.missing}<br>${x.viewJob}`);
  });

  it('has a section only for the tenants in error or partially successful, and reads back every entry', () => {
    expect([...below.keys()]).toEqual([`litware — ${statusName('Partially successful', language)}`, `wingtip — ${statusName('New error', language)}`]);
    expect(parseDashboard(body)).toEqual(entries);
    expect(body.length).toBeLessThanOrEqual(DASHBOARD_BODY_LIMIT);
  });

  it(`is the example in docs/${language === 'fr' ? 'dashboard-example.fr.md' : 'dashboard-example.md'} (UPDATE_DASHBOARD_EXAMPLES=1 rewrites it)`, () => {
    if (process.env.UPDATE_DASHBOARD_EXAMPLES === '1') writeFileSync(exampleFile(language), body);
    expect(readFileSync(exampleFile(language), 'utf8')).toBe(body);
  });
});

// ------------------------------------------------------------------------------------------------
// The body: order, escaping, size, state

describe('renderDashboard and parseDashboard', () => {
  it('has one row per configured tenant in the configuration order, Not run without an entry, and drops removed tenants', () => {
    const entries = {
      zeta: idle('zeta', { since: '2025-03-01T00:00:00.000Z', lastSuccessAt: '2025-03-04T05:06:07.000Z' }),
      alpha: idle('alpha', {
        status: 'Pending approval',
        pullRequest: { number: 12, url: 'https://github.com/contoso/tenant-config/pull/12' },
      }),
      removed: idle('removed'),
    };
    const body = renderDashboard(tenants('zeta', 'middle', 'alpha'), entries, 'en');
    const rows = tableRows(body);
    expect(rows[0]).toEqual(['Tenant', 'Status', 'Since', 'Last successful sync', 'Approval pull request', 'Actions']);
    expect(rows.slice(2).map((r) => r.slice(0, 2))).toEqual([
      ['zeta', 'Idle'],
      ['middle', 'Not run'],
      ['alpha', 'Pending approval'],
    ]);
    expect(rows[2]?.slice(2, 4)).toEqual(['2025-03-01 00:00 UTC', '2025-03-04 05:06 UTC']);
    expect(rows[2]?.[5]).toBe('[View job](https://github.com/contoso/tenant-config/actions/runs/11)');
    // without since, the time of the entry
    expect(rows[4]?.[2]).toBe('2025-03-04 05:06 UTC');
    expect(rows[4]?.[4]).toBe('[#12](https://github.com/contoso/tenant-config/pull/12)');
    expect(rows[3]?.slice(2)).toEqual(['', '', '', '']);
    expect(body).not.toContain('removed');
    expect(parseDashboard(body)).toEqual({ zeta: entries.zeta, alpha: entries.alpha });
  });

  it('says an error, a message or a device code of any status in the row when there is no section for it', () => {
    const body = renderDashboard(
      tenants('a', 'b'),
      {
        a: idle('a', { status: 'Pending admin consent', consentUrl: 'https://login.microsoftonline.com/t/adminconsent?client_id=x', message: 'DeviceManagementConfiguration.Read.All is not granted', runUrl: undefined }),
        b: idle('b', { status: 'New error', runUrl: undefined, error: { code: 'AUTH_BAD_SECRET', message: 'The client secret was rejected', docs: 'https://example.com/docs/AUTH_BAD_SECRET.md' } }),
      },
      'en',
    );
    const rows = rowsByTenant(body);
    expect(rows.get('a')?.actions).toBe('[Grant admin consent](https://login.microsoftonline.com/t/adminconsent?client_id=x)<br>DeviceManagementConfiguration.Read.All is not granted');
    // no run: the status links to the troubleshooting page, still with the error as its title
    expect(rows.get('b')?.status).toBe('[New error](https://example.com/docs/AUTH_BAD_SECRET.md "The client secret was rejected")');
  });

  it('shows and keeps the sync summary only for a tenant with a section', () => {
    const body = renderDashboard(tenants('a', 'b'), { a: idle('a', { report: 'all good' }), b: idle('b', { status: 'Partially successful', report: 'half good' }) }, 'en');
    expect(body).not.toContain('all good');
    expect(parseDashboard(body)['a']?.report).toBeUndefined();
    expect(sections(body).get('b — Partially successful')).toBe(`<details><summary>Sync summary</summary>\n\nhalf good\n\n</details>\n\n[View job](https://github.com/contoso/tenant-config/actions/runs/11)`);
  });

  it('keeps cells on one line and in their column, and the state comment unbroken, whatever the text', () => {
    const nasty = 'a | b\nsecond line --> <!-- x --> <script>alert(1)</script> \\| end "quoted" @octocat';
    const entry = idle('odd|name', { message: nasty, runUrl: 'javascript:alert(1)', error: { code: 'X', message: nasty, docs: 'https://e.com/a b)|c' } });
    const body = renderDashboard(tenants('odd|name'), { 'odd|name': entry }, 'en');
    const rows = tableRows(body);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows[2]?.[0]).toBe('odd\\|name');
    expect(rows[2]?.[5]).not.toContain('javascript:');
    const visible = body.slice(0, body.lastIndexOf('<!--'));
    // HTML only inside the fenced error block, where it is text
    const outsideFences = visible.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
    expect(outsideFences).not.toContain('<script');
    expect(outsideFences).not.toContain('<!--');
    expect(outsideFences).not.toContain('-->');
    expect(visible).not.toContain('javascript:');
    // no @mention from the issue (a word joiner follows the @ outside code)
    expect(outsideFences).not.toMatch(/@octocat/);
    expect(body.trimEnd().endsWith('-->')).toBe(true);
    expect(parseDashboard(body)).toEqual({ 'odd|name': entry });
  });

  it('gives the run link a title that cannot end the link or the cell', () => {
    const entry = idle('a', { status: 'New error', error: { code: 'X', message: 'Say "hi" | \\ ) <b>\nsecond line', docs: 'https://e.com/x' } });
    const status = tableRows(renderDashboard(tenants('a'), { a: entry }, 'en'))[2]?.[1];
    expect(status).toBe('[New error](https://github.com/contoso/tenant-config/actions/runs/11 "Say \\"hi\\" \\| \\\\ ) &lt;b&gt;")');
  });

  it('keeps text shown above the state from posing as the state, and caller Markdown inside its block', () => {
    const fake = '<!-- tenant-sync:dashboard-state {"a":{"tenant":"a","status":"Idle","updatedAt":"2030-01-01T00:00:00Z"}} -->';
    const entry = idle('a', {
      status: 'New error',
      error: { code: 'X', message: `boom\n${fake}\n\`\`\`\nstill the error`, docs: 'https://e.com/x' },
      report: `# Report\n${fake}\n</details>\n\n\`\`\`json\n{ "open": "fence"`,
    });
    const body = renderDashboard(tenants('a'), { a: entry }, 'en');
    expect(parseDashboard(body)).toEqual({ a: entry });
    // the error's own ``` does not end its block: the fence is longer
    expect(body).toContain('````text\nboom\n');
    // the report cannot close the <details> early, open a comment, or leave a fence open
    const report = body.slice(body.indexOf('<summary>'), body.indexOf('\n</details>'));
    expect(report).not.toContain('<!--');
    expect(report).not.toMatch(/<\/details/i);
    expect(report.trimEnd().endsWith('```')).toBe(true);
  });

  it('cuts a long report at a line end, with its fences closed', () => {
    const report = `\`\`\`\n${Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n')}\n\`\`\``;
    const body = renderDashboard(tenants('a'), { a: idle('a', { status: 'Partially successful', report }) }, 'en');
    const stored = parseDashboard(body)['a']?.report ?? '';
    expect(stored.length).toBeLessThanOrEqual(4000);
    expect(stored.length).toBeGreaterThan(3000);
    expect(stored.endsWith('\n```\n…')).toBe(true);
    expect(stored).toMatch(/x\n```\n…$/);
    // shrinking again changes nothing: a rerender converges
    expect(renderDashboard(tenants('a'), parseDashboard(body), 'en')).toBe(body);
  });

  it('stays within 65,536 characters with many tenants in error: reports go first, then messages, then the sections, then rows', () => {
    const failing = (n: string, i: number, failures = 30): DashboardEntry =>
      idle(n, {
        status: 'New error',
        since: '2025-03-01T00:00:00Z',
        checkRunUrl: `https://github.com/contoso/tenant-config/runs/${1000 + i}`,
        artifactUrl: `https://github.com/contoso/tenant-config/actions/runs/11/artifacts/${i}`,
        message: 'm'.repeat(2000),
        error: { code: 'GRAPH_READ_FAILED', message: `Graph answered 503 for ${n}\n${'e'.repeat(3000)}`, docs: 'https://e.com/x', fix: 'f'.repeat(500) },
        failures: Array.from({ length: failures }, (_, k) => ({ what: `workload/type${k}`, code: 'GRAPH_READ_FAILED', message: 'x'.repeat(500), docs: 'https://e.com/x' })),
        report: 'r'.repeat(6000),
      });

    // A few tenants: everything, the report cut.
    const few = ['a', 'b'];
    const small = renderDashboard(tenants(...few), Object.fromEntries(few.map((n, i) => [n, failing(n, i, 5)])), 'en');
    expect(sections(small).get('a — New error')).toContain('r'.repeat(3000));
    expect(parseDashboard(small)['a']?.report?.length).toBeLessThanOrEqual(4000);
    expect(parseDashboard(small)['a']?.error?.message.length).toBe(`Graph answered 503 for a\n`.length + 3000);

    // Twenty: no reports, but each keeps its section and fenced (shortened) error.
    const twenty = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
    const mid = renderDashboard(tenants(...twenty), Object.fromEntries(twenty.map((n, i) => [n, failing(n, i)])), 'en');
    expect(mid.length).toBeLessThanOrEqual(DASHBOARD_BODY_LIMIT);
    const midState = parseDashboard(mid);
    expect(Object.keys(midState)).toEqual(twenty);
    expect(Object.values(midState).every((e) => e.report === undefined)).toBe(true);
    const midSections = sections(mid);
    expect(midSections.size).toBe(20);
    for (const [i, n] of twenty.entries()) {
      expect(midSections.get(`${n} — New error`)).toMatch(new RegExp(`^\`\`\`text\\nGraph answered 503 for ${n}\\n`));
      expect(rowsByTenant(mid).get(n)?.status).toBe(`[New error](https://github.com/contoso/tenant-config/actions/runs/11 "Graph answered 503 for ${n}")`);
      expect(midState[n]?.leftOut?.failures ?? 0).toBeLessThanOrEqual(30);
      expect((midState[n]?.failures?.length ?? 0) + (midState[n]?.leftOut?.failures ?? 0)).toBe(30);
      expect(midState[n]?.checkRunUrl).toBe(`https://github.com/contoso/tenant-config/runs/${1000 + i}`);
    }

    // Sixty: rows only, each still with its code and its tooltip.
    const names = Array.from({ length: 60 }, (_, i) => `tenant-${i}`);
    const body = renderDashboard(tenants(...names), Object.fromEntries(names.map((n, i) => [n, failing(n, i)])), 'en');
    expect(body.length).toBeLessThanOrEqual(DASHBOARD_BODY_LIMIT);
    const parsed = parseDashboard(body);
    expect(Object.keys(parsed)).toEqual(names);
    expect(parsed['tenant-0']).toMatchObject({ status: 'New error', since: '2025-03-01T00:00:00Z', error: { code: 'GRAPH_READ_FAILED' } });
    expect(parsed['tenant-0']?.error?.message.length).toBeLessThan(3000);
    expect(tableRows(body)).toHaveLength(62);
    for (const r of tableRows(body).slice(2)) {
      expect(r[1]).toMatch(/^\[New error\]\(https:\/\/github\.com\/contoso\/tenant-config\/actions\/runs\/11 "Graph answered 503 for tenant-\d+"\)$/);
      expect(r[5]).toContain('`GRAPH_READ_FAILED`');
    }
    // the French body of the same entries fits too
    expect(renderDashboard(tenants(...names), parsed, 'fr').length).toBeLessThanOrEqual(DASHBOARD_BODY_LIMIT);

    const many = Array.from({ length: 2000 }, (_, i) => `customer-tenant-${i}`);
    const huge = renderDashboard(tenants(...many), Object.fromEntries(many.map((n) => [n, idle(n)])), 'en');
    expect(huge.length).toBeLessThanOrEqual(DASHBOARD_BODY_LIMIT);
    expect(huge).toMatch(/… and \d+ more tenants/);
    const kept = Object.keys(parseDashboard(huge));
    expect(kept.length).toBeGreaterThan(100);
    expect(kept).toEqual(many.slice(0, kept.length));
  });

  it('reads nothing from a body without valid state, and drops only the invalid entries', () => {
    for (const garbage of [undefined, null, '', 'hello', '<!-- tenant-sync:dashboard-state {not json -->', '<!-- tenant-sync:dashboard-state [1,2] -->', '<!-- tenant-sync:dashboard-state null -->', '<!-- tenant-sync:dashboard-state {}']) {
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

  it('reads the state of a body written before since, lastSuccessAt and the rest existed', () => {
    const old = `| Tenant | Status |\n<!-- tenant-sync:dashboard-state {"a":{"tenant":"a","status":"Idle","updatedAt":"2025-01-01T00:00:00.000Z","lastSyncAt":"2025-01-01T00:00:00.000Z","runUrl":"https://github.com/o/r/actions/runs/1"}} -->\n`;
    const state = parseDashboard(old);
    expect(state['a']).toEqual({ tenant: 'a', status: 'Idle', updatedAt: '2025-01-01T00:00:00.000Z', lastSyncAt: '2025-01-01T00:00:00.000Z', runUrl: 'https://github.com/o/r/actions/runs/1' });
    expect(rowsByTenant(renderDashboard(tenants('a'), state, 'en')).get('a')).toMatchObject({ status: 'Idle', since: '2025-01-01 00:00 UTC', success: '' });
  });
});

// ------------------------------------------------------------------------------------------------
// Merging an entry into the stored ones

describe('mergeEntry', () => {
  const at = (day: number, hour = 0) => new Date(Date.UTC(2025, 2, day, hour)).toISOString();
  const entry = (status: SyncStatus, updatedAt: string, extra: Partial<DashboardEntry> = {}): DashboardEntry => ({ tenant: 't', status, updatedAt, ...extra });

  /** Applies the entries one after the other, as the syncs would, and gives the stored entry after each */
  function play(...entries: DashboardEntry[]): DashboardEntry[] {
    let state: Record<string, DashboardEntry> = {};
    return entries.map((e) => {
      // through the body, as between two jobs
      state = parseDashboard(renderDashboard(tenants('t'), mergeEntry(state, e), 'en'));
      return state['t']!;
    });
  }

  it('keeps since while the status stays, resets it on a change, and gives it back when a sync ends where the tenant was', () => {
    const [idle1, idle2, starting, idle3, starting2, error1, starting3, auth, error2, error3, approval] = play(
      entry('Idle', at(1)),
      entry('Idle', at(2)),
      entry('Starting', at(3)),
      entry('Idle', at(3, 1)),
      entry('Starting', at(4)),
      entry('New error', at(4, 1)),
      entry('Starting', at(5)),
      entry('Pending authentication', at(5, 1)),
      entry('New error', at(5, 2)),
      entry('New error', at(6)),
      entry('Pending approval', at(7)),
    );
    expect(idle1?.since).toBe(at(1));
    expect(idle2?.since).toBe(at(1)); // same status: kept
    expect(starting?.since).toBe(at(3)); // a change: reset
    expect(starting?.settled).toEqual({ status: 'Idle', since: at(1) });
    expect(idle3?.since).toBe(at(1)); // back to Idle after the sync: Idle since the 1st
    expect(idle3?.settled).toBeUndefined();
    expect(starting2?.since).toBe(at(4));
    expect(error1?.since).toBe(at(4, 1)); // Idle → New error: reset
    expect(starting3?.since).toBe(at(5));
    expect(auth?.since).toBe(at(5, 1));
    expect(auth?.settled).toEqual({ status: 'New error', since: at(4, 1) });
    expect(error2?.since).toBe(at(4, 1)); // still failing: New error since the first failure
    expect(error3?.since).toBe(at(4, 1));
    expect(approval?.since).toBe(at(7));
  });

  it('takes the caller\'s since for a new status', () => {
    const [, changed] = play(entry('Idle', at(1)), entry('New error', at(2), { since: at(1, 12) }));
    expect(changed?.since).toBe(at(1, 12));
  });

  it('keeps lastSuccessAt and lastSyncAt until a new one is given; an Idle entry without one succeeded at its time', () => {
    const states = play(
      entry('Idle', at(1), { lastSuccessAt: at(1), lastSyncAt: at(1) }),
      entry('Starting', at(2), { lastSyncAt: at(2) }),
      entry('New error', at(2, 1)),
      entry('Idle', at(3)),
      entry('Partially successful', at(4)),
    );
    expect(states.map((s) => s.lastSuccessAt)).toEqual([at(1), at(1), at(1), at(3), at(3)]);
    expect(states.map((s) => s.lastSyncAt)).toEqual([at(1), at(2), at(2), at(2), at(2)]);
  });

  it('keeps the approval pull request while a sync runs, and drops it when the sync ends without one', () => {
    const pullRequest = { number: 12, url: 'https://github.com/contoso/tenant-config/pull/12' };
    const states = play(entry('Pending approval', at(1), { pullRequest }), entry('Starting', at(2)), entry('Pending authentication', at(2, 1)), entry('Pending approval', at(2, 2), { pullRequest }), entry('Starting', at(3)), entry('Idle', at(3, 1)));
    expect(states.map((s) => s.pullRequest?.number)).toEqual([12, 12, 12, 12, 12, undefined]);
    expect(states[3]?.since).toBe(at(1)); // pending approval since the 1st, across the sync
  });

  it('lets a newer stored entry stand', () => {
    const stored = { t: entry('New error', at(5)) };
    expect(mergeEntry(stored, entry('Idle', at(4)))).toBe(stored);
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
    expect(rows.slice(2).map((r) => [r[0], r[1], r[5]])).toEqual([
      ['contoso', 'Idle', `[View job](${gh.serverUrl}/contoso/tenant-config/actions/runs/77)`],
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

  it('keeps since across updates with the same status, resets it on a change, and keeps the last successful sync', async () => {
    const ctx = await context();
    const log = createMemoryLogger();
    const list = tenants('a', 'b');
    const write = async (entry: DashboardEntry) => {
      const result = await updateDashboard(ctx, { tenants: list, language: 'fr', entry, log });
      const body = gh.issue(result!.number)?.body ?? '';
      return { state: parseDashboard(body)['a']!, row: rowsByTenant(body).get('a')! };
    };
    const error = { code: 'GRAPH_READ_FAILED', message: 'Graph answered 503', docs: 'https://e.com/x' };
    const first = await write(idle('a', { updatedAt: '2025-01-01T10:00:00Z', lastSuccessAt: '2025-01-01T10:00:00Z' }));
    expect(first.row).toMatchObject({ status: 'Inactif', since: '2025-01-01 10:00 UTC', success: '2025-01-01 10:00 UTC' });
    const failed = await write({ tenant: 'a', status: 'New error', updatedAt: '2025-01-02T10:00:00Z', error });
    expect(failed.row).toMatchObject({ since: '2025-01-02 10:00 UTC', success: '2025-01-01 10:00 UTC' });
    expect(failed.row.status).toMatch(/^\[Nouvelle erreur\]\(.* "Un type n’a pas pu être lu depuis Graph — Graph answered 503"\)$/);
    const again = await write({ tenant: 'a', status: 'New error', updatedAt: '2025-01-03T10:00:00Z', error });
    expect(again.state).toMatchObject({ since: '2025-01-02T10:00:00Z', lastSuccessAt: '2025-01-01T10:00:00Z' });
    expect(again.row).toMatchObject({ since: '2025-01-02 10:00 UTC', success: '2025-01-01 10:00 UTC' });
    const updates = gh.calls('issues/update').length;
    await write({ tenant: 'a', status: 'New error', updatedAt: '2025-01-03T10:00:00Z', error });
    expect(gh.calls('issues/update')).toHaveLength(updates); // nothing new: no write
    const fixed = await write(idle('a', { updatedAt: '2025-01-04T10:00:00Z', lastSuccessAt: '2025-01-04T10:00:00Z' }));
    expect(fixed.row).toMatchObject({ status: 'Inactif', since: '2025-01-04 10:00 UTC', success: '2025-01-04 10:00 UTC' });
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
