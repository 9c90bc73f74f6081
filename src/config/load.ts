import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { closest, TenantSyncError } from '../errors/index.js';
import type { ResourceDefinition } from '../resources/definition.js';
import { resources as catalogue } from '../resources/catalogue.js';
import { clouds, type Cloud } from './clouds.js';
import {
  authSchema,
  configFileSchema,
  delegatedSchema,
  deleteGuardSchema,
  tenantEntrySchema,
  typeSelectionSchema,
  type AuthSettings,
  type ConfigFile,
  type DeleteGuard,
  type TenantEntry,
} from './schema.js';

export interface TenantConfig {
  name: string;
  tenantId: string;
  clientId: string;
  cloud: Cloud;
  authorityHost: string;
  graphEndpoint: string;
  federationAudience: string;
  language: 'en' | 'fr';
  drift: 'adopt' | 'remediate' | 'report';
  types: ResourceDefinition[];
  deleteGuard: DeleteGuard;
  concurrency: number;
  auth: AuthSettings;
  /** Approved changes are deployed: the write permissions of the enabled types are needed */
  deploy: boolean;
  /** Host of the admin consent link ({host}/{tenant}/v2.0/adminconsent) */
  adminConsentHost: string;
  /** Delegated sign-in, when enabled: the types only a signed-in user can read go through it */
  delegated?: DelegatedConfig;
}

export interface DelegatedConfig {
  /** Public client application the user signs in to */
  clientId: string;
  /** How long a sync waits for the device-code sign-in */
  timeoutMs: number;
  /** Environment variable holding the cache encryption key */
  cacheKeyEnv: string;
  /** Absolute path of the encrypted token cache (outside the repository) */
  cacheFile: string;
}

export interface LoadedConfig {
  file: string;
  raw: ConfigFile;
  tenants: TenantConfig[];
}

export interface ConfigEnvironment {
  TENANT_SYNC_AUTHORITY_HOST?: string;
  TENANT_SYNC_GRAPH_ENDPOINT?: string;
}

export const defaultConfigFile = 'tenant-sync.yml';

const knownKeys = [
  ...new Set(
    [tenantEntrySchema, authSchema, typeSelectionSchema, deleteGuardSchema, delegatedSchema].flatMap((s) => Object.keys(s.shape)).concat(['version', 'defaults', 'tenants']),
  ),
];

export async function loadConfig(
  file: string = defaultConfigFile,
  env: ConfigEnvironment = process.env,
  resources: readonly ResourceDefinition[] = catalogue,
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TenantSyncError(
        'CONFIG_NOT_FOUND',
        `${file} was not found`,
        `Create ${file} at the root of the repository (see docs/tenant-sync.example.yml), or give its path with --config / the "config" input.`,
        { location: { file } },
      );
    }
    throw new TenantSyncError('CONFIG_NOT_FOUND', `${file} could not be read: ${(e as Error).message}`, 'Check that the file is readable.', {
      location: { file },
      cause: e,
    });
  }
  return parseConfig(text, file, env, resources);
}

