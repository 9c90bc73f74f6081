import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig, selectTenant } from '../config/load.js';
import { assertWritable, connect, connectTenant } from '../engine/connect.js';
import { planTenant } from '../engine/plan.js';
import { syncBackup } from '../engine/sync.js';
import { formatBackupSummary } from '../engine/summary.js';
import { validateTenant, validateTenantFolders, type Problem } from '../engine/validate.js';
import { applyPlan } from '../deploy/index.js';
import { isEmptyPlan, parsePlan, planHash } from '../reconcile/index.js';
import { isTenantSyncError, TenantSyncError } from '../errors/index.js';
import { createConsoleLogger, type Logger } from '../log/index.js';

/** Exit codes, documented in docs/cli.md */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  /** plan: there are changes to deploy (or conflicts, errors, held deletes to look at) */
  changes: 4,
  /** validate: problems were found */
  invalid: 5,
  /** Pending admin consent: a permission the configuration needs is not granted (the link is printed) */
  consent: 6,
} as const;

const usage = `Usage: tenant-sync <command> [options]

Commands:
  backup --tenant <name>   read the tenant from Graph into tenants/<name>/ (keys sorted, ids as names)
  plan --tenant <name>     what deploying the files under tenants/<name>/ would change in the tenant
                           (Markdown; --json for the plan as data, --out <file> to save it for apply)
  apply --plan <file>      write an approved plan to the tenant, object by object, each checked
                           against the version it was planned from (--yes is required on a
                           terminal; --record <file> for the deploy record)
  validate [--tenant <n>]  check the files without reading the tenant: syntax, folders, duplicate
                           names, references, deletes beyond the delete guard
  matrix                   print the tenants of tenant-sync.yml as JSON (for a workflow matrix)

Options:
  --config <file>          configuration file (default: tenant-sync.yml)
  --dir <folder>           repository root the files are written under (default: .)
  --json                   print the report or plan as JSON
  --out <file>             plan: also write the plan JSON to this file
  --verbose                print retries and requests
  --help                   print this help

Credentials come from the environment variables that tenant-sync.yml names (auth.secret-env,
auth.certificate-env). Exit codes: 0 done (plan: no changes), 1 failed, 2 bad command line or
configuration, 3 done but some types could not be read (Partially successful), 4 plan: there
are changes (or conflicts, errors, invalid files to look at), 5 validate: problems found, 6 Pending admin consent (the consent link is printed).`;

export async function run(argv: string[], log?: Logger): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        config: { type: 'string', default: 'tenant-sync.yml' },
        dir: { type: 'string', default: '.' },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        plan: { type: 'string' },
        record: { type: 'string' },
        yes: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${usage}\n`);
    return exitCodes.usage;
  }
  const { values, positionals } = parsed;
  const logger = log ?? createConsoleLogger({ verbose: values.verbose, interactive: process.stderr.isTTY === true && !values.json });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${usage}\n`);
    return values.help ? exitCodes.ok : exitCodes.usage;
  }
  try {
    switch (command) {
      case 'backup':
        return await backupCommand(values, logger);
      case 'plan':
        return await planCommand(values, logger);
      case 'apply':
        return await applyCommand(values, logger);
      case 'validate':
        return await validateCommand(values, logger);
      case 'matrix': {
        const config = await loadConfig(values.config, process.env);
        logger.info(JSON.stringify(config.tenants.map((t) => t.name)));
        return exitCodes.ok;
      }
      default:
        throw new TenantSyncError('USAGE', `unknown command "${command}"`, 'Run tenant-sync --help for the commands.');
    }
  } catch (e) {
    return reportError(e, logger);
  }
}

