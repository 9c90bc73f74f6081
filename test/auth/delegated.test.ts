/**
 * Delegated sign-in through real MSAL against the simulator: device code (Pending authentication),
 * the encrypted refresh token reused and rotated across runs, expiry back to Pending
 * authentication, timeouts and refusals ending Partially successful with the product's wording,
 * and the delegated types' files never touched when the user's part fails.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userAuthenticationMessages } from '../../src/auth/deviceCode.js';
import { cacheBinding, readTokenCacheFile } from '../../src/auth/tokenCache.js';
import { troubleshootingUrl } from '../../src/errors/index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simEnv, tempRepo } from '../backup/helpers.js';
import { CACHE_KEY_ENV, cacheKey, delegatedTenant, person, readTree, runSync, teamsFile, tempDir } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ throttling: false, deviceCode: { intervalSeconds: 1 } });
});
afterAll(async () => sim?.close());
beforeEach(() => {
  sim.reset();
});

async function setup(timeoutMinutes?: number) {
  const root = await tempRepo();
  const cacheFile = join(await tempDir(), 'contoso.token-cache');
  const key = cacheKey();
  const tenant = delegatedTenant(sim, { cacheFile, timeoutMinutes });
  const env = { ...simEnv(sim), [CACHE_KEY_ENV]: key };
  return { root, cacheFile, key, tenant, env, binding: cacheBinding(tenant.tenantId, tenant.delegated!.clientId) };
}

/** A run that must not ask anyone to sign in */
function noPrompt(status: string): void {
  if (status === 'Pending authentication') expect.fail('no prompt expected');
}

function refreshTokensIn(serialized: string | undefined): string[] {
  const cache = JSON.parse(serialized ?? '{}') as { RefreshToken?: Record<string, { secret: string }> };
  return Object.values(cache.RefreshToken ?? {}).map((r) => r.secret);
}

