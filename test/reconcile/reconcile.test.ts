import { describe, expect, it } from 'vitest';
import {
  applyAdoption,
  isEmptyPlan,
  objectHash,
  parsePlan,
  planHash,
  reconcile,
  treeFromTenantTree,
  type ReconcileInput,
  type Tree,
} from '../../src/reconcile/index.js';
import { renderJson } from '../../src/snapshot/index.js';
import { applyPlan, byName, def, defs, e, ids, locations, policies, readOnlyType, settingsSingleton, strengths, tree } from './helpers.js';

function run(base: Tree, tenant: Tree, desired: Tree, extra: Partial<ReconcileInput> = {}) {
  return reconcile({ tenantName: 'contoso', defs, base, tenant, desired, idMap: ids(tenant), baseIdMap: ids(base), ...extra });
}

const hq = e('HQ', { ipRanges: ['10.0.0.0/8'] });
const branch = e('Branch', { ipRanges: ['192.168.0.0/16'] });

function classOf(r: ReturnType<typeof run>, name: string) {
  return r.objects.find((o) => o.name === name)?.classification;
}

describe('classification', () => {
  it('equal trees: everything unchanged, empty plan', () => {
    const t = tree({ namedLocations: [hq, branch] });
    const r = run(t, t, t);
    expect(isEmptyPlan(r.plan)).toBe(true);
    expect(r.plan.counts).toEqual({ creates: 0, updates: 0, deletes: 0, conflicts: 0, errors: 0, held: 0, drift: 0, unchanged: 2 });
    expect(r.objects.map((o) => o.classification)).toEqual(['unchanged', 'unchanged']);
    expect(r.adoption).toEqual([]);
  });

  it('a change in the repository only is an update planned against the tenant version', () => {
    const base = tree({ namedLocations: [hq] });
    const desired = tree({ namedLocations: [e('HQ', { ipRanges: ['10.0.0.0/16'] })] });
    const r = run(base, base, desired);
    expect(classOf(r, 'HQ')).toBe('change');
    expect(r.plan.items).toHaveLength(1);
    const item = r.plan.items[0]!;
    expect(item).toMatchObject({ action: 'update', origin: 'repository', type: 'namedLocations', name: 'HQ', id: 'id-HQ', file: 'HQ', tenantFile: 'HQ' });
    expect(item.tenantHash).toBe(objectHash(hq.object));
    expect(item.changes).toEqual([{ path: 'ipRanges', kind: 'changed', before: ['10.0.0.0/8'], after: ['10.0.0.0/16'] }]);
    expect(item.before).toEqual(hq.object);
    expect(item.after).toEqual(desired['namedLocations']![0]!.object);
  });

  it('tenantHash is the sha256 of the file bytes (renderJson)', async () => {
    const { createHash } = await import('node:crypto');
    const obj = { displayName: 'x', b: [1, { z: null, a: 'é\u{1F600}' }], a: true };
    expect(objectHash(obj)).toBe(createHash('sha256').update(renderJson(obj)).digest('hex'));
  });

  it('created and deleted in the repository', () => {
    const base = tree({ namedLocations: [hq] });
    const desired = tree({ namedLocations: [branch] });
    const r = run(base, base, desired);
    expect(classOf(r, 'Branch')).toBe('created-in-repo');
    expect(classOf(r, 'HQ')).toBe('deleted-in-repo');
    const [create, del] = r.plan.items;
    expect(create).toMatchObject({ action: 'create', name: 'Branch', id: null, tenantHash: null, before: null, tenantFile: null });
    expect(del).toMatchObject({ action: 'delete', name: 'HQ', id: 'id-HQ', after: null, tenantHash: objectHash(hq.object) });
    expect(r.plan.counts).toMatchObject({ creates: 1, deletes: 1 });
  });

  it('changed on both sides the same way is unchanged; differently is a conflict that blocks nothing else', () => {
    const base = tree({ namedLocations: [hq, branch] });
    const same = e('HQ', { ipRanges: ['1.0.0.0/8'] });
    const r1 = run(base, tree({ namedLocations: [same, branch] }), tree({ namedLocations: [same, branch] }));
    expect(classOf(r1, 'HQ')).toBe('unchanged');
    expect(isEmptyPlan(r1.plan)).toBe(true);

    const r2 = run(
      base,
      tree({ namedLocations: [e('HQ', { ipRanges: ['1.0.0.0/8'] }), branch] }),
      tree({ namedLocations: [e('HQ', { ipRanges: ['2.0.0.0/8'] }), e('Branch', { ipRanges: [] })] }),
    );
    expect(classOf(r2, 'HQ')).toBe('conflict');
    expect(r2.plan.conflicts).toHaveLength(1);
    expect(r2.plan.conflicts[0]).toMatchObject({
      kind: 'both-changed',
      name: 'HQ',
      tenantChanges: [{ path: 'ipRanges', before: ['10.0.0.0/8'], after: ['1.0.0.0/8'] }],
      repoChanges: [{ path: 'ipRanges', before: ['10.0.0.0/8'], after: ['2.0.0.0/8'] }],
    });
    expect(r2.plan.items.map((i) => i.name)).toEqual(['Branch']);
    expect(r2.plan.counts.conflicts).toBe(1);
  });

  it('conflicts between a delete on one side and a change on the other', () => {
    const base = tree({ namedLocations: [hq, branch] });
    const changedHq = e('HQ', { ipRanges: [] });
    const changedBranch = e('Branch', { ipRanges: [] });
    const r = run(base, tree({ namedLocations: [changedHq] }), tree({ namedLocations: [changedBranch] }));
    const kinds = Object.fromEntries(r.plan.conflicts.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({ HQ: 'changed-in-tenant-deleted-in-repo', Branch: 'deleted-in-tenant-changed-in-repo' });
    expect(r.plan.items).toEqual([]);
  });

  it('created on both sides: equal is unchanged, different is a conflict', () => {
    const base = tree({});
    const r = run(base, tree({ namedLocations: [hq, branch] }), tree({ namedLocations: [hq, e('Branch', { ipRanges: [] })] }));
    expect(classOf(r, 'HQ')).toBe('unchanged');
    expect(r.plan.conflicts.map((c) => [c.name, c.kind])).toEqual([['Branch', 'created-in-both']]);
  });

  it('an object gone from both sides is not reported', () => {
    const r = run(tree({ namedLocations: [hq] }), tree({}), tree({}));
    expect(r.objects).toEqual([]);
    expect(isEmptyPlan(r.plan)).toBe(true);
  });
});

describe('drift policy', () => {
  const base = tree({ namedLocations: [hq, branch] });
  const changed = e('HQ', { ipRanges: ['10.1.0.0/16'] });
  const created = e('Guest wifi', { ipRanges: ['172.16.0.0/12'] });
  // HQ changed, Branch deleted, Guest wifi created in the tenant
  const tenant = tree({ namedLocations: [changed, created] });

  it('adopt (default): the repository takes the tenant\u2019s version, nothing is planned', () => {
    const r = run(base, tenant, base, { drift: undefined });
    expect(r.plan.driftPolicy).toBe('adopt');
    expect(r.plan.items).toEqual([]);
    expect(r.objects.map((o) => [o.name, o.classification, o.adopted])).toEqual([
      ['Branch', 'deleted-in-tenant', true],
      ['Guest wifi', 'created-in-tenant', true],
      ['HQ', 'drift', true],
    ]);
    expect(r.adoption).toEqual([
      { type: 'namedLocations', name: 'Branch', file: 'Branch', object: null },
      { type: 'namedLocations', name: 'Guest wifi', file: 'Guest wifi', object: created.object },
      { type: 'namedLocations', name: 'HQ', file: 'HQ', object: changed.object },
    ]);
    expect(byName(applyAdoption(base, r.adoption))).toEqual(byName(tenant));
    expect(r.plan.drift.map((d) => [d.name, d.kind, d.action])).toEqual([
      ['Branch', 'deleted', 'adopt'],
      ['Guest wifi', 'created', 'adopt'],
      ['HQ', 'changed', 'adopt'],
    ]);
    expect(isEmptyPlan(r.plan)).toBe(true);
  });

  it('remediate: plan items put the desired state back', () => {
    const r = run(base, tenant, base, { drift: 'remediate' });
    expect(r.adoption).toEqual([]);
    expect(r.plan.items.map((i) => [i.action, i.name, i.origin])).toEqual([
      ['create', 'Branch', 'remediation'],
      ['update', 'HQ', 'remediation'],
      ['delete', 'Guest wifi', 'remediation'],
    ]);
    expect(byName(applyPlan(tenant, r.plan.items))).toEqual(byName(base));
  });

  it('report: only reported', () => {
    const r = run(base, tenant, base, { drift: 'report' });
    expect(r.plan.items).toEqual([]);
    expect(r.adoption).toEqual([]);
    expect(r.plan.drift).toHaveLength(3);
    expect(r.plan.drift.every((d) => d.action === 'report')).toBe(true);
    expect(r.plan.drift.find((d) => d.name === 'HQ')!.changes).toEqual([
      { path: 'ipRanges', kind: 'changed', before: ['10.0.0.0/8'], after: ['10.1.0.0/16'] },
    ]);
  });
});

describe('renames', () => {
  it('renamed in the tenant (same id): drift, adopted as a new file replacing the old one', () => {
    const base = tree({ namedLocations: [hq] });
    const tenant = tree({ namedLocations: [e('Head office', { ipRanges: ['10.0.0.0/8'] })] });
    const r = reconcile({
      tenantName: 'contoso',
      defs,
      base,
      tenant,
      desired: base,
      baseIdMap: { namedLocations: { HQ: 'loc-1' } },
      idMap: { namedLocations: { 'Head office': 'loc-1' } },
    });
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]).toMatchObject({ classification: 'drift', name: 'HQ', id: 'loc-1' });
    expect(r.adoption).toEqual([
      { type: 'namedLocations', name: 'HQ', file: 'HQ', object: null },
      { type: 'namedLocations', name: 'Head office', file: 'Head office', object: tenant['namedLocations']![0]!.object },
    ]);
    expect(applyAdoption(base, r.adoption)).toEqual(tenant);

    const remediate = reconcile({
      tenantName: 'contoso',
      defs,
      base,
      tenant,
      desired: base,
      baseIdMap: { namedLocations: { HQ: 'loc-1' } },
      idMap: { namedLocations: { 'Head office': 'loc-1' } },
      drift: 'remediate',
    });
    expect(remediate.plan.items).toHaveLength(1);
    expect(remediate.plan.items[0]).toMatchObject({ action: 'update', name: 'HQ', previousName: 'Head office', id: 'loc-1', tenantFile: 'Head office' });
  });

  it('renamed in the repository (same file, new name): an update, not a delete and a create', () => {
    const base = tree({ namedLocations: [hq] });
    const desired = tree({ namedLocations: [e('Head office', { ipRanges: ['10.0.0.0/8'] }, 'HQ')] });
    const r = run(base, base, desired);
    expect(r.plan.items).toHaveLength(1);
    expect(r.plan.items[0]).toMatchObject({
      action: 'update',
      name: 'Head office',
      previousName: 'HQ',
      id: 'id-HQ',
      file: 'HQ',
      changes: [{ path: 'displayName', kind: 'changed', before: 'HQ', after: 'Head office' }],
    });
  });

  it('a rename to a name another object keeps in the tenant is a conflict', () => {
    const base = tree({ namedLocations: [hq, branch] });
    const desired = tree({ namedLocations: [e('Branch', { ipRanges: ['10.0.0.0/8'] }, 'HQ'), branch] });
    // desired has two objects named Branch -> duplicate error, nothing planned
    const dup = run(base, base, desired);
    expect(dup.plan.items).toEqual([]);
    expect(dup.plan.errors.map((x) => x.kind)).toEqual(['duplicate-name']);

    // tenant renamed HQ to Branch 2 while the repository creates a new Branch 2
    const tenant = tree({ namedLocations: [e('Branch 2', { ipRanges: ['10.0.0.0/8'] }), branch] });
    const r = reconcile({
      tenantName: 'contoso',
      defs,
      base,
      tenant,
      desired: tree({ namedLocations: [hq, branch, e('Branch 2', { ipRanges: [] }, 'Branch 2 new')] }),
      baseIdMap: { namedLocations: { HQ: 'loc-1', Branch: 'loc-2' } },
      idMap: { namedLocations: { 'Branch 2': 'loc-1', Branch: 'loc-2' } },
      drift: 'report',
    });
    expect(r.plan.items).toEqual([]);
    expect(r.plan.conflicts.map((c) => [c.name, c.kind])).toEqual([['Branch 2', 'name-taken']]);
  });
});

