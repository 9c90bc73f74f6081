/**
 * Pending admin consent against the simulator: the permissions the configuration needs come from
 * the catalogue and the enabled types, the granted ones from the tokens; a missing one gives the
 * list and the consent link, nothing is written, and unreadable types keep their files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tenantConsentUrl } from '../../src/auth/permissions.js';
import { assertWritable } from '../../src/engine/connect.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simEnv, tempRepo, tenantFor } from '../backup/helpers.js';
import { CACHE_KEY_ENV, cacheKey, delegatedTenant, person, readTree, runSync, tempDir } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ throttling: false, deviceCode: { intervalSeconds: 1 } });
});
afterAll(async () => sim?.close());
beforeEach(() => {
  sim.reset();
});

describe('Pending admin consent', () => {
  it('everything granted: no consent pending, Idle', async () => {
    const run = await runSync(sim, await tempRepo(), tenantFor(sim));
    expect(run.connection?.consent).toEqual({ pending: false });
    expect(run.final).toBe('Idle');
  });

  it('a write permission missing: Pending admin consent with the list and the link, the backup done, zero writes', async () => {
    const root = await tempRepo();
    const tenant = tenantFor(sim);
    sim.setScenario({ appRoles: sim.scenario.appRoles.filter((r) => r !== 'Policy.ReadWrite.ConditionalAccess') });
    const run = await runSync(sim, root, tenant);
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending admin consent']);
    const consent = run.connection!.consent;
    expect(consent.pending).toBe(true);
    if (!consent.pending) return;
    expect(consent.missing).toEqual([
      { permission: 'Policy.ReadWrite.ConditionalAccess', kind: 'application', access: 'write', neededBy: expect.arrayContaining(['conditionalAccessPolicies', 'namedLocations']) },
    ]);
    expect(consent.url).toBe(tenantConsentUrl(tenant));
    expect(consent.url).toBe(
      `${sim.loginUrl}/${sim.tenantId}/v2.0/adminconsent?client_id=${sim.apps.secret.clientId}&scope=${encodeURIComponent(`${sim.graphUrl}/.default`)}&redirect_uri=${encodeURIComponent(`${sim.loginUrl}/common/oauth2/nativeclient`)}`,
    );
    expect(run.log.some((l) => l.startsWith('warning:') && l.includes('Policy.ReadWrite.ConditionalAccess') && l.includes(consent.url))).toBe(true);
    // Reading needed no write permission: everything was backed up. Nothing was written to the tenant.
    expect(run.report!.totals.failedTypes).toBe(0);
    expect(sim.writes()).toHaveLength(0);
    expect(() => assertWritable(run.connection!, 'contoso')).toThrow(expect.objectContaining({ code: 'PERMISSIONS_NOT_GRANTED' }));
  });

  it('a read permission missing: the types that lack it keep their files and are never taken as deleted', async () => {
    const root = await tempRepo();
    const tenant = tenantFor(sim);
    await runSync(sim, root, tenant);
    const before = await readTree(join(root, 'tenants'));
    sim.setScenario({ appRoles: sim.scenario.appRoles.filter((r) => !r.startsWith('SharePointTenantSettings.')) });
    // The tenant's SharePoint settings change meanwhile: the change must not show either.
    sim.tenant.update('sharePointSettings', String(sim.state('sharePointSettings')[0]!.id ?? ''), { isCommentingOnSitePagesEnabled: false });
    const run = await runSync(sim, root, tenant);
    expect(run.final).toBe('Pending admin consent');
    const consent = run.connection!.consent;
    expect(consent.pending && consent.missing.map((m) => `${m.permission}/${m.access}`)).toEqual([
      'SharePointTenantSettings.Read.All/read',
      'SharePointTenantSettings.ReadWrite.All/write',
    ]);
    const sp = run.report!.types.find((t) => t.type === 'sharePointSettings')!;
    expect(sp).toMatchObject({ status: 'failed', deleted: [], written: [] });
    expect(await readTree(join(root, 'tenants'))).toEqual(before);
    const ids = JSON.parse(await readFile(join(root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as Record<string, object>;
    expect(Object.keys(ids['sharePointSettings'] ?? {})).toHaveLength(1);
    expect(sim.writes()).toHaveLength(0);
  });

  it('deploy: false needs no write permission', async () => {
    const tenant = tenantFor(sim, '    deploy: false\n');
    sim.setScenario({ appRoles: sim.scenario.appRoles.filter((r) => !r.includes('ReadWrite')) });
    const run = await runSync(sim, await tempRepo(), tenant);
    expect(run.connection?.consent).toEqual({ pending: false });
    expect(run.final).toBe('Idle');
  });

  it('a delegated scope missing from the user\'s token (scp): Pending admin consent for a delegated permission', async () => {
    const tenant = delegatedTenant(sim, { cacheFile: join(await tempDir(), 'c.token-cache') });
    sim.setScenario({ delegatedScopes: sim.scenario.delegatedScopes.filter((s) => s !== 'TeamworkAppSettings.ReadWrite.All') });
    const run = await runSync(sim, await tempRepo(), tenant, { env: { ...simEnv(sim), [CACHE_KEY_ENV]: cacheKey() }, onStatus: person(sim, 'approve') });
    expect(run.statuses).toEqual(['Not run', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Pending admin consent']);
    const consent = run.connection!.consent;
    expect(consent.pending && consent.missing).toEqual([{ permission: 'TeamworkAppSettings.ReadWrite.All', kind: 'delegated', access: 'write', neededBy: ['teamsAppSettings'] }]);
    // The user can still read: the type is backed up.
    expect(run.report!.types.find((t) => t.type === 'teamsAppSettings')!.status).toBe('backed-up');
    expect(sim.writes()).toHaveLength(0);
  });
});
