import type { TenantConfig } from '../config/load.js';
import type { SyncRun } from '../engine/sync.js';
import { statusName } from '../status/index.js';

/** The job summary of one tenant's sync: status, what to do about it, and the backup table */
export function syncSummaryMarkdown(tenant: TenantConfig, run: SyncRun, links: { run?: string } = {}): string {
  const lines: string[] = [`### ${tenant.name}: ${statusName(run.final, tenant.language)}`, ''];
  const device = run.details.find((d) => d.details.deviceCode)?.details.deviceCode;
  if (device) {
    lines.push(
      `Sign-in was requested: at ${device.verificationUri} enter the code \`${device.userCode}\` (valid until ${device.waitUntil}).`,
      '',
    );
  }
  const consent = run.details.find((d) => d.details.consent)?.details.consent ?? (run.connection?.consent.pending ? run.connection.consent : undefined);
  if (consent) {
    lines.push(
      `Permissions the configuration needs are not granted: ${consent.missing.map((m) => `\`${m.permission}\` (${m.kind})`).join(', ')}.`,
      `An administrator grants them here: [admin consent](${consent.url})${consent.delegatedUrl ? `, and for the delegated client: [admin consent](${consent.delegatedUrl})` : ''}. Nothing is written to the tenant until then.`,
      '',
    );
  }
  if (run.error) {
    lines.push('```', `${run.error.code}: ${run.error.message}`, `Fix: ${run.error.fix}`, '```', `[Troubleshooting: ${run.error.code}](${run.error.docs})`, '');
  }
  const report = run.report;
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
  if (links.run) lines.push('', `[View job](${links.run})`);
  return `${lines.join('\n')}\n`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300);
}
