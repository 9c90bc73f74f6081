/** The encrypted token cache file: AES-256-GCM, bound to its tenant and app, outside the repository */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheBinding,
  checkTokenCacheSettings,
  createEncryptedCachePlugin,
  decryptTokenCache,
  encryptTokenCache,
  persistedForm,
} from '../../src/auth/tokenCache.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { cacheKey, tempDir } from './helpers.js';

const binding = cacheBinding('3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c', '11111111-2222-3333-4444-555555555555');
const msalCache = JSON.stringify({
  Account: { a: { username: 'admin@contoso.onmicrosoft.com' } },
  AccessToken: { t: { secret: 'eyJ-access-token-secret-value' } },
  RefreshToken: { r: { secret: '0.refresh-token-secret-value' } },
  IdToken: { i: { secret: 'eyJ-id-token-secret-value' } },
  AppMetadata: {},
});

describe('encryption', () => {
  it('round-trips, with a new salt and IV each time, and hides the plaintext', async () => {
    const key = cacheKey();
    const a = await encryptTokenCache(msalCache, key, binding);
    const b = await encryptTokenCache(msalCache, key, binding);
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh-token-secret');
    expect(a).not.toContain('admin@contoso');
    expect(JSON.parse(a)).toMatchObject({ format: 'tenant-sync-token-cache', version: 1, cipher: 'aes-256-gcm', kdf: 'scrypt' });
    expect(Buffer.from(JSON.parse(a).iv as string, 'base64')).toHaveLength(12);
    expect(await decryptTokenCache(a, key, binding)).toBe(msalCache);
  });

  it('refuses another key, another tenant or app, and a changed file', async () => {
    const key = cacheKey();
    const text = await encryptTokenCache(msalCache, key, binding);
    await expect(decryptTokenCache(text, cacheKey('other'), binding)).rejects.toThrow(/does not decrypt/);
    await expect(decryptTokenCache(text, key, cacheBinding('fabrikam.onmicrosoft.com', '11111111-2222-3333-4444-555555555555'))).rejects.toThrow(/does not decrypt/);
    const file = JSON.parse(text) as { data: string };
    const data = Buffer.from(file.data, 'base64');
    data[0] = data[0]! ^ 1;
    await expect(decryptTokenCache(JSON.stringify({ ...file, data: data.toString('base64') }), key, binding)).rejects.toThrow(/does not decrypt/);
    await expect(decryptTokenCache('not json', key, binding)).rejects.toThrow(/not a tenant-sync token cache/);
  });

  it('persists no access token', () => {
    const persisted = JSON.parse(persistedForm(msalCache)) as Record<string, object>;
    expect(persisted['AccessToken']).toEqual({});
    expect(persisted['RefreshToken']).toEqual({ r: { secret: '0.refresh-token-secret-value' } });
  });
});

describe('the cache plugin', () => {
  it('writes 0600 atomically, masks every token it holds, and reads it back in a new run', async () => {
    const dir = await tempDir();
    const file = join(dir, 'nested', 'contoso.token-cache');
    const key = cacheKey();
    const log = createMemoryLogger();
    const plugin = createEncryptedCachePlugin({ file, secret: key, binding, log });
    let deserialized: string | undefined;
    const context = (changed: boolean) => ({
      cacheHasChanged: changed,
      tokenCache: { serialize: () => msalCache, deserialize: (s: string) => (deserialized = s) },
    });
    await plugin.beforeCacheAccess(context(false) as never);
    expect(deserialized).toBeUndefined();
    expect(plugin.loaded).toBe(false);
    await plugin.afterCacheAccess(context(true) as never);
    expect(plugin.writes).toBe(1);
    const { mode } = await import('node:fs/promises').then((fs) => fs.stat(file));
    expect(mode & 0o777).toBe(0o600);
    for (const s of [key, '0.refresh-token-secret-value', 'eyJ-access-token-secret-value', 'eyJ-id-token-secret-value']) expect(log.registry.redact(s)).toBe('***');

    const nextRun = createMemoryLogger();
    const again = createEncryptedCachePlugin({ file, secret: key, binding, log: nextRun });
    await again.beforeCacheAccess(context(false) as never);
    expect(again.loaded).toBe(true);
    expect(JSON.parse(deserialized!)).toEqual(JSON.parse(persistedForm(msalCache)));
    expect(nextRun.registry.redact('0.refresh-token-secret-value')).toBe('***');
  });

  it('an unreadable file is a warning (loadProblem), not a failure', async () => {
    const dir = await tempDir();
    const file = join(dir, 'contoso.token-cache');
    await writeFile(file, await encryptTokenCache(msalCache, cacheKey('old'), binding));
    const plugin = createEncryptedCachePlugin({ file, secret: cacheKey('new'), binding, log: createMemoryLogger() });
    await plugin.beforeCacheAccess({ cacheHasChanged: false, tokenCache: { deserialize: () => expect.fail('nothing to deserialize') } } as never);
    expect(plugin.loaded).toBe(false);
    expect(plugin.loadProblem?.code).toBe('AUTH_CACHE_UNREADABLE');
    expect(await readFile(file, 'utf8')).toContain('tenant-sync-token-cache');
  });

  it('refuses a short key and a file inside a git working tree', async () => {
    const dir = await tempDir();
    expect(() => checkTokenCacheSettings({ file: join(dir, 'x'), secret: 'short', secretName: 'K' })).toThrow(/at least 32 characters/);
    await mkdir(join(dir, 'repo', '.git'), { recursive: true });
    let error: unknown;
    try {
      checkTokenCacheSettings({ file: join(dir, 'repo', 'deep', 'cache.bin'), secret: cacheKey() });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(String((error as Error).message)).toContain('inside the git repository');
  });
});