describe('unread types', () => {
  const base = tree({ namedLocations: [hq, branch], conditionalAccessPolicies: [e('P1')] });

  it('a type that could not be read takes no part: no items, no drift, no adoption, never deletes', () => {
    const tenant = tree({ namedLocations: [], conditionalAccessPolicies: [e('P1')] });
    const desired = tree({ namedLocations: [e('HQ', { ipRanges: [] })], conditionalAccessPolicies: [e('P1')] });
    const r = run(base, tenant, desired, { unreadTypes: ['namedLocations'] });
    expect(r.plan.items).toEqual([]);
    expect(r.adoption).toEqual([]);
    expect(r.plan.drift).toEqual([]);
    expect(r.objects.map((o) => o.type)).toEqual(['conditionalAccessPolicies']);
    expect(r.plan.skippedTypes).toEqual([{ type: 'namedLocations', title: 'Named locations' }]);
    expect(r.plan.types.map((t) => t.type)).not.toContain('namedLocations');
  });

  it('a type missing from the tenant or desired tree counts as not read, never as empty', () => {
    const tenant: Tree = { conditionalAccessPolicies: [e('P1')], authenticationStrengthPolicies: [] };
    const r = run(base, tenant, base);
    expect(r.plan.items).toEqual([]);
    expect(r.adoption).toEqual([]);
    expect(r.plan.skippedTypes.map((s) => s.type)).toEqual(['namedLocations']);

    const r2 = run(base, base, { conditionalAccessPolicies: [e('P1')], authenticationStrengthPolicies: [] });
    expect(r2.plan.items).toEqual([]);
    expect(r2.plan.skippedTypes.map((s) => s.type)).toEqual(['namedLocations']);
  });

  it('references to an unread type are not checked', () => {
    const desired = tree({ conditionalAccessPolicies: [e('P1', { conditions: { locations: { includeLocations: ['Nowhere'] } } })] });
    const r = run(tree({}), tree({}), desired, { unreadTypes: ['namedLocations'] });
    expect(r.plan.errors).toEqual([]);
    expect(r.plan.items.map((i) => i.name)).toEqual(['P1']);
  });
});

