import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, parse, resolve } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { TenantSyncError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/**
 * The delegated user's sign-in (MSAL's token cache: the account and its refresh token) kept between
 * runs in one file, encrypted with AES-256-GCM.
 *
 * - The key is derived with scrypt from a secret the user configures (the environment variable that
 *   delegated.cache-key-env names, a repository or environment secret in Actions), with a new random
 *   salt and IV on every write. The file is bound to its tenant and application (GCM additional
 *   data), so a file copied to another tenant's place does not decrypt.
 * - Access tokens are left out of the file: only what a next run needs to sign in silently is kept.
 *   Every run redeems the refresh token and writes the new one it gets (rotation).
 * - The file lives outside the repository (a path inside a git working tree is refused), is written
 *   atomically with mode 0600, and never appears in a log: every token read from it is registered
 *   as a secret first.
 */

export const TOKEN_CACHE_FORMAT = 'tenant-sync-token-cache';
const VERSION = 1;
/** scrypt cost: 2^15 (about 32 MiB, tens of milliseconds); the secret is expected to be random anyway */
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 96 * 1024 * 1024 };
export const MIN_KEY_LENGTH = 32;

interface CacheFile {
  format: typeof TOKEN_CACHE_FORMAT;
  version: number;
  cipher: 'aes-256-gcm';
  kdf: 'scrypt';
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

function scrypt(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolvePromise, reject) =>
    scryptCallback(secret, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolvePromise(key))),
  );
}

/** What the ciphertext is bound to: the tenant and the application the sign-in belongs to */
export function cacheBinding(tenantId: string, clientId: string): string {
  return `${TOKEN_CACHE_FORMAT}:v${VERSION}:${tenantId.toLowerCase()}:${clientId.toLowerCase()}`;
}

export async function encryptTokenCache(plaintext: string, secret: string, binding: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await scrypt(secret, salt);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(binding, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const file: CacheFile = {
    format: TOKEN_CACHE_FORMAT,
    version: VERSION,
    cipher: 'aes-256-gcm',
    kdf: 'scrypt',
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return `${JSON.stringify(file)}\n`;
}

/** Throws when the text is not a cache file, the key is wrong, or the file belongs to another tenant or app */
export async function decryptTokenCache(text: string, secret: string, binding: string): Promise<string> {
  let file: CacheFile;
  try {
    file = JSON.parse(text) as CacheFile;
  } catch {
    throw new Error('the file is not a tenant-sync token cache');
  }
  if (file?.format !== TOKEN_CACHE_FORMAT || file.version !== VERSION || file.cipher !== 'aes-256-gcm' || file.kdf !== 'scrypt') {
    throw new Error('the file is not a tenant-sync token cache of a known version');
  }
  const key = await scrypt(secret, Buffer.from(file.salt, 'base64'));
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.iv, 'base64'));
  decipher.setAAD(Buffer.from(binding, 'utf8'));
  decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('it does not decrypt with this key for this tenant and application (another key, another tenant, or a changed file)');
  }
}

/** Every token secret in a serialized MSAL cache (to mask them) */
export function cacheSecrets(serialized: string): string[] {
  try {
    const cache = JSON.parse(serialized) as Record<string, Record<string, { secret?: string }> | undefined>;
    return ['AccessToken', 'RefreshToken', 'IdToken'].flatMap((section) =>
      Object.values(cache[section] ?? {})
        .map((e) => e?.secret)
        .filter((s): s is string => typeof s === 'string' && s !== ''),
    );
  } catch {
    return [];
  }
}

/** The serialized cache as it is persisted: without access tokens (a next run refreshes anyway) */
export function persistedForm(serialized: string): string {
  try {
    const cache = JSON.parse(serialized) as Record<string, unknown>;
    cache['AccessToken'] = {};
    return JSON.stringify(cache);
  } catch {
    return serialized;
  }
}

