import * as core from '@actions/core';
import type { TenantConfig } from '../config/load.js';
import { uploadRunArtifact } from '../github/artifacts.js';
import { actionsFor, tenantCheckRun, type CheckRunAnnotation, type TenantCheckRun } from '../github/checkRun.js';
import { objectPath } from '../github/branchFiles.js';
import { isErrorCode, troubleshootingUrl } from '../errors/index.js';
import { runUrl, type RepoContext } from '../github/context.js';
import { updateDashboard, type DashboardEntry } from '../github/dashboard.js';
import type { Logger } from '../log/index.js';
import { renderJson } from '../snapshot/index.js';
import { finalStatuses, statusName, type Language, type StatusDetails, type SyncStatus } from '../status/index.js';
import { progressMarkdown, tenantReportMarkdown } from './jobSummary.js';
import { explained } from './errorTexts.js';
import type { TenantOutcome } from './outcome.js';
import { textsFor } from './texts.js';

/** A status move in the log: `<tenant>: <status> - <message>`, and the device code to enter when there is one */
export function logStatus(log: Logger, tenant: string, status: string, details: StatusDetails): void {
  log.info(`${tenant}: ${status}${details.message ? ` - ${details.message}` : ''}`);
  if (details.deviceCode) {
    log.info(`${tenant}: to sign in, open ${details.deviceCode.verificationUri} and enter the code ${details.deviceCode.userCode} (before ${details.deviceCode.waitUntil})`);
  }
}