describe('errors', () => {
  it('two objects with the same name in the repository: an error for them, nothing guessed', () => {
    const base = tree({ namedLocations: [hq, branch] });
    const desired = tree({ namedLocations: [e('HQ', { ipRanges: [] }), e('HQ', { ipRanges: ['1.1.1.1/32'] }, 'HQ~1234abcd'), e('Branch', { ipRanges: [] })] });
    const r = run(base, base, desired);
    expect(r.plan.errors).toHaveLength(1);
    expect(r.plan.errors[0]).toMatchObject({
      code: 'DUPLICATE_NAME',
      kind: 'duplicate-name',
      type: 'namedLocations',
      name: 'HQ',
      side: 'desired',
      files: ['HQ', 'HQ~1234abcd'],
    });
    expect(r.plan.errors[0]!.message).toContain('HQ.json, HQ~1234abcd.json');
    expect(r.plan.items.map((i) => i.name)).toEqual(['Branch']);
    expect(r.objects.filter((o) => o.name === 'HQ').every((o) => o.classification === 'error')).toBe(true);
  });

  it('two objects with the same name in the tenant: an error, and no delete or adoption for either', () => {
    const base = tree({ namedLocations: [hq] });
    const tenant = tree({ namedLocations: [hq, e('HQ', { ipRanges: [] }, 'HQ~abcdef12')] });
    const r = run(base, tenant, tree({ namedLocations: [] }), { drift: 'adopt' });
    expect(r.plan.errors.map((x) => [x.kind, x.side, x.files])).toEqual([['duplicate-name', 'tenant', ['HQ', 'HQ~abcdef12']]]);
    expect(r.plan.items).toEqual([]);
    expect(r.adoption).toEqual([]);
  });

  it('a reference to a name that does not exist, or that two objects share', () => {
    const base = tree({ namedLocations: [hq] });
    const desired = tree({
      namedLocations: [hq],
      conditionalAccessPolicies: [
        e('Good', { conditions: { locations: { includeLocations: ['HQ', 'AllTrusted'] }, users: { includeGroups: ['Any group'] } } }),
        e('Bad', { conditions: { locations: { includeLocations: ['HQ', 'Moon base'] } } }),
      ],
    });
    const r = run(base, base, desired);
    expect(r.plan.items.map((i) => i.name)).toEqual(['Good']);
    expect(r.plan.errors).toHaveLength(1);
    expect(r.plan.errors[0]).toMatchObject({
      code: 'REFERENCE_UNRESOLVED',
      kind: 'missing-reference',
      name: 'Bad',
      files: ['Bad'],
      params: { path: 'conditions.locations.includeLocations[1]', value: 'Moon base', target: 'namedLocations' },
    });
    expect(r.plan.errors[0]!.message).toBe(
      'Bad.json refers at conditions.locations.includeLocations[1] to \u2018Moon base\u2019 (Named locations), which is not in the repository.',
    );
    expect(classOf(r, 'Bad')).toBe('error');
  });

  it('deleting an object that desired objects still name is an error on both', () => {
    const p1 = e('P1', { conditions: { locations: { includeLocations: ['HQ'] } } });
    const base = tree({ namedLocations: [hq], conditionalAccessPolicies: [p1] });
    const desired = tree({ namedLocations: [], conditionalAccessPolicies: [p1] });
    const r = run(base, base, desired);
    expect(r.plan.items).toEqual([]);
    expect(r.plan.errors.map((x) => [x.kind, x.name])).toEqual([
      ['still-referenced', 'HQ'],
      ['missing-reference', 'P1'],
    ]);
    expect(r.plan.errors[0]!.message).toContain('Conditional access policies \u2018P1\u2019');
  });

  it('built-in objects are never planned: a change to one is an error', () => {
    const builtIn = e('Multifactor authentication', { policyType: 'builtIn', allowedCombinations: ['password,sms'] });
    const base = tree({ authenticationStrengthPolicies: [builtIn] });
    const desired = tree({ authenticationStrengthPolicies: [e('Multifactor authentication', { policyType: 'builtIn', allowedCombinations: [] })] });
    const r = run(base, base, desired);
    expect(r.plan.items).toEqual([]);
    expect(r.plan.errors).toHaveLength(1);
    expect(r.plan.errors[0]).toMatchObject({ code: 'READ_ONLY_OBJECT', kind: 'read-only', name: 'Multifactor authentication' });
    expect(r.plan.errors[0]!.message).toContain('built-in, cannot be changed');

    // deleting it from the repository is refused the same way
    const r2 = run(base, base, tree({ authenticationStrengthPolicies: [] }));
    expect(r2.plan.items).toEqual([]);
    expect(r2.plan.errors.map((x) => x.kind)).toEqual(['read-only']);

    // drift of a built-in object is adopted as usual (nothing is written to the tenant)
    const tenant = tree({ authenticationStrengthPolicies: [e('Multifactor authentication', { policyType: 'builtIn', allowedCombinations: ['fido2'] })] });
    const r3 = run(base, tenant, base);
    expect(r3.plan.errors).toEqual([]);
    expect(r3.adoption).toHaveLength(1);
    // ...but cannot be remediated
    const r4 = run(base, tenant, base, { drift: 'remediate' });
    expect(r4.plan.items).toEqual([]);
    expect(r4.plan.errors.map((x) => x.kind)).toEqual(['read-only']);
  });

  it('types and operations Graph does not offer are errors, not plan items', () => {
    const types = [readOnlyType, settingsSingleton];
    const base = tree({ directoryRoleTemplates: [e('Reader')], authorizationPolicy: [{ file: 'Authorization policy', object: { allowInvites: 'everyone' } }] }, types);
    const desired = tree({ directoryRoleTemplates: [e('Reader', { x: 1 }), e('New role')], authorizationPolicy: [] }, types);
    const r = reconcile({ tenantName: 'c', defs: types, base, tenant: base, desired });
    expect(r.plan.items).toEqual([]);
    expect(r.plan.errors.map((x) => [x.kind, x.name, x.code])).toEqual([
      ['not-writable', 'New role', 'WRITE_NOT_SUPPORTED'],
      ['not-writable', 'Reader', 'WRITE_NOT_SUPPORTED'],
      ['cannot-delete', 'Authorization policy', 'WRITE_NOT_SUPPORTED'],
    ]);

    const noCreate = def({ type: 'noCreate', write: { update: {}, delete: true } });
    const r2 = reconcile({ tenantName: 'c', defs: [noCreate], base: {}, tenant: { noCreate: [] }, desired: { noCreate: [e('X')] } });
    expect(r2.plan.errors.map((x) => x.kind)).toEqual(['cannot-create']);
  });

  it('a singleton is matched whatever its file is called, and updated', () => {
    const types = [settingsSingleton];
    const base: Tree = { authorizationPolicy: [{ file: 'Authorization policy', object: { allowInvites: 'everyone' } }] };
    const desired: Tree = { authorizationPolicy: [{ file: 'authorization', object: { allowInvites: 'adminsOnly' } }] };
    const r = reconcile({ tenantName: 'c', defs: types, base, tenant: base, desired, idMap: { authorizationPolicy: { 'Authorization policy': 'authorizationPolicy' } } });
    expect(r.plan.items).toHaveLength(1);
    expect(r.plan.items[0]).toMatchObject({ action: 'update', name: 'Authorization policy', id: 'authorizationPolicy' });
  });
});