async function backupCommand(values: { tenant?: string; config: string; dir: string; json: boolean }, log: Logger): Promise<number> {
  if (!values.tenant) {
    throw new TenantSyncError('USAGE', 'backup needs --tenant <name>', 'Name one of the tenants of tenant-sync.yml, e.g. tenant-sync backup --tenant contoso.');
  }
  const config = await loadConfig(values.config, process.env);
  const tenant = selectTenant(config, values.tenant);
  const run = await syncBackup({
    tenant,
    root: values.dir,
    log,
    sources: { env: process.env },
    onStatus: (status) => {
      if (!values.json) log.progress(`${tenant.name}: ${status}`);
    },
  });
  if (run.report) log.info(values.json ? JSON.stringify({ status: run.final, ...run.report }, null, 2) : formatBackupSummary(run.report));
  if (run.error && run.final !== 'Pending admin consent') return reportError(run.error, log);
  if (!values.json) log.info(`${tenant.name}: ${run.final}`);
  switch (run.final) {
    case 'Idle':
      return exitCodes.ok;
    case 'Pending admin consent':
      if (run.error) reportError(run.error, log);
      return exitCodes.consent;
    default:
      return exitCodes.partial;
  }
}

async function planCommand(values: { tenant?: string; config: string; dir: string; json: boolean; out?: string }, log: Logger): Promise<number> {
  if (!values.tenant) {
    throw new TenantSyncError('USAGE', 'plan needs --tenant <name>', 'Name one of the tenants of tenant-sync.yml, e.g. tenant-sync plan --tenant contoso.');
  }
  const config = await loadConfig(values.config, process.env);
  const tenant = selectTenant(config, values.tenant);
  const graph = await connect({ tenant, log, sources: { env: process.env } });
  const result = await planTenant({ tenant, root: values.dir, graph, log });
  const { plan } = result.reconciliation;
  // Warnings first, then the files' problems as validate prints them (each error ends its block)
  for (const t of result.snapshot.types) if (t.status === 'failed') log.warn(`${t.def.type} could not be read and is left out of the plan: ${t.error.message}`);
  if (result.desired.invalid.length > 0) {
    log.warn(`left out of the plan because their files are invalid: ${result.desired.invalid.join(', ')}; the errors below say what to fix.`);
  }
  for (const w of result.desired.warnings) printProblem(log, { ...w, severity: 'warning' });
  for (const e of result.desired.errors) printProblem(log, e);
  if (values.out) await writeFile(values.out, `${JSON.stringify(plan, null, 2)}\n`);
  log.info(values.json ? JSON.stringify(plan, null, 2) : result.markdown);
  // Invalid files are problems to look at (README: exit code 4), even when nothing else is planned.
  return isEmptyPlan(plan) && result.desired.errors.length === 0 ? exitCodes.ok : exitCodes.changes;
}

