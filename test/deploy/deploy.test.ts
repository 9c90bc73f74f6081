import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, readRecordFile } from '../../src/deploy/index.js';
import type { GraphClient, GraphRequest } from '../../src/graph/types.js';
import { createMemoryLogger } from '../../src/log/index.js';
import type { Plan } from '../../src/reconcile/plan.js';
import { renderJson } from '../../src/snapshot/index.js';
import { snapshotTree, tempRepo, tenantFor } from '../backup/helpers.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import {
  apply,
  approval,
  backup,
  copyItem,
  deleteItem,
  fileText,
  filePath,
  graphFor,
  makePlan,
  updateItem,
  writeLines,
  type Obj,
  type Repo,
} from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  sim.reset();
});

const CA = 'conditionalAccessPolicies';
const NL = 'namedLocations';
const CA_PATH = '/v1.0/identity/conditionalAccess/policies';
const NL_PATH = '/v1.0/identity/conditionalAccess/namedLocations';
const BLOCK_LEGACY = 'Block legacy auth_ all users_apps';
const FINANCE_CA = 'Require phishing-resistant MFA for Finance';
const FIDO_CA = 'Require FIDO2 for helpdesk outside allowed countries';

async function freshRepo(): Promise<Repo> {
  const repo = await backup(sim, await tempRepo());
  sim.clearWrites();
  return repo;
}

const idOf = (repo: Repo, type: string, file: string): string => repo.ids[type]![file]!;
const newestId = (type: string, field: string, name: string): string => String(sim.state(type).find((o) => o[field] === name)?.id);

/** A new IP named location made from the backed-up one */
const branchOffice = (repo: Repo) =>
  copyItem(repo, NL, 'IPv4 named location', 'Branch office', (o) => {
    o.ipRanges = [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }];
  });

