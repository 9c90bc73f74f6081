import type { TenantConfig } from '../config/load.js';
import { translatedError } from '../errors/index.js';
import type { SyncRun } from '../engine/sync.js';
import { statusName, type Language, type StatusDetails, type SyncStatus } from '../status/index.js';
import { errorLine, errorReportLines, fixLines } from './errorTexts.js';
import type { TenantOutcome } from './outcome.js';
import { textsFor } from './texts.js';

export interface ReportLinks {
  run?: string;
  artifact?: string;
  pullRequest?: string;
}

/**
 * One tenant's report for a person: the status and what to do about it (device code, admin
 * consent, error with its troubleshooting page), what happened to branches and pull requests, the
 * deploy, the backup table, and links. The same text is the check run's summary, the job summary
 * and report.md in the artifact.
 */
export function tenantReportMarkdown(outcome: Pick<TenantOutcome, 'tenant' | 'final' | 'history' | 'report' | 'error' | 'plan' | 'deploy' | 'notes' | 'consent'>, links: ReportLinks = {}): string {
  const { tenant } = outcome;
  const t = textsFor(tenant.language);
  const lines: string[] = [`### ${t.heading(tenant.name, statusName(outcome.final, tenant.language))}`, ''];
  const device = outcome.history.find((d) => d.details.deviceCode)?.details.deviceCode;
  if (device) {
    lines.push(t.signInRequested(device.verificationUri, device.userCode, device.waitUntil), '');
  }
  const consent = outcome.history.find((d) => d.details.consent)?.details.consent ?? outcome.consent;
  if (consent) {
    lines.push(
      t.permissionsMissing(consent.missing.map((m) => `\`${m.permission}\` (${m.kind})`).join(', ')),
      t.consentHere(consent.url, consent.delegatedUrl),
      '',
    );
  }
  const error = outcome.error;
  if (error) {
    lines.push(...errorReportLines(error, tenant.language));
  }
  const failed = outcome.history.find((h) => h.status === outcome.final)?.details.message;
  if (failed && !error) lines.push(failed, '');
  for (const note of outcome.notes) lines.push(`- ${note}`);
  if (outcome.notes.length > 0) lines.push('');
  if (outcome.plan && !outcome.deploy) {
    lines.push(t.planLine(outcome.plan.counts), '');
  }
  const deploy = outcome.deploy;
  if (deploy) {
    lines.push(t.deployLine(deploy.status, deploy.counts), '');
    const problems = deploy.items.filter((i) => i.error);
    if (problems.length > 0) {
      lines.push(`| ${t.problemsTable().join(' | ')} |`, '|---|---|---|');
      for (const item of problems) lines.push(`| ${item.type} / ${escapeCell(item.name)} | ${item.result} | ${escapeCell(errorLine(item.error!, tenant.language))} |`);
      lines.push('', ...fixLines(problems.map((i) => i.error!.code), tenant.language));
    }
  }
  const report = outcome.report;
  if (report) {
    lines.push(`| ${t.backupTable().join(' | ')} |`, '|---|---|---:|---:|---:|---|');
    for (const type of report.types) {
      const note = type.status === 'failed' ? `${failedTypeNote(type.error, tenant.language)}${type.error?.permission ? ` (${t.needs(type.error.permission)})` : ''}` : '';
      lines.push(`| ${type.workload}/${type.type} | ${type.status} | ${type.objects} | ${type.written.length} | ${type.deleted.length} | ${note} |`);
    }
    const g = report.graph;
    lines.push(
      '',
      t.totals(report.totals.objects, report.totals.written, report.totals.deleted, g.graphRequests, g.requests, g.retries, g.throttled, (report.durationMs / 1000).toFixed(1)),
    );
    const fixes = fixLines(report.types.filter((type) => type.status === 'failed').map((type) => type.error?.code), tenant.language);
    if (fixes.length > 0) lines.push('', ...fixes.slice(0, -1));
  }
  const linkLine = [
    links.pullRequest && `[${t.linkApproval()}](${links.pullRequest})`,
    links.run && `[${t.linkJob()}](${links.run})`,
    links.artifact && `[${t.linkArtifacts()}](${links.artifact})`,
  ].filter(Boolean);
  if (linkLine.length > 0) lines.push('', linkLine.join(' · '));
  return `${lines.join('\n')}\n`;
}

/** The backup command's summary (no branches, no plan) */
export function syncSummaryMarkdown(tenant: TenantConfig, run: SyncRun, links: ReportLinks = {}): string {
  return tenantReportMarkdown(
    { tenant, final: run.final, history: run.details, report: run.report, error: run.error, notes: [], consent: run.connection?.consent.pending ? run.connection.consent : undefined },
    links,
  );
}

/** A short line for a status that is not final yet (check run title and summary while the sync runs) */
export function progressMarkdown(tenant: TenantConfig, status: SyncStatus, details: StatusDetails): string {
  const t = textsFor(tenant.language);
  const lines = [`### ${t.heading(tenant.name, statusName(status, tenant.language))}`, ''];
  if (details.deviceCode) {
    lines.push(t.signInNeeded(details.deviceCode.verificationUri, details.deviceCode.userCode, details.deviceCode.waitUntil));
  }
  if (details.message) lines.push(details.message);
  return `${lines.join('\n')}\n`;
}

/** Why a type was not read: `CODE: message`, or in another language `CODE : <title> — message` */
function failedTypeNote(error: { code: string; message: string } | undefined, language: Language): string {
  const code = error?.code ?? '';
  const message = error?.message ?? '';
  return translatedError(code, language) ? escapeCell(errorLine({ code, message }, language)) : `${code}: ${escapeCell(message)}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300);
}
