import type { BackupReport } from './backup.js';

/** The backup summary a person reads on a terminal: one line per type, then the totals */
export function formatBackupSummary(report: BackupReport): string {
  const rows = report.types.map((t) => [
    t.status === 'failed' ? 'FAILED' : 'ok',
    `${t.workload}/${t.type}`,
    t.status === 'failed' ? '-' : String(t.objects),
    t.status === 'failed' ? '-' : changes(t.written.length, t.deleted.length),
    t.status === 'failed' ? (t.error?.permission ? `needs ${t.error.permission}` : '') : notes(t),
  ]);
  const header = ['', 'type', 'objects', 'changes', 'notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const g = report.graph;
  const out = [line(header), ...rows.map(line), ''];
  out.push(
    `${report.tenant}: ${report.totals.types - report.totals.failedTypes}/${report.totals.types} types backed up, ` +
      `${report.totals.objects} objects, ${report.totals.written} files written, ${report.totals.deleted} removed`,
  );
  out.push(
    `Graph: ${g.graphRequests} requests (${g.requests} HTTP, ${g.batchedItems} in $batch), ${g.retries} retries, ` +
      `${g.throttled} throttled (429), ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  for (const t of report.types) {
    if (t.status === 'failed') {
      out.push(`  ${t.type}: not backed up, its files are unchanged: ${t.error?.message ?? 'read failed'}`);
      if (t.error?.permission) out.push(`    grant the application permission ${t.error.permission} and admin consent`);
    }
    for (const d of t.duplicates) out.push(`  ${t.type}: ${d.files.length} objects are named "${d.name}": ${d.files.join(', ')} (rename them in the tenant so each name is unique)`);
    for (const u of t.unresolved) out.push(`  ${t.type}/${u.file}: ${u.path} refers to ${u.target} ${u.id}, which was not found; the id is kept`);
  }
  return out.join('\n');
}

function changes(written: number, deleted: number): string {
  if (written === 0 && deleted === 0) return 'none';
  return [written ? `${written} written` : '', deleted ? `${deleted} removed` : ''].filter(Boolean).join(', ');
}

function notes(t: BackupReport['types'][number]): string {
  const n: string[] = [];
  if (t.duplicates.length) n.push(`${t.duplicates.length} duplicate name(s)`);
  if (t.unresolved.length) n.push(`${t.unresolved.length} unresolved reference(s)`);
  return n.join(', ');
}
