import type { TenantConfig } from '../config/load.js';
import type { SyncRun } from '../engine/sync.js';
import { statusName, type StatusDetails, type SyncStatus } from '../status/index.js';
import type { TenantOutcome } from './outcome.js';

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
  const lines: string[] = [`### ${tenant.name}: ${statusName(outcome.final, tenant.language)}`, ''];
  const device = outcome.history.find((d) => d.details.deviceCode)?.details.deviceCode;
  if (device) {
    lines.push(`Sign-in was requested: at ${device.verificationUri} enter the code \`${device.userCode}\` (valid until ${device.waitUntil}).`, '');
  }
  const consent = outcome.history.find((d) => d.details.consent)?.details.consent ?? outcome.consent;
  if (consent) {
    lines.push(
      `Permissions the configuration needs are not granted: ${consent.missing.map((m) => `\`${m.permission}\` (${m.kind})`).join(', ')}.`,
      `An administrator grants them here: [admin consent](${consent.url})${consent.delegatedUrl ? `, and for the delegated client: [admin consent](${consent.delegatedUrl})` : ''}. Nothing is written to the tenant until then.`,
      '',
    );
  }
  const error = outcome.error;
  if (error) {
    lines.push('```', `${error.code}: ${error.message}`, `Fix: ${error.fix}`, '```', `[Troubleshooting: ${error.code}](${error.docs})`, '');
  }
  const failed = outcome.history.find((h) => h.status === outcome.final)?.details.message;
  if (failed && !error) lines.push(failed, '');
  for (const note of outcome.notes) lines.push(`- ${note}`);
  if (outcome.notes.length > 0) lines.push('');
  if (outcome.plan && !outcome.deploy) {
    const c = outcome.plan.counts;
    lines.push(`Plan: ${c.creates} to create, ${c.updates} to update, ${c.deletes} to delete, ${c.conflicts} conflict(s), ${c.errors} error(s), ${c.held} delete(s) held back, ${c.drift} drift.`, '');
  }
  const deploy = outcome.deploy;
  if (deploy) {
    const c = deploy.counts;
    lines.push(`Deploy: ${deploy.status}; ${c.applied} applied, ${c.failed} failed, ${c.stale} stale, ${c.unverified} unverified, ${c.skipped} already as planned; ${c.requests} write request(s).`, '');
    const problems = deploy.items.filter((i) => i.error);
    if (problems.length > 0) {
      lines.push('| object | result | error |', '|---|---|---|');
      for (const item of problems) lines.push(`| ${item.type} / ${escapeCell(item.name)} | ${item.result} | ${escapeCell(`${item.error!.code}: ${item.error!.message}`)} |`);
      lines.push('');
    }
  }
  const report = outcome.report;
  if (report) {
    lines.push('| type | status | objects | files written | removed | note |', '|---|---|---:|---:|---:|---|');
    for (const t of report.types) {
      const note = t.status === 'failed' ? `${t.error?.code ?? ''}: ${escapeCell(t.error?.message ?? '')}${t.error?.permission ? ` (needs \`${t.error.permission}\`)` : ''}` : '';
      lines.push(`| ${t.workload}/${t.type} | ${t.status} | ${t.objects} | ${t.written.length} | ${t.deleted.length} | ${note} |`);
    }
    const g = report.graph;
    lines.push(
      '',
      `${report.totals.objects} objects, ${report.totals.written} files written, ${report.totals.deleted} removed; ` +
        `${g.graphRequests} Graph requests (${g.requests} HTTP), ${g.retries} retries, ${g.throttled} throttled; ${(report.durationMs / 1000).toFixed(1)} s.`,
    );
  }
  const linkLine = [
    links.pullRequest && `[Approval pull request](${links.pullRequest})`,
    links.run && `[View job](${links.run})`,
    links.artifact && `[Artifacts: report, plan, deploy record, log](${links.artifact})`,
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
  const lines = [`### ${tenant.name}: ${statusName(status, tenant.language)}`, ''];
  if (details.deviceCode) {
    lines.push(`Sign-in is needed for the types only a user can read: at ${details.deviceCode.verificationUri} enter the code \`${details.deviceCode.userCode}\` before ${details.deviceCode.waitUntil}.`);
  }
  if (details.message) lines.push(details.message);
  return `${lines.join('\n')}\n`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300);
}