/** The git working tree a path is inside, if any */
export function enclosingRepository(path: string): string | undefined {
  let dir = dirname(resolve(path));
  const { root } = parse(dir);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

export interface TokenCacheOptions {
  /** Absolute path of the cache file (TenantConfig.delegated.cacheFile) */
  file: string;
  /** The secret the key is derived from */
  secret: string;
  /** cacheBinding(tenantId, clientId) */
  binding: string;
  log: Logger;
  /** Environment variable that holds the secret, for messages */
  secretName?: string;
}

export interface EncryptedCachePlugin extends ICachePlugin {
  /** Why a stored sign-in could not be used (it was then ignored), if it could not */
  readonly loadProblem: TenantSyncError | undefined;
  /** Whether a stored sign-in was found and decrypted */
  readonly loaded: boolean;
  /** Writes done this run */
  readonly writes: number;
}

/** Checks the key and the file's place before anything is read or written */
export function checkTokenCacheSettings(options: Pick<TokenCacheOptions, 'file' | 'secret' | 'secretName'>): void {
  const name = options.secretName ?? 'the cache key variable';
  if (options.secret.length < MIN_KEY_LENGTH) {
    throw new TenantSyncError(
      'CREDENTIAL_INVALID',
      `${name} is too short to protect the stored sign-in: at least ${MIN_KEY_LENGTH} characters are needed`,
      `Put a random value in ${name}, e.g. the output of "openssl rand -base64 32", as a repository or environment secret.`,
    );
  }
  const repository = enclosingRepository(options.file);
  if (repository) {
    throw new TenantSyncError(
      'CONFIG_INVALID',
      `delegated.cache-file ${options.file} is inside the git repository ${repository}: the stored sign-in must never be committed`,
      'Set delegated.cache-file to a path outside the repository (default ~/.cache/tenant-sync/{tenant}.token-cache), and keep it between runs with the Actions cache.',
    );
  }
}

/**
 * MSAL's cache plugin over the encrypted file. The file is read and decrypted once; afterwards the
 * decrypted cache is kept in memory and handed to MSAL on every access (MSAL clears its in-memory
 * cache before each silent request). A file that cannot be decrypted is reported (loadProblem) and
 * treated as no stored sign-in, so the sync falls back to device code instead of failing.
 */
export function createEncryptedCachePlugin(options: TokenCacheOptions): EncryptedCachePlugin {
  const { log } = options;
  log.secret(options.secret);
  checkTokenCacheSettings(options);
  let current: string | undefined;
  let readDone = false;
  let loaded = false;
  let writes = 0;
  let loadProblem: TenantSyncError | undefined;

  const load = async (): Promise<void> => {
    readDone = true;
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      loadProblem = unreadable(options.file, (e as Error).message);
      return;
    }
    try {
      const plain = await decryptTokenCache(text, options.secret, options.binding);
      cacheSecrets(plain).forEach((s) => log.secret(s));
      current = plain;
      loaded = true;
    } catch (e) {
      loadProblem = unreadable(options.file, (e as Error).message);
    }
  };

  return {
    get loadProblem() {
      return loadProblem;
    },
    get loaded() {
      return loaded;
    },
    get writes() {
      return writes;
    },
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      if (!readDone) await load();
      if (current !== undefined) context.tokenCache.deserialize(current);
    },
    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      if (!context.cacheHasChanged) return;
      const serialized = context.tokenCache.serialize();
      cacheSecrets(serialized).forEach((s) => log.secret(s));
      current = serialized;
      const text = await encryptTokenCache(persistedForm(serialized), options.secret, options.binding);
      await mkdir(dirname(options.file), { recursive: true, mode: 0o700 });
      const tmp = `${options.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, options.file);
      writes++;
    },
  };
}

function unreadable(file: string, why: string): TenantSyncError {
  return new TenantSyncError(
    'AUTH_CACHE_UNREADABLE',
    `the stored delegated sign-in in ${file} cannot be used: ${why}`,
    'Nothing to do if the key was changed on purpose: complete the device-code sign-in and it is stored again. Otherwise restore the key (delegated.cache-key-env) that the file was written with.',
  );
}

/** Reads and decrypts a cache file (tests, diagnostics); undefined when there is none */
export async function readTokenCacheFile(file: string, secret: string, binding: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return decryptTokenCache(text, secret, binding);
}
