import { parseArgs } from 'node:util';
import { loadConfig, selectTenant } from '../config/load.js';
import { backupTenant } from '../engine/backup.js';
import { connect } from '../engine/connect.js';
import { formatBackupSummary } from '../engine/summary.js';
import { isTenantSyncError, TenantSyncError } from '../errors/index.js';
import { createConsoleLogger, type Logger } from '../log/index.js';

/** Exit codes, documented in docs/cli.md */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
} as const;

const usage = `Usage: tenant-sync <command> [options]

Commands:
  backup --tenant <name>   read the tenant from Graph into tenants/<name>/ (keys sorted, ids as names)
  matrix                   print the tenants of tenant-sync.yml as JSON (for a workflow matrix)

Options:
  --config <file>          configuration file (default: tenant-sync.yml)
  --dir <folder>           repository root the files are written under (default: .)
  --json                   print the report as JSON instead of a table
  --verbose                print retries and requests
  --help                   print this help

Credentials come from the environment variables that tenant-sync.yml names (auth.secret-env,
auth.certificate-env). Exit codes: 0 done, 1 failed, 2 bad command line or configuration,
3 done but some types could not be read.`;

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
  const graph = await connect({ tenant, log, sources: { env: process.env } });
  const report = await backupTenant({ tenant, root: values.dir, graph, log });
  log.info(values.json ? JSON.stringify(report, null, 2) : formatBackupSummary(report));
  return report.totals.failedTypes > 0 ? exitCodes.partial : exitCodes.ok;
}

function reportError(e: unknown, log: Logger): number {
  if (isTenantSyncError(e)) {
    log.error(`${e.message}\n  Fix: ${e.fix}\n  (${e.code}, see ${e.docs})`, e.location);
    return e.code === 'USAGE' || e.code.startsWith('CONFIG_') || e.code.startsWith('CREDENTIAL_') ? exitCodes.usage : exitCodes.failed;
  }
  log.error(`unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return exitCodes.failed;
}