describe('delete guard', () => {
  function deletes(total: number, deleted: number, guard?: ReconcileInput['deleteGuard']) {
    const all = Array.from({ length: total }, (_, i) => e(`L${String(i).padStart(3, '0')}`));
    const base = tree({ namedLocations: all });
    const desired = tree({ namedLocations: all.slice(deleted) });
    return run(base, base, desired, { deleteGuard: guard });
  }

  it.each([
    [10, 5, false],
    [10, 6, true],
    [100, 10, false],
    [100, 11, true],
    [3, 3, false],
    [60, 6, false],
    [60, 7, true],
  ])('%i objects, %i deletes: held %s', (total, deleted, held) => {
    const r = deletes(total, deleted);
    expect(r.plan.held.length > 0).toBe(held);
    expect(r.plan.counts.deletes).toBe(held ? 0 : deleted);
    expect(r.plan.counts.held).toBe(held ? deleted : 0);
    expect(r.objects.filter((o) => o.held)).toHaveLength(held ? deleted : 0);
  });

  it('held deletes say why, with the count, the limit and the setting to change', () => {
    const r = deletes(100, 11);
    expect(r.plan.held).toHaveLength(1);
    const h = r.plan.held[0]!;
    expect(h).toMatchObject({ code: 'DELETE_GUARD', type: 'namedLocations', count: 11, limit: 10, tenantObjects: 100, maxShare: 0.1, minCount: 5 });
    expect(h.items).toHaveLength(11);
    expect(h.message).toContain('11 of the 100 Named locations');
    expect(h.message).toContain('(10:');
    expect(h.fix).toContain('delete-guard.allow');
    expect(h.fix).toContain('delete-guard.max-share');
  });

  it('other changes of the type still go ahead', () => {
    const all = Array.from({ length: 10 }, (_, i) => e(`L${i}`));
    const desired = tree({ namedLocations: [...all.slice(6, 9), e('L9', { changed: true }), e('New')] });
    const r = run(tree({ namedLocations: all }), tree({ namedLocations: all }), desired);
    expect(r.plan.items.map((i) => `${i.action} ${i.name}`)).toEqual(['create New', 'update L9']);
    expect(r.plan.counts.held).toBe(6);
  });

  it('allow: true, or a larger share, lets them through', () => {
    expect(deletes(100, 50, { allow: true }).plan.held).toEqual([]);
    expect(deletes(100, 50, { 'max-share': 0.5 }).plan.held).toEqual([]);
    expect(deletes(100, 51, { 'max-share': 0.5 }).plan.held).toHaveLength(1);
    expect(deletes(10, 8, { 'min-count': 8 }).plan.held).toEqual([]);
  });

  it('remediation deletes count too', () => {
    const all = Array.from({ length: 10 }, (_, i) => e(`L${i}`));
    const tenant = tree({ namedLocations: all });
    const r = run(tree({ namedLocations: [] }), tenant, tree({ namedLocations: [] }), { drift: 'remediate' });
    expect(r.plan.held).toHaveLength(1);
    expect(r.plan.items).toEqual([]);
  });
});

