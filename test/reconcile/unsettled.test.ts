import { describe, expect, it } from 'vitest';
import { baseWithUnsettled, nextUnsettled, reconcile, unsettledSchema, type IdMap, type ReconcileInput, type Tree } from '../../src/reconcile/index.js';
import { defs, e, tree } from './helpers.js';

const hq = e('HQ', { ipRanges: ['10.0.0.0/8'] });
const office = e('Office', { ipRanges: ['10.0.0.0/8'] });
const policy = (location: string) => e('P1', { conditions: { locations: { includeLocations: [location] } } });

function run(base: Tree, tenant: Tree, desired: Tree, baseIdMap: IdMap, idMap: IdMap, extra: Partial<ReconcileInput> = {}) {
  return reconcile({ tenantName: 'contoso', defs, base, tenant, desired, baseIdMap, idMap, ...extra });
}

describe('adoptions that would leave a reference dangling on the default branch are held', () => {
  const base = tree({ namedLocations: [hq], conditionalAccessPolicies: [policy('HQ')] });
  const baseIds = { namedLocations: { HQ: 'loc-1' }, conditionalAccessPolicies: { P1: 'ca-1' } };
  const ids = { namedLocations: { Office: 'loc-1' }, conditionalAccessPolicies: { P1: 'ca-1' } };

  it('a rename, while the type naming it was not read: reported as drift, not adopted, unsettled', () => {
    const tenant = tree({ namedLocations: [office] });
    delete tenant['conditionalAccessPolicies'];
    const r = run(base, tenant, base, baseIds, ids, { unreadTypes: ['conditionalAccessPolicies'] });
    expect(r.adoption).toEqual([]);
    expect(r.heldAdoptions).toEqual([{ type: 'namedLocations', name: 'HQ', tenantName: 'Office', reason: 'still-named', referrers: ['Conditional access policies \u2018P1\u2019'] }]);
    expect(r.plan.drift.map((d) => [d.name, d.kind, d.action])).toEqual([['HQ', 'changed', 'report']]);
    expect(r.unsettled).toEqual([{ type: 'namedLocations', id: 'loc-1', file: 'Office', base: hq, adopt: false }]);
  });

  it('the same rename once the policies are read: both adopted together, nothing held', () => {
    const tenant = tree({ namedLocations: [office], conditionalAccessPolicies: [policy('Office')] });
    const r = run(base, tenant, base, baseIds, ids);
    expect(r.heldAdoptions).toEqual([]);
    expect(r.plan.errors).toEqual([]);
    expect(r.adoption.map((op) => `${op.type}/${op.file} ${op.object === null ? 'removed' : 'written'}`)).toEqual([
      'namedLocations/HQ removed',
      'namedLocations/Office written',
      'conditionalAccessPolicies/P1 written',
    ]);
    expect(r.unsettled.every((u) => u.adopt)).toBe(true);
  });

  it('a rename, while the policy naming it is a conflict (changed on both sides): held', () => {
    const tenant = tree({ namedLocations: [office], conditionalAccessPolicies: [{ ...policy('Office'), object: { ...policy('Office').object, state: 'disabled' } }] });
    const desired = tree({ namedLocations: [hq], conditionalAccessPolicies: [{ ...policy('HQ'), object: { ...policy('HQ').object, state: 'enabled' } }] });
    const r = run(base, tenant, desired, baseIds, ids);
    expect(r.plan.conflicts.map((c) => c.name)).toEqual(['P1']);
    expect(r.heldAdoptions.map((h) => `${h.name} -> ${h.tenantName}`)).toEqual(['HQ -> Office']);
    expect(r.adoption).toEqual([]);
  });

  it('a policy whose tenant version names the new name of a location in conflict: held (it would name what main does not have)', () => {
    const tenant = tree({ namedLocations: [office], conditionalAccessPolicies: [policy('Office')] });
    const desired = tree({ namedLocations: [e('HQ', { ipRanges: ['10.0.0.0/8'], isTrusted: true })], conditionalAccessPolicies: [policy('HQ')] });
    const r = run(base, tenant, desired, baseIds, ids);
    expect(r.plan.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(['both-changed HQ']);
    expect(r.heldAdoptions).toEqual([{ type: 'conditionalAccessPolicies', name: 'P1', tenantName: 'P1', reason: 'names-missing', referrers: ['Named locations ‘Office’'] }]);
    expect(r.adoption).toEqual([]);
    expect(r.plan.drift.map((d) => `${d.name} ${d.action}`)).toEqual(['P1 report']);
  });

  it('a rename nobody on the default branch names is adopted while another type is unread', () => {
    const tenant = tree({ namedLocations: [office] });
    delete tenant['conditionalAccessPolicies'];
    const desired = tree({ namedLocations: [hq], conditionalAccessPolicies: [policy('All')] });
    const r = run(base, tenant, desired, baseIds, ids, { unreadTypes: ['conditionalAccessPolicies'] });
    expect(r.heldAdoptions).toEqual([]);
    expect(r.adoption.map((op) => op.file)).toEqual(['HQ', 'Office']);
  });
});

describe('unsettled objects keep their recorded version as the base', () => {
  it('a conflict is unsettled; the base read back through the overlay shows it again', () => {
    const base = tree({ namedLocations: [hq] });
    const tenant = tree({ namedLocations: [e('Office', { ipRanges: ['10.0.0.0/8'], isTrusted: true })] });
    const desired = tree({ namedLocations: [e('HQ', { ipRanges: ['10.1.0.0/16'] })] });
    const baseIds = { namedLocations: { HQ: 'loc-1' } };
    const ids = { namedLocations: { Office: 'loc-1' } };
    const first = run(base, tenant, desired, baseIds, ids);
    expect(first.plan.conflicts.map((c) => c.kind)).toEqual(['both-changed']);
    const unsettled = nextUnsettled({}, first.unsettled, { adopted: true, comparedTypes: first.plan.types.map((t) => t.type) });
    expect(unsettledSchema.parse(unsettled)).toEqual({ namedLocations: [{ id: 'loc-1', file: 'Office', base: hq }] });

    // The state branch records the tenant; the next base puts the agreed version back in its place
    const next = baseWithUnsettled(tenant, ids, unsettled);
    expect(next.tree['namedLocations']).toEqual([hq]);
    expect(next.ids).toEqual(baseIds);
    const second = run(next.tree, tenant, desired, next.ids, ids);
    expect(second.plan.conflicts.map((c) => c.kind)).toEqual(['both-changed']);
    expect(second.plan.items).toEqual([]);
  });

  it('the repository took the tenant\'s rename (a revert) while the base is still the version before it: the same object, settled', () => {
    const base = tree({ namedLocations: [hq] });
    const tenant = tree({ namedLocations: [office] });
    const r = run(base, tenant, tenant, { namedLocations: { HQ: 'loc-1' } }, { namedLocations: { Office: 'loc-1' } });
    expect(r.objects.map((o) => `${o.name} ${o.classification}`)).toEqual(['Office unchanged']);
    expect(r.plan.conflicts).toEqual([]);
    expect(r.plan.items).toEqual([]);
    expect(r.unsettled).toEqual([]);
  });

  it('drift adopted onto the default branch is settled; drift whose adoption did not happen is not', () => {
    const base = tree({ namedLocations: [hq] });
    const tenant = tree({ namedLocations: [e('HQ', { ipRanges: ['10.2.0.0/16'] })] });
    const ids = { namedLocations: { HQ: 'loc-1' } };
    const r = run(base, tenant, base, ids, ids);
    expect(r.unsettled).toEqual([{ type: 'namedLocations', id: 'loc-1', file: 'HQ', base: hq, adopt: true }]);
    expect(nextUnsettled({}, r.unsettled, { adopted: true, comparedTypes: ['namedLocations'] })).toEqual({});
    expect(nextUnsettled({}, r.unsettled, { adopted: false, comparedTypes: ['namedLocations'] })).toEqual({ namedLocations: [{ id: 'loc-1', file: 'HQ', base: hq }] });
  });

  it('entries of types that took no part are kept as they were', () => {
    const previous = { conditionalAccessPolicies: [{ id: 'ca-1', file: 'P1', base: policy('HQ') }] };
    expect(nextUnsettled(previous, [], { adopted: true, comparedTypes: ['namedLocations'] })).toEqual(previous);
    expect(nextUnsettled(previous, [], { adopted: true, comparedTypes: ['namedLocations', 'conditionalAccessPolicies'] })).toEqual({});
  });

  it('an object created or deleted in the tenant: the base has none, or has the recorded one', () => {
    const created = baseWithUnsettled(tree({ namedLocations: [hq, office] }), { namedLocations: { HQ: 'loc-1', Office: 'loc-2' } }, { namedLocations: [{ id: 'loc-2', file: 'Office', base: null }] });
    expect(created.tree['namedLocations']).toEqual([hq]);
    expect(created.ids).toEqual({ namedLocations: { HQ: 'loc-1' } });
    const deleted = baseWithUnsettled(tree({ namedLocations: [] }), { namedLocations: {} }, { namedLocations: [{ id: 'loc-1', file: null, base: hq }] });
    expect(deleted.tree['namedLocations']).toEqual([hq]);
    expect(deleted.ids).toEqual({ namedLocations: { HQ: 'loc-1' } });
  });

  it('an entry whose recorded file another object holds now is left out (the state branch stands)', () => {
    const other = e('HQ', { ipRanges: ['172.16.0.0/12'] });
    const out = baseWithUnsettled(tree({ namedLocations: [other, office] }), { namedLocations: { HQ: 'loc-9', Office: 'loc-1' } }, { namedLocations: [{ id: 'loc-1', file: 'Office', base: hq }] });
    expect(out.tree['namedLocations']).toEqual([other, office]);
  });
});