export function parseConfig(
  text: string,
  file: string,
  env: ConfigEnvironment = {},
  resources: readonly ResourceDefinition[] = catalogue,
): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    throw new TenantSyncError(
      'CONFIG_INVALID',
      `${file} is not valid YAML: ${err.message.split('\n')[0]}`,
      'Correct the YAML syntax at that line (indentation, a missing colon or closing bracket, a duplicate key).',
      { location: { file, line: pos?.line, column: pos?.col } },
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new TenantSyncError(
      'CONFIG_INVALID',
      text.trim() === '' ? `${file} is empty` : `${file} holds no settings, only comments`,
      'It needs at least "version: 1" and "tenants:" with one tenant (name, tenant-id, client-id); see docs/tenant-sync.example.yml and docs/tenant-sync.schema.json.',
      { location: { file, line: 1 } },
    );
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TenantSyncError(
      'CONFIG_INVALID',
      `${file} holds ${Array.isArray(data) ? 'a list' : `a single ${typeof data}`}, not the settings: keys such as version and tenants`,
      'Write the settings as keys at the start of the lines: "version: 1", then "tenants:" with one tenant (name, tenant-id, client-id); see docs/tenant-sync.example.yml.',
      { location: { file, ...position(doc, lineCounter, []) } },
    );
  }
  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) {
    throw configIssueError(file, doc, lineCounter, data, parsed.error.issues);
  }
  const raw = parsed.data;
  const locate = (path: (string | number)[]) => ({ file, ...position(doc, lineCounter, path) });
  const tenants = raw.tenants.map((entry, i) => resolveTenant(raw, entry, i, env, resources, locate));
  const cacheFiles = new Map<string, string>();
  tenants.forEach((t, i) => {
    if (!t.delegated) return;
    const other = cacheFiles.get(t.delegated.cacheFile);
    if (other !== undefined) {
      throw new TenantSyncError(
        'CONFIG_INVALID',
        `tenants "${other}" and "${t.name}" would keep their delegated sign-in in the same file ${t.delegated.cacheFile}`,
        'Put {tenant} in delegated.cache-file (e.g. ~/.cache/tenant-sync/{tenant}.token-cache), or give each tenant its own cache-file.',
        { location: locate(raw.tenants[i]!.delegated ? ['tenants', i, 'delegated', 'cache-file'] : ['defaults', 'delegated', 'cache-file']) },
      );
    }
    cacheFiles.set(t.delegated.cacheFile, t.name);
  });
  return { file, raw, tenants };
}

export function selectTenant(config: LoadedConfig, name: string): TenantConfig {
  const tenant = config.tenants.find((t) => t.name === name);
  if (!tenant) {
    const names = config.tenants.map((t) => t.name);
    const hint = closest(name, names);
    throw new TenantSyncError(
      'CONFIG_UNKNOWN_TENANT',
      `tenant "${name}" is not in ${config.file}`,
      `${hint ? `Did you mean "${hint}"? ` : ''}Use one of: ${names.join(', ')}; or add the tenant to ${config.file}.`,
      { location: { file: config.file } },
    );
  }
  return tenant;
}

function resolveTenant(
  raw: ConfigFile,
  entry: TenantEntry,
  index: number,
  env: ConfigEnvironment,
  resources: readonly ResourceDefinition[],
  locate: (path: (string | number)[]) => { file: string; line?: number; column?: number },
): TenantConfig {
  const d = raw.defaults ?? {};
  const cloud = entry.cloud ?? d.cloud ?? 'public';
  const endpoints = clouds[cloud];
  const authorityHost = overrideUrl(
    env.TENANT_SYNC_AUTHORITY_HOST,
    'TENANT_SYNC_AUTHORITY_HOST',
    entry['authority-host'] ?? d['authority-host'] ?? endpoints.authorityHost,
  );
  const graphEndpoint = overrideUrl(
    env.TENANT_SYNC_GRAPH_ENDPOINT,
    'TENANT_SYNC_GRAPH_ENDPOINT',
    entry['graph-endpoint'] ?? d['graph-endpoint'] ?? endpoints.graphEndpoint,
  );
  const selection = entry.types ?? d.types;
  const selectionPath = entry.types ? ['tenants', index, 'types'] : ['defaults', 'types'];
  const delegatedSettings = entry.delegated ?? d.delegated;
  const delegated =
    delegatedSettings?.enabled === true
      ? {
          clientId: delegatedSettings['client-id'] ?? entry['client-id'],
          timeoutMs: Math.round(delegatedSettings['timeout-minutes'] * 60_000),
          cacheKeyEnv: delegatedSettings['cache-key-env'],
          cacheFile: cacheFilePath(delegatedSettings['cache-file'], entry.name, locate([]).file),
        }
      : undefined;
  const types = resolveTypes(selection, resources, (listName, i) => locate([...selectionPath, listName, i]), { delegated: delegated !== undefined });
  return {
    name: entry.name,
    tenantId: entry['tenant-id'],
    clientId: entry['client-id'],
    cloud,
    authorityHost,
    graphEndpoint,
    federationAudience: endpoints.federationAudience,
    language: entry.language ?? d.language ?? 'en',
    drift: entry.drift ?? d.drift ?? 'adopt',
    types,
    deleteGuard: entry['delete-guard'] ?? d['delete-guard'] ?? { 'max-share': 0.1, 'min-count': 5, allow: false },
    concurrency: entry.concurrency ?? d.concurrency ?? 8,
    auth: entry.auth ?? d.auth ?? { method: 'federated', 'secret-env': 'TENANT_SYNC_CLIENT_SECRET', 'certificate-env': 'TENANT_SYNC_CERTIFICATE' },
    deploy: entry.deploy ?? d.deploy ?? true,
    // An overridden sign-in host (a private endpoint, a test server) serves the consent page too.
    adminConsentHost: authorityHost === stripSlash(endpoints.authorityHost) ? endpoints.adminConsentHost : authorityHost,
    delegated,
  };
}

