import * as core from '@actions/core';
import { z } from 'zod';
import { TenantSyncError } from '../errors/index.js';

export const commandSchema = z.enum(['sync', 'apply', 'reject', 'revert', 'status', 'matrix', 'validate', 'backup', 'plan']);
export type Command = z.infer<typeof commandSchema>;

export const inputsSchema = z.object({
  command: commandSchema.optional(),
  config: z.string().min(1),
  tenant: z.string().optional(),
  workingDirectory: z.string().min(1),
  /** For the REST API; empty outside GitHub (then only the log and summary report) */
  token: z.string().optional(),
});
export type Inputs = z.infer<typeof inputsSchema>;

/** Every input of action.yml is read and validated here, and nowhere else */
export function readInputs(get: (name: string) => string = (n) => core.getInput(n)): Inputs {
  const raw = {
    command: get('command') || undefined,
    config: get('config') || 'tenant-sync.yml',
    tenant: get('tenant') || undefined,
    workingDirectory: get('working-directory') || '.',
    token: get('token') || undefined,
  };
  const parsed = inputsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const input = String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new TenantSyncError(
      'USAGE',
      `input "${input}" is not valid: ${issue.message}`,
      input === 'command' ? `Use one of: ${commandSchema.options.join(', ')}; or leave it empty to choose from the event.` : 'Correct the input in the workflow file.',
    );
  }
  return parsed.data;
}