describe('the plan as data', () => {
  function sample() {
    const base = tree({ namedLocations: [hq, branch], conditionalAccessPolicies: [e('P1', { state: 'on' })] });
    const tenant = tree({ namedLocations: [e('HQ', { ipRanges: [] }), branch], conditionalAccessPolicies: [e('P1', { state: 'on' })] });
    const desired = tree({
      namedLocations: [e('HQ', { ipRanges: ['1.1.1.1/32'] }), e('Lab', { ipRanges: [] })],
      conditionalAccessPolicies: [e('P1', { state: 'off', conditions: { locations: { includeLocations: ['Nope'] } } }), e('P2')],
    });
    return run(base, tenant, desired);
  }

  it('parses with its schema and hashes the same after a JSON round trip', () => {
    const { plan } = sample();
    const back = parsePlan(JSON.parse(JSON.stringify(plan)));
    expect(back).toEqual(JSON.parse(JSON.stringify(plan)));
    expect(planHash(back)).toBe(planHash(plan));
    expect(planHash(plan)).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.version).toBe(1);
    expect(plan.tenant).toBe('contoso');
    expect(plan.counts).toEqual({ creates: 2, updates: 0, deletes: 1, conflicts: 1, errors: 1, held: 0, drift: 0, unchanged: 0 });
  });

  it('the schema refuses an inconsistent item', () => {
    const { plan } = sample();
    const broken = JSON.parse(JSON.stringify(plan)) as { items: { action: string; tenantHash: unknown }[] };
    broken.items.find((i) => i.action === 'delete')!.tenantHash = null;
    expect(() => parsePlan(broken)).toThrow();
  });

  it('items are in dependency order of types, then create, update, delete, then by name', () => {
    const { plan } = sample();
    expect(plan.items.map((i) => `${i.type} ${i.action} ${i.name}`)).toEqual([
      'namedLocations create Lab',
      'namedLocations delete Branch',
      'conditionalAccessPolicies create P2',
    ]);
    expect(plan.types.map((t) => t.type)).toEqual(['namedLocations', 'authenticationStrengthPolicies', 'conditionalAccessPolicies']);
  });
});