async function applyCommand(
  values: { plan?: string; record?: string; yes: boolean; config: string; json: boolean },
  log: Logger,
): Promise<number> {
  if (!values.plan) {
    throw new TenantSyncError('USAGE', 'apply needs --plan <file>', 'Make a plan with tenant-sync plan --tenant <name> --out plan.json, review it, then tenant-sync apply --plan plan.json --yes.');
  }
  if (process.stdin.isTTY && !values.yes) {
    throw new TenantSyncError(
      'USAGE',
      'apply writes to the tenant and needs your explicit approval',
      `Review the plan (tenant-sync plan prints it), then run again with --yes: tenant-sync apply --plan ${values.plan} --yes`,
    );
  }
  let plan;
  try {
    plan = parsePlan(JSON.parse(await readFile(values.plan, 'utf8')));
  } catch (e) {
    throw new TenantSyncError('FILE_INVALID', `${values.plan} is not a tenant-sync plan: ${(e as Error).message.split('\n')[0]}`, 'Make it again with tenant-sync plan --tenant <name> --out <file>.', {
      location: { file: values.plan },
    });
  }
  const config = await loadConfig(values.config, process.env);
  const tenant = selectTenant(config, plan.tenant);
  const connection = await connectTenant({ tenant, log, sources: { env: process.env } });
  // Nothing is written while a permission the configuration needs is not granted.
  try {
    assertWritable(connection, tenant.name);
  } catch (e) {
    connection.close();
    throw e;
  }
  const graph = connection.app;
  const recordFile = values.record ?? `deploy-${plan.tenant}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const record = await applyPlan({
    plan,
    tenant,
    graph,
    log,
    recordFile,
    approval: { kind: 'cli', reference: `${values.plan} (plan ${planHash(plan).slice(0, 12)})`, approvedBy: userInfo().username },
  }).finally(() => connection.close());
  if (values.json) log.info(JSON.stringify(record, null, 2));
  else {
    for (const item of record.items) {
      log.info(`${item.result.padEnd(10)} ${item.action.padEnd(6)} ${item.type}/${item.name}${item.error ? `: ${item.error.message}` : ''}`);
    }
    log.info(`${record.status}: ${JSON.stringify(record.counts)}; the deploy record is in ${recordFile}`);
  }
  return record.status === 'succeeded' ? exitCodes.ok : record.status === 'partial' ? exitCodes.partial : exitCodes.failed;
}

async function validateCommand(values: { tenant?: string; config: string; dir: string; json: boolean }, log: Logger): Promise<number> {
  const config = await loadConfig(values.config, process.env);
  const tenants = values.tenant ? [selectTenant(config, values.tenant)] : config.tenants;
  let count = 0;
  let warnings = 0;
  const all: unknown[] = [];
  const report = (tenant: string, problems: Problem[]) => {
    const errors = problems.filter((p) => p.severity !== 'warning');
    count += errors.length;
    warnings += problems.length - errors.length;
    if (values.json) all.push({ tenant, problems });
    // Warnings first: each error's block ends with its code
    else for (const p of [...problems.filter((x) => x.severity === 'warning'), ...errors]) printProblem(log, p);
  };
  // Folders under tenants/ that no tenant of the configuration reads
  const folders = await validateTenantFolders(values.dir, config.tenants.map((t) => t.name), {
    configFile: config.file,
    ...(values.tenant ? { only: tenants.map((t) => t.name) } : {}),
  });
  if (folders.length > 0) report('', folders);
  for (const tenant of tenants) report(tenant.name, await validateTenant(values.dir, tenant));
  if (values.json) log.info(JSON.stringify(all, null, 2));
  else {
    const noted = warnings > 0 ? ` (${warnings} warning(s))` : '';
    log.info(count === 0 ? `${tenants.map((t) => t.name).join(', ')}: the files are valid${noted}` : `${count} problem(s) found${noted}`);
  }
  return count === 0 ? exitCodes.ok : exitCodes.invalid;
}

/** One problem of the files: "error: <file>:<line>: <message>", its fix and its code; a warning the same way */
function printProblem(log: Logger, p: Pick<Problem, 'code' | 'file' | 'line' | 'column' | 'message' | 'fix' | 'severity'>): void {
  const location = { file: p.file, line: p.line, column: p.column };
  if (p.severity === 'warning') log.warn(`${p.message}\n  Fix: ${p.fix}`, location);
  else log.error(`${p.message}\n  Fix: ${p.fix}\n  (${p.code})`, location);
}

function reportError(e: unknown, log: Logger): number {
  if (isTenantSyncError(e)) {
    log.error(`${e.message}\n  Fix: ${e.fix}\n  (${e.code}, see ${e.docs})`, e.location);
    if (e.code === 'PERMISSIONS_NOT_GRANTED' || e.code === 'AUTH_CONSENT_MISSING') return exitCodes.consent;
    return e.code === 'USAGE' || e.code === 'FILE_INVALID' || e.code.startsWith('CONFIG_') || e.code.startsWith('CREDENTIAL_') ? exitCodes.usage : exitCodes.failed;
  }
  log.error(`unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return exitCodes.failed;
}