export const defaultTokenCacheFile = '~/.cache/tenant-sync/{tenant}.token-cache';

/** The token cache's absolute path: {tenant} replaced, ~ expanded, relative paths from the configuration file's folder */
function cacheFilePath(setting: string | undefined, tenant: string, configFile: string): string {
  const path = (setting ?? defaultTokenCacheFile).replaceAll('{tenant}', tenant);
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(configFile), path);
}

function overrideUrl(value: string | undefined, variable: string, fallback: string): string {
  if (value === undefined || value === '') return stripSlash(fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TenantSyncError('CONFIG_ENDPOINT', `${variable} is not a URL: "${value}"`, `Set ${variable} to an https:// URL, or unset it to use the cloud's endpoint.`);
  }
  if (url.protocol !== 'https:') {
    throw new TenantSyncError(
      'CONFIG_ENDPOINT',
      `${variable} must be an https:// URL, not "${value}"`,
      `Use https:// (MSAL only signs in over HTTPS; a test server needs a certificate trusted through NODE_EXTRA_CA_CERTS).`,
    );
  }
  return stripSlash(value);
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function resolveTypes(
  selection: { include?: string[]; exclude: string[] } | undefined,
  resources: readonly ResourceDefinition[],
  locate: (list: 'include' | 'exclude', index: number) => { file: string; line?: number; column?: number },
  options: { delegated: boolean },
): ResourceDefinition[] {
  const known = resources.map((r) => r.type);
  const check = (names: string[], list: 'include' | 'exclude') =>
    names.forEach((name, i) => {
      if (!known.includes(name)) {
        const hint = closest(name, known);
        throw new TenantSyncError(
          'CONFIG_UNKNOWN_TYPE',
          `unknown resource type "${name}" in types.${list}`,
          `${hint ? `Did you mean "${hint}"? ` : ''}Known types: ${known.join(', ')}.`,
          { location: locate(list, i) },
        );
      }
    });
  if (selection?.include) check(selection.include, 'include');
  check(selection?.exclude ?? [], 'exclude');
  // Types that only a signed-in user can read are on by default when delegated sign-in is.
  const included = selection?.include
    ? resources.filter((r) => selection.include!.includes(r.type))
    : resources.filter((r) => r.enabledByDefault && (!r.delegatedOnly || options.delegated));
  if (!options.delegated && selection?.include) {
    const i = selection.include.findIndex((name) => resources.find((r) => r.type === name)?.delegatedOnly);
    if (i >= 0) {
      throw new TenantSyncError(
        'CONFIG_INVALID',
        `type "${selection.include[i]}" can only be read by a signed-in user, and delegated sign-in is not enabled`,
        'Add "delegated: { enabled: true }" to the tenant (or defaults) and set the cache key secret it names, or remove the type from types.include.',
        { location: locate('include', i) },
      );
    }
  }
  return included.filter((r) => !(selection?.exclude ?? []).includes(r.type));
}

/**
 * The first problem the schema found, as an error with its line. A required key that is missing
 * while an unknown key beside it is close to its name ("verison" for "version") is reported as the
 * misspelling it is, on the misspelt key's line.
 */
function configIssueError(file: string, doc: Document, lc: LineCounter, data: unknown, issues: readonly z.core.$ZodIssue[]): TenantSyncError {
  const pathOf = (issue: z.core.$ZodIssue) => issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const missing = issues.flatMap((issue) => {
    const path = pathOf(issue);
    const key = path[path.length - 1];
    return typeof key === 'string' && valueAt(data, path) === undefined ? [{ parent: path.slice(0, -1), key }] : [];
  });
  const samePath = (a: readonly (string | number)[], b: readonly (string | number)[]) => a.length === b.length && a.every((p, i) => p === b[i]);
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const parent = pathOf(issue);
    for (const key of issue.keys) {
      const meant = closest(key, missing.filter((m) => samePath(m.parent, parent)).map((m) => m.key));
      if (meant === undefined) continue;
      const path = [...parent, key];
      return new TenantSyncError(
        'CONFIG_INVALID',
        `${formatPath(path)}: unknown key "${key}", and the required key "${meant}" is missing`,
        `Did you mean "${meant}"? Correct the spelling of "${key}"; docs/tenant-sync.schema.json lists the keys each level accepts.`,
        { location: { file, ...position(doc, lc, path, { key: true }) } },
      );
    }
  }
  const issue = issues[0]!;
  let path = pathOf(issue);
  let message = issue.message;
  let fix = 'Correct the value as the message says; docs/tenant-sync.schema.json describes every key.';
  let where = path.length ? `${formatPath(path)}: ` : '';
  let atKey = false;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    path = [...path, key];
    where = `${formatPath(path)}: `;
    atKey = true;
    const hint = closest(key, knownKeys);
    message = `unknown key "${key}"`;
    fix = `${hint ? `Did you mean "${hint}"? ` : ''}Remove the key or correct its spelling; docs/tenant-sync.schema.json lists the keys each level accepts.`;
  } else if (missing.some((m) => samePath([...m.parent, m.key], path))) {
    const key = path[path.length - 1] as string;
    message = `the required key "${key}" is missing`;
    where = path.length > 1 ? `${formatPath(path.slice(0, -1))}: ` : '';
    fix =
      issue.code === 'invalid_value' && 'values' in issue && (issue.values as unknown[]).length === 1
        ? `Add ${key}: ${String((issue.values as unknown[])[0])}.`
        : `Add "${key}"; docs/tenant-sync.schema.json describes it.`;
  } else if (issue.code === 'invalid_value' && 'values' in issue) {
    fix = `Use one of: ${(issue.values as unknown[]).map(String).join(', ')}.`;
  }
  return new TenantSyncError('CONFIG_INVALID', `${where}${message}`, fix, {
    location: { file, ...position(doc, lc, path, { key: atKey }) },
  });
}

/** The value at `path` in the parsed data, undefined when it (or a parent) is absent */
function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * Line and column of the node at a path, as far as the path exists: a scalar value itself, the key
 * of a map entry whose value is a map or a list (the line a person reads the key on, not the line
 * of the value's first entry), a list item.
 */
function position(doc: Document, lc: LineCounter, path: (string | number)[], options: { key?: boolean } = {}): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let best: Node | undefined = isMap(node) || isSeq(node) || isScalar(node) ? (node as Node) : undefined;
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
      if (!pair) break;
      best = (isScalar(pair.key) ? pair.key : best) as Node | undefined;
      // An unknown key is shown at the key, whatever its value
      if (options.key && i === path.length - 1) break;
      node = pair.value;
      if (node && isScalar(node)) best = node as Node;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node && (isMap(node) || isSeq(node) || isScalar(node))) best = node as Node;
      else break;
    } else break;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return {};
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}