describe('a plan is applied object by object', () => {
  it('makes exactly the writes the plan lists, in dependency order, and records them', async () => {
    const repo = await freshRepo();
    const plan = makePlan([
      await deleteItem(repo, 'deviceConfigurations', 'Windows Update ring - Pilot'),
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => {
        o.state = 'disabled';
      }),
      await branchOffice(repo),
    ]);
    const record = await apply(sim, repo, plan);

    const nl = newestId(NL, 'displayName', 'Branch office');
    expect(writeLines(sim)).toEqual([
      `POST ${NL_PATH}`,
      `PATCH ${CA_PATH}/${idOf(repo, CA, BLOCK_LEGACY)}`,
      `DELETE /beta/deviceManagement/deviceConfigurations/${idOf(repo, 'deviceConfigurations', 'Windows Update ring - Pilot')}`,
    ]);
    // A PATCH carries only what changes.
    expect(sim.writes()[1]!.body).toEqual({ state: 'disabled' });
    expect(record.status).toBe('succeeded');
    expect(record.items.map((i) => [i.action, i.type, i.result])).toEqual([
      ['create', NL, 'applied'],
      ['update', CA, 'applied'],
      ['delete', 'deviceConfigurations', 'applied'],
    ]);
    expect(record.items[0]!.id).toBe(nl);
    expect(record.items.flatMap((i) => i.requests.map((r) => `${r.method} ${r.path} ${r.status}`))).toEqual(
      sim.writes().map((w) => `${w.method} ${w.path} ${w.status}`),
    );
    expect(record.items.flatMap((i) => i.requests.map((r) => r.requestId))).toEqual(sim.writes().map((w) => w.requestId));
    expect(record.counts).toMatchObject({ items: 3, applied: 3, requests: 3, pending: 0, inProgress: 0 });
    expect(record.approval).toEqual(approval);
    // The record on disk is the one returned, and valid.
    const onDisk = await readRecordFile(record.recordFile);
    expect(onDisk.status).toBe('succeeded');
    expect(onDisk.items).toEqual(record.items);
    expect(onDisk.finishedAt).not.toBeNull();
  });

  it('finds an object the id map does not know by its file, and a singleton by its path', async () => {
    const repo = await freshRepo();
    const update = await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled'));
    const record = await apply(
      sim,
      repo,
      makePlan([{ ...update, id: null }, await updateItem(repo, 'authorizationPolicy', 'Authorization policy', (o) => (o.allowInvitesFrom = 'everyone'))]),
    );
    expect(record.items.map((i) => [i.type, i.result, i.id])).toEqual([
      [CA, 'applied', idOf(repo, CA, BLOCK_LEGACY)],
      ['authorizationPolicy', 'applied', null],
    ]);
    expect(writeLines(sim)).toEqual([`PATCH ${CA_PATH}/${idOf(repo, CA, BLOCK_LEGACY)}`, 'PATCH /v1.0/policies/authorizationPolicy']);
    expect(sim.writes()[1]!.body).toEqual({ allowInvitesFrom: 'everyone' });
  });

  it('writes nothing when the record cannot be written', async () => {
    const repo = await freshRepo();
    const plan = makePlan([await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled'))]);
    // The record's folder is a file: no record, no write.
    const recordFile = join(filePath(repo, CA, BLOCK_LEGACY), 'record.json');
    await expect(apply(sim, repo, plan, { recordFile })).rejects.toThrow();
    expect(sim.writes()).toHaveLength(0);
  });

  it('an empty plan writes nothing and succeeds', async () => {
    const repo = await freshRepo();
    const record = await apply(sim, repo, makePlan([]));
    expect(record.status).toBe('succeeded');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('the plan is checked before anything is written', () => {
  it('is refused without an approval, for another tenant, or when it is not a valid plan', async () => {
    const repo = await freshRepo();
    const plan = makePlan([await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled'))]);
    const tenant = tenantFor(sim);
    const graph = await graphFor(sim, tenant);
    const recordFile = join(repo.root, 'record.json');
    const run = (p: unknown, a: unknown) =>
      applyPlan({ plan: p as Plan, tenant, graph, log: createMemoryLogger(), recordFile, approval: a as typeof approval, verifyTimeoutMs: 100 });

    const unapproved = await run(plan, undefined);
    expect(unapproved.status).toBe('refused');
    expect(unapproved.error?.code).toBe('DEPLOY_NOT_APPROVED');
    expect(unapproved.approval).toBeNull();

    const other = await run(makePlan(plan.items, 'fabrikam'), approval);
    expect(other.status).toBe('refused');
    expect(other.error?.code).toBe('DEPLOY_WRONG_TENANT');
    expect(other.items.map((i) => i.result)).toEqual(['skipped']);

    const broken = structuredClone(plan) as unknown as { items: { tenantHash: string }[] };
    broken.items[0]!.tenantHash = 'not a hash';
    const invalid = await run(broken, approval);
    expect(invalid.status).toBe('refused');
    expect(invalid.error?.code).toBe('DEPLOY_PLAN_INVALID');
    expect(invalid.error?.message).toContain('items.0.tenantHash');

    expect((await readRecordFile(recordFile)).status).toBe('refused');
    expect(sim.writes()).toHaveLength(0);
    (graph as { close?: () => void }).close?.();
  });

  it('never writes a built-in object', async () => {
    const repo = await freshRepo();
    const plan = makePlan([await updateItem(repo, 'authenticationStrengthPolicies', 'Multifactor authentication', (o) => (o.description = 'changed'))]);
    const record = await apply(sim, repo, plan);
    expect(record.items[0]).toMatchObject({ result: 'failed', error: { code: 'READ_ONLY_OBJECT' } });
    expect(record.status).toBe('failed');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('a stale plan', () => {
  it('refuses an object changed in the tenant after planning, and applies the others', async () => {
    const repo = await freshRepo();
    const plan = makePlan([
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled')),
      await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US', 'CA', 'MX'])),
    ]);
    // Someone changes the policy in the portal after the plan was made.
    sim.tenant.update(CA, idOf(repo, CA, BLOCK_LEGACY), { state: 'enabledForReportingButNotEnforced' });

    const record = await apply(sim, repo, plan);
    const ca = record.items.find((i) => i.type === CA)!;
    expect(ca).toMatchObject({ result: 'stale', error: { code: 'DEPLOY_STALE' }, requests: [] });
    expect(ca.differences).toEqual(['state']);
    expect(ca.error!.message).toContain(`conditionalAccessPolicies/${BLOCK_LEGACY}.json`);
    expect(sim.writes().filter((w) => w.type === CA)).toHaveLength(0);
    expect(writeLines(sim)).toEqual([`PATCH ${NL_PATH}/${idOf(repo, NL, 'Country named location')}`]);
    expect(sim.tenant.get(CA, idOf(repo, CA, BLOCK_LEGACY))?.state).toBe('enabledForReportingButNotEnforced');
    expect(record.status).toBe('partial');
  });

  it('refuses a create whose name is now taken, and an update or delete whose object is gone', async () => {
    const repo = await freshRepo();
    const create = await branchOffice(repo);
    const plan = makePlan([
      create,
      await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US'])),
      await deleteItem(repo, 'deviceConfigurations', 'Windows Update ring - Pilot'),
    ]);
    sim.tenant.create(NL, { ...(create.after as Obj), isTrusted: true });
    sim.tenant.remove(NL, idOf(repo, NL, 'Country named location'));
    sim.tenant.remove('deviceConfigurations', idOf(repo, 'deviceConfigurations', 'Windows Update ring - Pilot'));

    const record = await apply(sim, repo, plan);
    expect(record.items.map((i) => i.result)).toEqual(['stale', 'stale', 'stale']);
    expect(record.items[0]!.error!.message).toContain("an object named 'Branch office' now exists");
    expect(record.status).toBe('failed');
    expect(sim.writes()).toHaveLength(0);
  });

  it('writes nothing for an object that already is as planned', async () => {
    const repo = await freshRepo();
    const plan = makePlan([await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled'))]);
    sim.tenant.update(CA, idOf(repo, CA, BLOCK_LEGACY), { state: 'disabled' });
    const record = await apply(sim, repo, plan);
    expect(record.items[0]!.result).toBe('skipped');
    expect(record.status).toBe('succeeded');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('names are resolved to this tenant’s ids', () => {
  it('fails only the object whose name cannot be resolved, naming the file, the path and the name', async () => {
    const repo = await freshRepo();
    const plan = makePlan([
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => {
        (o.conditions as { users: Obj }).users.includeGroups = ['No Such Group'];
      }),
      await updateItem(repo, CA, FIDO_CA, (o) => {
        (o.conditions as { users: Obj }).users.excludeGroups = ['Finance'];
      }),
      await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US', 'CA', 'MX'])),
    ]);
    // A second group called Finance makes that name ambiguous.
    sim.tenant.create('groups', { displayName: 'Finance', mailEnabled: false, securityEnabled: true });

    const record = await apply(sim, repo, plan);
    const [nl, missing, ambiguous] = record.items;
    expect(nl).toMatchObject({ type: NL, result: 'applied' });
    expect(missing).toMatchObject({ name: 'Block legacy auth: all users/apps', result: 'failed', error: { code: 'REFERENCE_UNRESOLVED' }, requests: [] });
    expect(missing!.error!.message).toContain(`tenants/contoso/entra/conditionalAccessPolicies/${BLOCK_LEGACY}.json`);
    expect(missing!.error!.message).toContain("conditions.users.includeGroups[0] names 'No Such Group'");
    expect(ambiguous).toMatchObject({ result: 'failed', error: { code: 'REFERENCE_UNRESOLVED' } });
    expect(ambiguous!.error!.message).toContain("conditions.users.excludeGroups[0] names 'Finance' (groups): 2 groups have this name");
    expect(writeLines(sim)).toEqual([`PATCH ${NL_PATH}/${idOf(repo, NL, 'Country named location')}`]);
    expect(record.status).toBe('partial');
  });

  it('creates a named location and a policy naming it in one plan, with the new id', async () => {
    const repo = await freshRepo();
    const policy = await copyItem(repo, CA, FINANCE_CA, 'Finance from branch offices', (o) => {
      const conditions = o.conditions as { locations: Obj; users: Obj };
      conditions.locations.excludeLocations = ['Branch office'];
      conditions.users.includeUsers = ['AdeleV@contoso.onmicrosoft.com'];
      o.state = 'disabled';
    });
    // The policy comes first in the plan: deploy puts the location first (dependency order).
    const record = await apply(sim, repo, makePlan([policy, await branchOffice(repo)]));
    expect(record.items.map((i) => [i.type, i.result])).toEqual([
      [NL, 'applied'],
      [CA, 'applied'],
    ]);
    const nl = newestId(NL, 'displayName', 'Branch office');
    expect(writeLines(sim)).toEqual([`POST ${NL_PATH}`, `POST ${CA_PATH}`]);
    const body = sim.writes()[1]!.body as { conditions: { locations: Obj; users: Obj }; grantControls: { authenticationStrength: Obj } };
    expect(body.conditions.locations.excludeLocations).toEqual([nl]);
    expect(body.conditions.users.includeGroups).toEqual(['8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e02']);
    expect(body.conditions.users.includeUsers).toEqual(['5d1e7c20-3a4b-4f6e-8d9c-2b1a0f9e8d03']);
    expect(body.conditions.users.excludeUsers).toEqual(['5d1e7c20-3a4b-4f6e-8d9c-2b1a0f9e8d01']);
    expect(body.grantControls.authenticationStrength.id).toBe('00000000-0000-0000-0000-000000000004');
    expect(record.items[1]!.id).toBe(newestId(CA, 'displayName', 'Finance from branch offices'));
  });
});

describe('write semantics per type', () => {
  it('PUT with settings, PATCH with @odata.type, /assign, updateAllowedCombinations, create with scheduledActionsForRule', async () => {
    const repo = await freshRepo();
    const settingsCatalog = await updateItem(repo, 'configurationPolicies', 'Defender Antivirus - Corporate', (o) => {
      o.description = 'Defender settings, reviewed';
      const setting = (o.settings as { settingInstance: { choiceSettingValue: Obj } }[])[0]!;
      setting.settingInstance.choiceSettingValue.value = 'device_vendor_msft_policy_config_defender_allowarchivescanning_0';
    });
    const plan = makePlan([
      settingsCatalog,
      await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US', 'CA', 'MX'])),
      await updateItem(repo, 'deviceConfigurations', 'iOS device restrictions', (o) => {
        (o.assignments as unknown[]).pop();
      }),
      await updateItem(repo, 'authenticationStrengthPolicies', 'FIDO2 only', (o) => (o.allowedCombinations = ['fido2', 'windowsHelloForBusiness'])),
      await copyItem(repo, 'deviceCompliancePolicies', 'iOS compliance', 'iOS compliance (strict)', (o) => (o.passcodeMinimumLength = 8)),
    ]);
    const record = await apply(sim, repo, plan);
    expect(record.items.map((i) => [i.type, i.result])).toEqual([
      [NL, 'applied'],
      ['authenticationStrengthPolicies', 'applied'],
      ['deviceCompliancePolicies', 'applied'],
      ['deviceConfigurations', 'applied'],
      ['configurationPolicies', 'applied'],
    ]);
    const compliance = newestId('deviceCompliancePolicies', 'displayName', 'iOS compliance (strict)');
    expect(writeLines(sim)).toEqual([
      `PATCH ${NL_PATH}/${idOf(repo, NL, 'Country named location')}`,
      `POST /v1.0/policies/authenticationStrengthPolicies/${idOf(repo, 'authenticationStrengthPolicies', 'FIDO2 only')}/updateAllowedCombinations`,
      'POST /beta/deviceManagement/deviceCompliancePolicies',
      `POST /beta/deviceManagement/deviceCompliancePolicies/${compliance}/assign`,
      `POST /beta/deviceManagement/deviceConfigurations/${idOf(repo, 'deviceConfigurations', 'iOS device restrictions')}/assign`,
      `PUT /beta/deviceManagement/configurationPolicies/${idOf(repo, 'configurationPolicies', 'Defender Antivirus - Corporate')}`,
    ]);
    const [patch, combos, create, assignNew, assign, put] = sim.writes().map((w) => w.body as Obj);
    expect(patch).toEqual({ '@odata.type': '#microsoft.graph.countryNamedLocation', countriesAndRegions: ['US', 'CA', 'MX'] });
    expect(combos).toEqual({ allowedCombinations: ['fido2', 'windowsHelloForBusiness'] });
    expect(create!['@odata.type']).toBe('#microsoft.graph.iosCompliancePolicy');
    expect(create!.scheduledActionsForRule).toEqual([
      expect.objectContaining({ ruleName: 'PasswordRequired', scheduledActionConfigurations: [expect.objectContaining({ actionType: 'block' })] }),
    ]);
    expect(create).not.toHaveProperty('assignments');
    expect(create!.roleScopeTagIds).toEqual(['1']);
    expect((assignNew!.assignments as { target: Obj }[])[0]!.target.groupId).toBe('8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e06');
    expect(assign!.assignments).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({ groupId: '8a3c2f10-5b1e-4c7d-9e2a-1f0b3c4d5e06', deviceAndAppManagementAssignmentFilterId: 'c6a8e0d2-7b3f-4e21-9a4d-5f1e2b3c4d02' }),
      }),
    ]);
    expect(put!.settings).toHaveLength((settingsCatalog.after!.settings as unknown[]).length);
    expect(put!.description).toBe('Defender settings, reviewed');
    expect(put).not.toHaveProperty('assignments');
    expect(put!.roleScopeTagIds).toEqual(['0', '1']);
    // The PUT leaves the policy's assignments (a relationship) as they were.
    const policy = sim.tenant.get('configurationPolicies', idOf(repo, 'configurationPolicies', 'Defender Antivirus - Corporate'))!;
    expect(policy.assignments).toHaveLength(2);
  });

  it('never sends an encrypted value back as a literal', async () => {
    const repo = await freshRepo();
    const cipher = 'MIIBsQYJKoZIhvcNAQcDoIIBojCCAZ4CAQAxggFQMIIBTAIBADA0MCAxHjAcBgNVBAMMFUludHVuZSBTZWNyZXQgU3RvcmU=';
    // The backup never writes it to the repository either
    expect(await fileText(repo, 'deviceConfigurations', 'Windows custom OMA-URI')).not.toContain(cipher);
    expect(sim.state('deviceConfigurations').some((o) => JSON.stringify(o).includes(cipher))).toBe(true);
    const plan = makePlan([
      await updateItem(repo, 'deviceConfigurations', 'Windows custom OMA-URI', (o) => {
        (o.omaSettings as Obj[])[0]!.value = 1;
      }),
    ]);
    const record = await apply(sim, repo, plan);
    expect(writeLines(sim)).toEqual([`PATCH /beta/deviceManagement/deviceConfigurations/${idOf(repo, 'deviceConfigurations', 'Windows custom OMA-URI')}`]);
    const body = sim.writes()[0]!.body as { omaSettings: Obj[] };
    expect(body.omaSettings.map((s) => s.value)).toEqual([1, 'https://contoso.blob.core.windows.net/branding/lockscreen.jpg', undefined]);
    expect(body.omaSettings[2]).toMatchObject({ isEncrypted: true, omaUri: './Vendor/MSFT/Proxy/Credentials' });
    expect(JSON.stringify(sim.writes())).not.toContain(cipher);
    expect(record.items[0]).toMatchObject({ result: 'applied' });
    expect(await readFile(record.recordFile, 'utf8')).not.toContain(cipher);
  });
});

describe('deletes', () => {
  it('go last, in reverse dependency order', async () => {
    const repo = await freshRepo();
    const plan = makePlan([
      await deleteItem(repo, NL, 'Country named location'),
      await deleteItem(repo, NL, 'Trusted IPv6 named location'),
      await deleteItem(repo, 'authenticationStrengthPolicies', 'FIDO2 only'),
      await deleteItem(repo, CA, FIDO_CA),
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled')),
    ]);
    const record = await apply(sim, repo, plan);
    expect(record.status).toBe('succeeded');
    expect(writeLines(sim)).toEqual([
      `PATCH ${CA_PATH}/${idOf(repo, CA, BLOCK_LEGACY)}`,
      `DELETE ${CA_PATH}/${idOf(repo, CA, FIDO_CA)}`,
      `DELETE /v1.0/policies/authenticationStrengthPolicies/${idOf(repo, 'authenticationStrengthPolicies', 'FIDO2 only')}`,
      `DELETE ${NL_PATH}/${idOf(repo, NL, 'Country named location')}`,
      `DELETE ${NL_PATH}/${idOf(repo, NL, 'Trusted IPv6 named location')}`,
    ]);
    expect(sim.state(NL).map((o) => o.displayName)).toEqual(['IPv4 named location']);
  });
});

describe('verification', () => {
  it('waits out eventual consistency: a 404 right after a create still ends applied', async () => {
    const repo = await freshRepo();
    const graph = await graphFor(sim);
    // Graph has not replicated the new object yet: the first read after the create answers 404.
    const wrapped: GraphClient = {
      ...graph,
      stats: graph.stats,
      request: async (req: GraphRequest) => {
        const response = await graph.request(req);
        if (req.method === 'POST' && req.url.endsWith('/namedLocations')) {
          const id = String((response.body as Obj).id);
          sim.faults.add({ kind: 'status', status: 404, count: 1, match: { method: 'GET', pathIncludes: `/namedLocations/${id}` } });
        }
        return response;
      },
    };
    const record = await apply(sim, repo, makePlan([await branchOffice(repo)]), { graph: wrapped, verifyTimeoutMs: 10_000 });
    graph.close?.();
    expect(sim.faults.list()).toHaveLength(0); // the 404 was served
    expect(sim.counters().byStatus['404']).toBeGreaterThanOrEqual(1);
    expect(record.items[0]).toMatchObject({ result: 'applied' });
    expect(writeLines(sim)).toEqual([`POST ${NL_PATH}`]);
  });

  it('marks an object that reads back differently as unverified, with the differing paths', async () => {
    const repo = await freshRepo();
    const graph = await graphFor(sim);
    // The service normalises a value on write (as Graph does, e.g. with casing).
    const wrapped: GraphClient = {
      ...graph,
      stats: graph.stats,
      request: async (req: GraphRequest) => {
        const response = await graph.request(req);
        if (req.method === 'PATCH') sim.tenant.update(NL, idOf(repo, NL, 'Country named location'), { countriesAndRegions: ['us'] }, { touch: false });
        return response;
      },
    };
    const plan = makePlan([await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US']))]);
    const record = await apply(sim, repo, plan, { graph: wrapped, verifyTimeoutMs: 1_000 });
    graph.close?.();
    expect(record.items[0]).toMatchObject({ result: 'unverified', error: { code: 'DEPLOY_UNVERIFIED' }, differences: ['countriesAndRegions[0]'] });
    expect(record.status).toBe('partial');
  });
});

describe('round trip', () => {
  it('a backup after the apply gives the plan’s files for every planned object, and no other file changes', async () => {
    const repo = await freshRepo();
    const before = await snapshotTree(repo.root);
    const plan = makePlan([
      await branchOffice(repo),
      await copyItem(repo, CA, FINANCE_CA, 'Finance from branch offices', (o) => {
        (o.conditions as { locations: Obj }).locations.excludeLocations = ['Branch office'];
        o.state = 'disabled';
      }),
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled')),
      await updateItem(repo, 'configurationPolicies', 'Defender Antivirus - Corporate', (o) => {
        o.description = 'Defender settings, reviewed';
        (o.settings as unknown[]).pop();
      }),
      await updateItem(repo, 'deviceConfigurations', 'iOS device restrictions', (o) => {
        (o.assignments as unknown[]).pop();
        o.description = 'Restrictions for supervised iPhones';
      }),
      await updateItem(repo, 'authenticationStrengthPolicies', 'FIDO2 only', (o) => {
        o.allowedCombinations = ['fido2', 'windowsHelloForBusiness'];
        o.description = 'FIDO2 keys and Windows Hello';
      }),
      await copyItem(repo, 'deviceCompliancePolicies', 'iOS compliance', 'iOS compliance (strict)', (o) => (o.passcodeMinimumLength = 8)),
      await copyItem(repo, 'authenticationStrengthPolicies', 'FIDO2 only', 'Security keys'),
      await updateItem(repo, 'securityDefaults', 'Security defaults', (o) => (o.isEnabled = !o.isEnabled)),
      await deleteItem(repo, 'deviceConfigurations', 'Windows Update ring - Pilot'),
    ]);
    const record = await apply(sim, repo, plan, { recordFile: join(await tempRepo(), 'record.json') });
    expect(record.items.filter((i) => i.result !== 'applied')).toEqual([]);

    await backup(sim, repo.root);
    const after = await snapshotTree(repo.root);
    const planned = new Set<string>();
    for (const item of plan.items) {
      const path = filePath(repo, item.type, item.file).slice(repo.root.length + 1);
      planned.add(path);
      if (item.after) expect(await readFile(join(repo.root, path), 'utf8'), path).toBe(renderJson(item.after));
      else expect(after.has(path), path).toBe(false);
    }
    const others = (tree: typeof before) =>
      [...tree].filter(([path]) => !planned.has(path) && !path.startsWith('.tenant-sync')).map(([path, { hash }]) => [path, hash]);
    expect(others(after)).toEqual(others(before));
  });
});

describe('the deploy record', () => {
  it('shows the object whose write was in flight when the process died', async () => {
    const repo = await freshRepo();
    const graph = await graphFor(sim);
    let writes = 0;
    let reached!: () => void;
    const inFlight = new Promise<void>((resolve) => (reached = resolve));
    // The process "dies" while the second write is on the wire: it never returns.
    const dying: GraphClient = {
      ...graph,
      stats: graph.stats,
      request: async (req: GraphRequest) => {
        if (req.method !== 'GET' && ++writes === 2) {
          reached();
          return new Promise<never>(() => {});
        }
        return graph.request(req);
      },
    };
    const plan = makePlan([
      await updateItem(repo, NL, 'Country named location', (o) => (o.countriesAndRegions = ['US'])),
      await updateItem(repo, CA, BLOCK_LEGACY, (o) => (o.state = 'disabled')),
      await deleteItem(repo, 'deviceConfigurations', 'Windows Update ring - Pilot'),
    ]);
    const recordFile = join(repo.root, 'deploy-record.json');
    void applyPlan({ plan, tenant: tenantFor(sim), graph: dying, log: createMemoryLogger(), recordFile, approval, verifyTimeoutMs: 1_000 });
    await inFlight;

    const record = await readRecordFile(recordFile);
    expect(record.status).toBe('running');
    expect(record.finishedAt).toBeNull();
    expect(record.items.map((i) => [i.type, i.result])).toEqual([
      [NL, 'applied'],
      [CA, 'in-progress'],
      ['deviceConfigurations', 'pending'],
    ]);
    expect(record.items[1]).toMatchObject({ id: idOf(repo, CA, BLOCK_LEGACY), requests: [] });
    expect(record.counts).toMatchObject({ applied: 1, inProgress: 1, pending: 1 });
    expect(sim.writes()).toHaveLength(1);
    graph.close?.();
  });

  it('a write that got no answer is recorded as such, and a rerun converges without writing it twice', async () => {
    const repo = await freshRepo();
    const plan = makePlan([await branchOffice(repo)]);
    // The create reaches Graph, the answer is lost: a POST is never repeated blindly.
    sim.faults.add({ kind: 'drop', count: 1, phase: 'after', match: { method: 'POST', pathIncludes: '/namedLocations' } });
    sim.clearWrites();
    const first = await apply(sim, repo, plan);
    expect(first.items[0]).toMatchObject({ result: 'failed', error: { code: 'DEPLOY_OUTCOME_UNKNOWN' } });
    // No answer, so no request-id; the client-request-id it carried is the one Graph logged
    const [landed] = sim.writes();
    expect(first.items[0]!.requests).toEqual([{ method: 'POST', path: NL_PATH, status: null, requestId: null, clientRequestId: landed!.clientRequestId }]);
    expect(first.status).toBe('failed');
    expect(sim.state(NL).filter((o) => o.displayName === 'Branch office')).toHaveLength(1);

    sim.clearWrites();
    const second = await apply(sim, repo, plan);
    expect(second.items[0]).toMatchObject({ result: 'skipped', id: newestId(NL, 'displayName', 'Branch office') });
    expect(second.status).toBe('succeeded');
    expect(sim.writes()).toHaveLength(0);
  });
});