export interface ReporterOptions {
  /** Absent outside GitHub (no repository or token): only the log and the job summary */
  ctx: RepoContext | undefined;
  tenant: TenantConfig;
  /** Every tenant of tenant-sync.yml, for the dashboard */
  tenants: readonly { name: string }[];
  language: Language;
  log: Logger;
  /** The tenant's log so far, for the artifact (already redacted) */
  logLines: () => string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Shows one tenant's statuses everywhere a person looks: the log as they happen, the check run,
 * the dashboard (when a sync starts, when it waits for a person, when it ends), and at the end the
 * artifact, the job summary and the step output. None of these views can fail the sync.
 */
export function createTenantReporter(options: ReporterOptions) {
  const { ctx, tenant, log } = options;
  const checkRun: TenantCheckRun | undefined = ctx && tenantCheckRun(ctx, tenant.name, log);
  const name = (s: SyncStatus) => statusName(s, tenant.language);
  let lastSyncAt: string | undefined;

  const dashboard = async (entry: DashboardEntry) => {
    if (ctx) await updateDashboard(ctx, { tenants: options.tenants, language: options.language, entry, log });
  };

  const onStatus = async (status: SyncStatus, details: StatusDetails): Promise<void> => {
    logStatus(log, tenant.name, name(status), details);
    if (finalStatuses.includes(status)) return; // finish() shows the final status with the whole report
    if (status === 'Starting') lastSyncAt = new Date().toISOString();
    await checkRun?.update(status, { title: name(status), summary: progressMarkdown(tenant, status, details), actions: actionsFor(status, tenant.language) });
    if (status === 'Starting' || status === 'Pending authentication') {
      await dashboard({ tenant: tenant.name, status, updatedAt: new Date().toISOString(), lastSyncAt, deviceCode: details.deviceCode, message: details.message, checkRunUrl: checkRun?.url });
    }
  };

  const finish = async (outcome: TenantOutcome): Promise<{ artifactUrl?: string }> => {
    const pr = outcome.pullRequest;
    const links = { run: ctx && runUrl(ctx), pullRequest: outcome.final === 'Pending approval' ? pr?.url : undefined };
    const files: Record<string, string> = {
      'report.md': tenantReportMarkdown(outcome, links),
      'report.json': `${JSON.stringify(
        { tenant: tenant.name, command: outcome.command, status: outcome.final, statuses: outcome.history.map((h) => h.status), error: outcome.error && { code: outcome.error.code, message: outcome.error.message, fix: outcome.error.fix, docs: outcome.error.docs }, notes: outcome.notes, backup: outcome.report, pullRequest: pr },
        null,
        2,
      )}\n`,
    };
    if (outcome.plan) {
      files['plan.json'] = renderJson(outcome.plan);
      files['plan.md'] = outcome.planMarkdown ?? '';
    }
    if (outcome.deploy) files['deploy-record.json'] = `${JSON.stringify(outcome.deploy, null, 2)}\n`;
    files['log.txt'] = `${options.logLines().join('\n')}\n`;
    const artifact = ctx ? await uploadRunArtifact(ctx, { name: `tenant-sync-${tenant.name}`, files, log, env: options.env }) : undefined;

    const markdown = tenantReportMarkdown(outcome, { ...links, artifact: artifact?.url });
    const finalDetails = outcome.history.at(-1)?.details ?? {};
    await checkRun?.update(outcome.final, {
      title: outcome.error ? `${name(outcome.final)}${textsFor(tenant.language).colon()} ${outcome.error.code}` : name(outcome.final),
      summary: markdown,
      detailsUrl: outcome.final === 'Pending approval' ? pr?.url : undefined,
      actions: actionsFor(outcome.final, tenant.language),
      annotations: failureAnnotations(outcome),
    });
    const consent = outcome.history.find((h) => h.details.consent)?.details.consent ?? outcome.consent;
    const now = new Date().toISOString();
    await dashboard({
      tenant: tenant.name,
      status: outcome.final,
      updatedAt: now,
      lastSyncAt: lastSyncAt ?? now,
      ...(outcome.final === 'Idle' ? { lastSuccessAt: now } : {}),
      pullRequest: outcome.final === 'Pending approval' ? pr : undefined,
      error: outcome.error && { code: outcome.error.code, message: outcome.error.message, docs: outcome.error.docs, fix: outcome.error.fix },
      consentUrl: consent?.url,
      missingPermissions: consent?.missing.map((m) => m.permission),
      message: finalDetails.message ?? outcome.notes.at(-1),
      checkRunUrl: checkRun?.url,
      artifactUrl: artifact?.url,
      report: outcome.report ? formatReportLine(outcome) : undefined,
      failures: dashboardFailures(outcome),
    });
    if (options.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    core.setOutput(`status-${tenant.name}`, outcome.final);
    return { artifactUrl: artifact?.url };
  };

  return { onStatus, finish };
}

/** What did not succeed: types that could not be read, deploy items that did not apply */
interface Failure {
  what: string;
  /** The type's folder or the object's file */
  path: string;
  title: string;
  code?: string;
  message: string;
  /** The message with what it means for the files or the fix */
  detail: string;
  docs?: string;
  level: 'warning' | 'failure';
}

function failuresOf(outcome: TenantOutcome): Failure[] {
  const tenant = outcome.tenant.name;
  const t = textsFor(outcome.tenant.language);
  const docsOf = (code: string | undefined) => (code && isErrorCode(code) ? troubleshootingUrl(code) : undefined);
  const out: Failure[] = [];
  for (const type of outcome.report?.types ?? []) {
    if (type.status !== 'failed') continue;
    const code = type.error?.code;
    const docs = docsOf(code);
    out.push({
      what: `${type.workload}/${type.type}`,
      path: `tenants/${tenant}/${type.workload}/${type.type}`,
      title: t.typeNotBackedUp(type.title, code ?? 'failed'),
      code,
      message: type.error?.message ?? t.notRead(),
      detail: explained(code, outcome.tenant.language, {
        detail: t.filesKept(type.error?.message ?? t.typeUnreadable(), docs ?? ''),
        technical: type.error?.message ?? '',
        note: t.filesKept('', docs ?? '').trim(),
      }),
      docs,
      level: 'warning',
    });
  }
  for (const item of outcome.deploy?.items ?? []) {
    if (!item.error) continue;
    out.push({
      what: `${item.name} (${item.type})`,
      path: objectPath(tenant, item.type, item.file),
      title: `${item.action} ${item.name}${t.colon()} ${item.result} (${item.error.code})`,
      code: item.error.code,
      message: item.error.message,
      detail: explained(item.error.code, outcome.tenant.language, { detail: `${item.error.message} ${item.error.fix}`, technical: `${item.error.message}\nFix: ${item.error.fix}` }),
      docs: docsOf(item.error.code),
      level: item.result === 'failed' ? 'failure' : 'warning',
    });
  }
  return out;
}

/** What did not succeed, as annotations on the type's folder or the object's file */
export function failureAnnotations(outcome: TenantOutcome): CheckRunAnnotation[] {
  return failuresOf(outcome).map((f) => ({ path: f.path, start_line: 1, end_line: 1, annotation_level: f.level, title: f.title, message: f.detail }));
}

/** One line for the dashboard's report: what the backup and the deploy did */
function formatReportLine(outcome: TenantOutcome): string {
  const r = outcome.report!;
  const t = textsFor(outcome.tenant.language);
  const failed = r.types.filter((type) => type.status === 'failed').map((type) => `${type.workload}/${type.type}`);
  const deploy = outcome.deploy;
  return [
    t.reportLine(r.totals.types - r.totals.failedTypes, r.totals.types, r.totals.objects, r.totals.written, r.totals.deleted),
    failed.length > 0 ? t.notBackedUp(failed.join(', ')) : '',
    deploy ? t.reportDeploy(deploy.status, deploy.counts.applied, deploy.counts.failed, deploy.counts.stale) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** What did not succeed, for the dashboard's section of a Partially successful tenant */
function dashboardFailures(outcome: TenantOutcome): { what: string; code?: string; message: string; docs?: string }[] {
  return failuresOf(outcome)
    .slice(0, 50)
    .map((f) => ({ what: f.what, code: f.code, message: f.message, ...(f.docs ? { docs: f.docs } : {}) }));
}