describe('device code (Pending authentication)', () => {
  it('approved in time: Pending authentication, then In progress, then Idle; the user-only type is backed up', async () => {
    const { root, tenant, env } = await setup();
    expect(tenant.types.some((t) => t.type === 'teamsAppSettings')).toBe(true);
    const run = await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    expect(run.error).toBeUndefined();
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Idle']);
    const pending = run.details.find((d) => d.status === 'Pending authentication')!.details;
    expect(pending.deviceCode).toMatchObject({ verificationUri: `${sim.loginUrl}/devicelogin`, userCode: expect.stringMatching(/^[A-Z0-9]{9}$/) });
    // The URL and the code are in the log; the device code session never is.
    const userCode = pending.deviceCode!.userCode;
    expect(run.log.some((l) => l.includes(`${sim.loginUrl}/devicelogin`) && l.includes(userCode))).toBe(true);
    expect(run.log.join('\n')).not.toMatch(/DAQABIQEAAAD/);
    expect(run.connection?.delegated).toMatchObject({ status: 'signed-in', username: sim.scenario.user.upn, prompted: true });
    const teams = run.report!.types.find((t) => t.type === 'teamsAppSettings')!;
    expect(teams).toMatchObject({ status: 'backed-up', objects: 1 });
    expect(JSON.parse(await readFile(teamsFile(root), 'utf8'))).toEqual({
      '@odata.type': '#microsoft.graph.teamsAppSettings',
      allowUserRequestsForAppAccess: true,
      isUserPersonalScopeResourceSpecificConsentEnabled: false,
    });
    expect(run.report!.totals.failedTypes).toBe(0);
    expect(sim.counters().byType['teamsAppSettings']).toBeGreaterThan(0);
    expect(sim.writes()).toHaveLength(0);
  });

  it('never approved: the wait ends at the configured timeout, Partially successful with the product wording, files untouched', async () => {
    const { root, tenant, env, cacheFile } = await setup(0.05); // 3 seconds
    // A first sync signs in and backs up the user-only type.
    const first = await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    expect(first.final).toBe('Idle');
    const before = await readTree(join(root, 'tenants'));
    const teamsBefore = await stat(teamsFile(root));
    // The stored sign-in is lost (a new runner without the cache, say); nobody answers the prompt.
    await import('node:fs/promises').then((fs) => fs.rm(cacheFile));
    sim.tenant.update('teamsAppSettings', String(sim.state('teamsAppSettings')[0]!.id), { allowUserRequestsForAppAccess: false });
    const started = Date.now();
    const run = await runSync(sim, root, tenant, { env, onStatus: person(sim, 'ignore') });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(3_000);
    expect(waited).toBeLessThan(20_000);
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Partially successful']);
    const teams = run.report!.types.find((t) => t.type === 'teamsAppSettings')!;
    expect(teams.status).toBe('failed');
    expect(teams.error).toEqual({ code: 'AUTH_DEVICE_CODE_TIMEOUT', message: userAuthenticationMessages.timeout });
    expect(userAuthenticationMessages.timeout).toBe(
      'User authentication failed - Authentication timed out waiting for delegated authentication to complete. Sync again and complete the steps for authentication. Configurations requiring user account authentication will not be backed up until the Sync authenticates successfully.',
    );
    // The status carries the message and the link to its troubleshooting page.
    const back = run.details[4]!.details;
    expect(back.error).toEqual({ code: 'AUTH_DEVICE_CODE_TIMEOUT', message: userAuthenticationMessages.timeout, docs: troubleshootingUrl('AUTH_DEVICE_CODE_TIMEOUT') });
    expect(run.log.some((l) => l.includes(userAuthenticationMessages.timeout) && l.includes('docs/troubleshooting/AUTH_DEVICE_CODE_TIMEOUT.md'))).toBe(true);
    // The application's part completed; the user-only type's file is exactly as it was (not deleted, not changed).
    expect(run.report!.totals.failedTypes).toBe(1);
    expect(run.report!.types.filter((t) => t.status === 'backed-up').length).toBe(run.report!.types.length - 1);
    expect(await readTree(join(root, 'tenants'))).toEqual(before);
    expect((await stat(teamsFile(root))).mtimeMs).toBe(teamsBefore.mtimeMs);
    const ids = JSON.parse(await readFile(join(root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(ids['teamsAppSettings'] ?? {})).toHaveLength(1);
    expect(sim.writes()).toHaveLength(0);
  });

  it.each([
    [53003, 'AUTH_CONDITIONAL_ACCESS'],
    [50076, 'AUTH_MFA_REQUIRED'],
    [50079, 'AUTH_MFA_REQUIRED'],
  ] as const)('blocked by policy (AADSTS%s): %s, Partially successful with the product wording', async (aadsts, code) => {
    const { root, tenant, env } = await setup();
    const run = await runSync(sim, root, tenant, { env, onStatus: person(sim, { refuse: aadsts }) });
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Partially successful']);
    expect(run.connection?.delegated?.status).toBe('failed');
    const teams = run.report!.types.find((t) => t.type === 'teamsAppSettings')!;
    expect(teams.error).toEqual({ code, message: userAuthenticationMessages.blocked });
    expect(userAuthenticationMessages.blocked).toBe(
      'User authentication failed - The user is blocked due to a Conditional Access or MFA policy in the tenant. Please exclude the user from the policy. Configurations requiring user account authentication will not be backed up until the Sync authenticates successfully.',
    );
    expect(run.details[4]!.details.error).toEqual({ code, message: userAuthenticationMessages.blocked, docs: troubleshootingUrl(code) });
    // The AADSTS number that MSAL's device-code polling drops was recovered from the error body.
    expect(sim.counters().tokenErrors[String(aadsts)]).toBe(1);
    expect(run.log.join('\n')).toContain(`AADSTS${aadsts}`);
    expect(run.report!.totals.failedTypes).toBe(1);
    expect(sim.writes()).toHaveLength(0);
  });

  it('a user who may not consent (AADSTS65001): Pending admin consent with the link, the rest backed up', async () => {
    const { root, tenant, env } = await setup();
    const run = await runSync(sim, root, tenant, { env, onStatus: person(sim, { refuse: 65001 }) });
    expect(run.final).toBe('Pending admin consent');
    expect(run.connection?.consent).toMatchObject({
      pending: true,
      missing: [expect.objectContaining({ permission: 'TeamworkAppSettings.Read.All', kind: 'delegated' }), expect.objectContaining({ permission: 'TeamworkAppSettings.ReadWrite.All', kind: 'delegated' })],
    });
    expect(run.report!.types.find((t) => t.type === 'teamsAppSettings')!.error?.code).toBe('AUTH_CONSENT_MISSING');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('the stored sign-in across runs', () => {
  it('is reused on the next run without a prompt, and its refresh token is rotated', async () => {
    const { root, tenant, env, cacheFile, key, binding } = await setup();
    const first = await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    expect(first.final).toBe('Idle');
    const afterFirst = refreshTokensIn(await readTokenCacheFile(cacheFile, key, binding));
    expect(afterFirst).toHaveLength(1);
    // The file is encrypted: no token, no account name in clear; only its owner may read it.
    const raw = await readFile(cacheFile, 'utf8');
    expect(raw).not.toContain(afterFirst[0]!);
    expect(raw).not.toContain(sim.scenario.user.upn);
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
    // No access token is kept between runs.
    const stored = JSON.parse((await readTokenCacheFile(cacheFile, key, binding))!) as { AccessToken: object };
    expect(stored.AccessToken).toEqual({});

    const deviceCodesBefore = sim.counters().tokenRequests['device_code'] ?? 0;
    const refreshBefore = sim.counters().tokenRequests['refresh_token'] ?? 0;
    const second = await runSync(sim, root, tenant, { env, onStatus: noPrompt });
    expect(second.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Idle']);
    expect(second.connection?.delegated).toMatchObject({ status: 'signed-in', prompted: false });
    expect(sim.counters().tokenRequests['device_code'] ?? 0).toBe(deviceCodesBefore);
    expect(sim.counters().tokenRequests['refresh_token']).toBe(refreshBefore + 1);
    const afterSecond = refreshTokensIn(await readTokenCacheFile(cacheFile, key, binding));
    expect(afterSecond).toHaveLength(1);
    expect(afterSecond[0]).not.toBe(afterFirst[0]);

    // With single-use refresh tokens, a third run still signs in: the rotated token was stored.
    sim.setScenario({ refreshTokenReuse: 'reject' });
    const third = await runSync(sim, root, tenant, { env, onStatus: noPrompt });
    expect(third.final).toBe('Idle');
    expect(refreshTokensIn(await readTokenCacheFile(cacheFile, key, binding))[0]).not.toBe(afterSecond[0]);
  });

  it('an expired refresh token (AADSTS70008) leads back to Pending authentication, not to an error', async () => {
    const { root, tenant, env } = await setup();
    await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    sim.expireRefreshTokens();
    const run = await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    expect(sim.counters().tokenErrors['70008']).toBe(1);
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Idle']);
    expect(run.log.some((l) => l.includes('AADSTS70008') && l.includes('a new sign-in is needed'))).toBe(true);
    expect(run.report!.totals.failedTypes).toBe(0);
  });

  it('a policy that now blocks the user on refresh (AADSTS53003): no prompt, Partially successful', async () => {
    const { root, tenant, env } = await setup();
    await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    sim.setScenario({ refreshFailure: 53003 });
    const run = await runSync(sim, root, tenant, { env, onStatus: noPrompt });
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Partially successful']);
    expect(run.report!.types.find((t) => t.type === 'teamsAppSettings')!.error).toEqual({ code: 'AUTH_CONDITIONAL_ACCESS', message: userAuthenticationMessages.blocked });
  });

  it('a cache written with another key is ignored with a warning, and device code signs in again', async () => {
    const { root, tenant, env } = await setup();
    await runSync(sim, root, tenant, { env, onStatus: person(sim, 'approve') });
    const run = await runSync(sim, root, tenant, { env: { ...env, [CACHE_KEY_ENV]: cacheKey('other') }, onStatus: person(sim, 'approve') });
    expect(run.final).toBe('Idle');
    expect(run.statuses).toContain('Pending authentication');
    expect(run.log.some((l) => l.startsWith('warning:') && l.includes('AUTH_CACHE_UNREADABLE'))).toBe(true);
  });

  it('refuses a cache file inside the repository, and a missing key', async () => {
    const { root, env } = await setup();
    const inRepo = delegatedTenant(sim, { cacheFile: join(process.cwd(), '.tmp', 'contoso.token-cache') });
    const run = await runSync(sim, root, inRepo, { env });
    expect(run.final).toBe('New error');
    expect(run.error?.code).toBe('CONFIG_INVALID');
    expect(run.error?.message).toContain('inside the git repository');
    const { tenant } = await setup();
    const noKey = await runSync(sim, root, tenant, { env: simEnv(sim) });
    expect(noKey.error?.code).toBe('CREDENTIAL_MISSING');
    expect(noKey.error?.message).toContain(CACHE_KEY_ENV);
    expect(sim.counters().tokenRequests['device_code'] ?? 0).toBe(0);
  });
});