describe('applyAdoption and treeFromTenantTree', () => {
  it('an adopted file name another repository object uses gets a suffix instead of overwriting it', () => {
    // The repository has a new file Lab.json for an object named Research; the tenant meanwhile
    // created an object Lab, which the backup files as Lab.json.
    const research = e('Research', { ipRanges: [] }, 'Lab');
    const lab = e('Lab', { ipRanges: ['1.0.0.0/8'] });
    const desired = tree({ namedLocations: [research] });
    const r = run(tree({}), tree({ namedLocations: [lab] }), desired);
    expect(r.objects.map((o) => [o.name, o.classification])).toEqual([
      ['Lab', 'created-in-tenant'],
      ['Research', 'created-in-repo'],
    ]);
    expect(r.plan.items.map((i) => `${i.action} ${i.name} ${i.file}`)).toEqual(['create Research Lab']);
    expect(r.adoption).toHaveLength(1);
    expect(r.adoption[0]!.file).toMatch(/^Lab~[0-9a-f]{8}$/);
    const after = applyAdoption(desired, r.adoption);
    expect(after['namedLocations']!.map((x) => [x.file, x.object['displayName']])).toEqual([
      ['Lab', 'Research'],
      [r.adoption[0]!.file, 'Lab'],
    ]);
  });

  it('treeFromTenantTree takes bare file names and leaves invalid types out', () => {
    const t = treeFromTenantTree({
      exists: true,
      objects: new Map([
        ['namedLocations', [{ file: 'tenants/c/entra/namedLocations/HQ.json', object: { displayName: 'HQ' } }]],
        ['conditionalAccessPolicies', []],
      ]),
      errors: [],
      warnings: [],
      invalidTypes: new Set(['conditionalAccessPolicies']),
    });
    expect(t).toEqual({ namedLocations: [{ file: 'HQ', object: { displayName: 'HQ' } }] });
  });
});

void locations;
void policies;
void strengths;
