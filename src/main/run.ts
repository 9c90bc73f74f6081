import * as core from '@actions/core';
import { isAbsolute, relative, resolve } from 'node:path';
import { githubIdTokenSource } from '../auth/federated.js';
import { loadConfig, selectTenant } from '../config/load.js';
import { syncBackup } from '../engine/sync.js';
import { statusName } from '../status/index.js';
import { syncSummaryMarkdown } from './jobSummary.js';
import { formatBackupSummary } from '../engine/summary.js';
import { validateTenant } from '../engine/validate.js';
import { isTenantSyncError, TenantSyncError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { readInputs, type Command } from './inputs.js';

/** The Actions toolkit as the engine's logger: secrets masked by the runner, errors as annotations */
export function actionsLogger(workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()): Logger {
  // Annotations name files relative to the repository root, or GitHub does not attach them.
  const props = (l?: { file?: string; line?: number; column?: number }) =>
    l?.file ? { file: isAbsolute(l.file) ? relative(workspace, l.file) : l.file, startLine: l.line, startColumn: l.column } : undefined;
  return {
    info: (m) => core.info(m),
    warn: (m, l) => core.warning(m, props(l)),
    error: (m, l) => core.error(m, props(l)),
    debug: (m) => core.debug(m),
    secret: (v) => {
      if (v) core.setSecret(v);
    },
    progress: () => {},
  };
}

export function commandForEvent(eventName: string): Command {
  switch (eventName) {
    case 'schedule':
    case 'workflow_dispatch':
    case 'push':
      return 'sync';
    case 'pull_request':
    case 'pull_request_target':
      return 'validate';
    default:
      throw new TenantSyncError('USAGE', `no command is chosen for the event "${eventName}"`, 'Set the "command" input of the action.');
  }
}

export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLogger();
  try {
    const inputs = readInputs();
    const command = inputs.command ?? commandForEvent(env.GITHUB_EVENT_NAME ?? '');
    const root = resolve(inputs.workingDirectory);
    const config = await loadConfig(resolve(root, inputs.config), env);
    switch (command) {
      case 'matrix': {
        const names = config.tenants.map((t) => t.name);
        core.setOutput('tenants', JSON.stringify(names));
        log.info(`tenants: ${names.join(', ')}`);
        return;
      }
      case 'backup': {
        const tenants = inputs.tenant ? [selectTenant(config, inputs.tenant)] : config.tenants;
        const runUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
        const finals: string[] = [];
        for (const tenant of tenants) {
          const run = await syncBackup({
            tenant,
            root,
            log,
            sources: { env, getIdToken: githubIdTokenSource(env, log) },
            onStatus: (status, details) => {
              log.info(`${tenant.name}: ${statusName(status, tenant.language)}${details.message ? ` - ${details.message}` : ''}`);
            },
          });
          if (run.report) log.info(formatBackupSummary(run.report));
          if (run.error) log.error(`${run.error.message} Fix: ${run.error.fix} (${run.error.code}, see ${run.error.docs})`, run.error.location);
          await core.summary.addRaw(syncSummaryMarkdown(tenant, run, { run: runUrl })).write();
          finals.push(`${tenant.name}: ${run.final}`);
          core.setOutput(`status-${tenant.name}`, run.final);
        }
        const notIdle = finals.filter((f) => !f.endsWith(': Idle'));
        if (notIdle.length > 0) core.setFailed(notIdle.join('; '));
        return;
      }
      case 'validate': {
        const tenants = inputs.tenant ? [selectTenant(config, inputs.tenant)] : config.tenants;
        let count = 0;
        for (const tenant of tenants) {
          for (const p of await validateTenant(root, tenant)) {
            count++;
            // An annotation on the file and line of the pull request
            log.error(`${p.message} Fix: ${p.fix} (${p.code})`, p);
          }
        }
        if (count > 0) core.setFailed(`${count} problem(s) in the tenants' files; see the annotations`);
        else log.info(`${tenants.map((t) => t.name).join(', ')}: the files are valid`);
        return;
      }
      default:
        throw new TenantSyncError('USAGE', `the command "${command}" is not available in this version`, 'Use backup, validate or matrix.');
    }
  } catch (e) {
    if (isTenantSyncError(e)) {
      log.error(`${e.message} Fix: ${e.fix} (${e.code}, see ${e.docs})`, e.location);
      core.setFailed(`${e.code}: ${e.message}`);
    } else {
      core.setFailed(`unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}
