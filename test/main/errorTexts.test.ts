/**
 * Errors as a person reads them in French: the code's French title and "what to do", and the
 * error's own message and fix verbatim as the technical detail, in the report (check run, job
 * summary, report.md), the annotations and the deploy comment. English renders as it always did.
 */
import { describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../src/config/load.js';
import type { DeployRecord } from '../../src/deploy/index.js';
import { frenchErrorCatalogue, TenantSyncError } from '../../src/errors/index.js';
import { tenantReportMarkdown } from '../../src/main/jobSummary.js';
import type { TenantOutcome } from '../../src/main/outcome.js';
import { failureAnnotations } from '../../src/main/reporter.js';
import { deployComment } from '../../src/main/review.js';
import type { Language } from '../../src/status/index.js';
import { frenchTypographyProblems } from '../frenchTypography.js';

const MESSAGE = "the client secret of application 6e1f0c4b was rejected (AADSTS7000215: invalid client secret)\nTrace ID: 3f2e1d0c";
const FIX = "Copy the secret's Value (not its Secret ID) into the secret that tenant-sync.yml names.";
const error = new TenantSyncError('AUTH_BAD_SECRET', MESSAGE, FIX);
const tenant = (language: Language) => ({ name: 'contoso', language }) as TenantConfig;
const outcome = (language: Language, extra: Partial<TenantOutcome> = {}): TenantOutcome => ({
  tenant: tenant(language),
  command: 'sync',
  final: 'New error',
  history: [{ status: 'New error', details: {} }],
  error,
  notes: [],
  ...extra,
});

/** The French text of a Markdown, without the English technical details (fenced blocks) */
const frenchPart = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, '').replace(/Détail technique \(texte d’origine, en anglais\)\u00a0: [\s\S]*/g, '');

describe('an error in the report', () => {
  it('English: the block `CODE: message` and `Fix: fix`, then the troubleshooting link, as before', () => {
    const md = tenantReportMarkdown(outcome('en'));
    expect(md).toContain(`\`\`\`\nAUTH_BAD_SECRET: ${MESSAGE}\nFix: ${FIX}\n\`\`\`\n[Troubleshooting: AUTH_BAD_SECRET](${error.docs})\n`);
    expect(md).not.toContain(frenchErrorCatalogue.AUTH_BAD_SECRET.title);
  });

  it('French: the title and what to do in French, the message and fix verbatim as the technical detail, the link', () => {
    const md = tenantReportMarkdown(outcome('fr'));
    const fr = frenchErrorCatalogue.AUTH_BAD_SECRET;
    expect(md).toContain(
      `**${fr.title}** (\`AUTH_BAD_SECRET\`)\n\n**Que faire\u00a0:** ${fr.fix}\n\nDétail technique (texte d’origine, en anglais)\u00a0:\n\`\`\`\nAUTH_BAD_SECRET: ${MESSAGE}\nFix: ${FIX}\n\`\`\`\n[Dépannage\u00a0: AUTH_BAD_SECRET](${error.docs})\n`,
    );
    expect(frenchTypographyProblems(frenchPart(md))).toEqual([]);
  });
});

const record = (status: DeployRecord['status'], itemError?: { code: string; message: string; fix: string }, recordError?: { code: string; message: string; fix: string }) =>
  ({
    status,
    counts: { items: 1, applied: 0, failed: itemError ? 1 : 0, stale: 0, unverified: 0, skipped: 0, pending: 0 },
    items: itemError ? [{ result: 'failed', action: 'update', type: 'entra/conditionalAccessPolicies', name: 'Block legacy', error: itemError }] : [],
    ...(recordError ? { error: recordError } : {}),
  }) as unknown as DeployRecord;

describe('the deploy comment', () => {
  const writeError = { code: 'DEPLOY_WRITE_FAILED', message: 'PATCH /v1.0/identity/conditionalAccess/policies/1 failed with 400 BadRequest: Invalid policy', fix: 'Correct the file.' };

  it('English: the item note is `CODE: message`, nothing else is added', () => {
    const md = deployComment('contoso', record('partial', writeError), 'en');
    expect(md).toContain(`| failed | update | entra/conditionalAccessPolicies / Block legacy | DEPLOY_WRITE_FAILED: ${writeError.message} |`);
    expect(md).not.toContain('What to do');
    const nothing = deployComment('contoso', record('refused', undefined, { code: 'DEPLOY_STALE', message: 'the tenant changed', fix: 'Sync again.' }), 'en');
    expect(nothing.startsWith('Nothing was deployed to **contoso**: the tenant changed\n\n')).toBe(true);
  });

  it('French: the item note has the code\'s title before Graph\'s message, and what to do follows the table', () => {
    const md = deployComment('contoso', record('partial', writeError), 'fr');
    expect(md).toContain(`| DEPLOY_WRITE_FAILED\u00a0: ${frenchErrorCatalogue.DEPLOY_WRITE_FAILED.title} — ${writeError.message} |`);
    expect(md).toContain(`**Que faire\u00a0:**\n\n- \`DEPLOY_WRITE_FAILED\`\u00a0: ${frenchErrorCatalogue.DEPLOY_WRITE_FAILED.fix}\n`);
    const nothing = deployComment('contoso', record('refused', undefined, { code: 'DEPLOY_STALE', message: 'the tenant changed', fix: 'Sync again.' }), 'fr');
    expect(nothing).toContain(`Rien n’a été déployé dans **contoso**\u00a0: ${frenchErrorCatalogue.DEPLOY_STALE.title} (DEPLOY_STALE)`);
    expect(nothing).toContain(`**Que faire\u00a0:** ${frenchErrorCatalogue.DEPLOY_STALE.fix}`);
    expect(nothing).toContain('```\nthe tenant changed\nFix: Sync again.\n```');
    expect(frenchTypographyProblems(frenchPart(md))).toEqual([]);
  });
});

describe('the annotations', () => {
  const report = {
    types: [{ status: 'failed', workload: 'intune', type: 'deviceCompliancePolicies', title: 'Compliance policies', objects: 0, written: [], deleted: [], error: { code: 'GRAPH_READ_FAILED', message: 'GET https://graph.microsoft.com/beta/x failed with 503 (5 attempts)' } }],
  } as unknown as TenantOutcome['report'];

  it('English: the message and what it meant for the files, as before', () => {
    const [a] = failureAnnotations(outcome('en', { final: 'Partially successful', error: undefined, report }));
    expect(a!.message).toBe(`GET https://graph.microsoft.com/beta/x failed with 503 (5 attempts) Its files were kept as they were. See https://github.com/tenant-sync/tenant-sync/blob/main/docs/troubleshooting/GRAPH_READ_FAILED.md`);
  });

  it('French: the title, what to do, then Graph\'s words as the technical detail', () => {
    const [a] = failureAnnotations(outcome('fr', { final: 'Partially successful', error: undefined, report }));
    const fr = frenchErrorCatalogue.GRAPH_READ_FAILED;
    expect(a!.message.startsWith(`${fr.title}. Ses fichiers ont été conservés tels quels.`)).toBe(true);
    expect(a!.message).toContain(`\nQue faire\u00a0: ${fr.fix}\n\nDétail technique (texte d’origine, en anglais)\u00a0: GET https://graph.microsoft.com/beta/x failed with 503 (5 attempts)`);
  });
});
