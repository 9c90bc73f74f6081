import { describe, expect, it } from 'vitest';
import { MARKDOWN_TARGET_LENGTH, applyAdoption, planHash, reconcile, renderPlanMarkdown, type IdMap, type Tree } from '../../src/reconcile/index.js';
import { defs, e } from './helpers.js';

/**
 * 50,000 objects: the matching, classification and plan are linear (maps, no pairwise
 * comparison), so this runs in well under two seconds; the test checks the behaviour only.
 */
describe('reconcile at scale', () => {
  it('works on 50,000 objects', () => {
    const LOCATIONS = 10_000;
    const POLICIES = 40_000;
    const location = (i: number, v = 0) => e(`Location ${i}`, { ipRanges: [`10.${i % 250}.${Math.floor(i / 250) % 250}.0/24`], v });
    const policy = (i: number, v = 0, name = `Policy ${i}`, file = name) =>
      e(
        name,
        {
          state: 'enabled',
          v,
          conditions: { locations: { includeLocations: [`Location ${i % LOCATIONS}`, 'AllTrusted'] }, users: { includeGroups: ['Staff'] } },
          grantControls: { operator: 'OR', builtInControls: ['mfa'] },
        },
        file,
      );
    const base: Tree = {
      namedLocations: Array.from({ length: LOCATIONS }, (_, i) => location(i)),
      authenticationStrengthPolicies: [],
      conditionalAccessPolicies: Array.from({ length: POLICIES }, (_, i) => policy(i)),
    };
    // tenant: every 100th policy changed (drift), 20 policies renamed by an administrator
    const tenant: Tree = {
      ...base,
      conditionalAccessPolicies: base['conditionalAccessPolicies']!.map((p, i) =>
        i % 100 === 1 ? policy(i, 1) : i % 2000 === 7 ? policy(i, 0, `Policy ${i} (renamed)`) : p,
      ),
    };
    // repository: every 100th policy changed, 30 deleted, 500 new, every 50th location changed
    const desired: Tree = {
      namedLocations: base['namedLocations']!.map((l, i) => (i % 50 === 0 ? location(i, 2) : l)),
      authenticationStrengthPolicies: [],
      conditionalAccessPolicies: [
        ...base['conditionalAccessPolicies']!.flatMap((p, i) => (i % 100 === 2 ? [policy(i, 2)] : i % 1000 === 3 ? [] : [p])),
        ...Array.from({ length: 500 }, (_, i) => policy(POLICIES + i)),
      ],
    };
    const idsOf = (t: Tree): IdMap =>
      Object.fromEntries(
        Object.entries(t).map(([type, list]) => [
          type,
          Object.fromEntries(list.map((x) => [x.file, `id-${String(x.object['displayName']).replace(' (renamed)', '')}`])),
        ]),
      );

    const started = performance.now();
    const r = reconcile({ tenantName: 'contoso', defs, base, tenant, desired, idMap: idsOf(tenant), baseIdMap: idsOf(base) });
    const elapsed = performance.now() - started;

    expect(r.plan.counts).toEqual({
      creates: 500,
      updates: 400 + 200,
      deletes: 40,
      conflicts: 0,
      errors: 0,
      held: 0,
      drift: 400 + 20,
      unchanged: 50_000 - 600 - 40 - 420,
    });
    expect(r.plan.items.filter((i) => i.action === 'update' && i.type === 'namedLocations')).toHaveLength(200);
    for (const item of r.plan.items) {
      if (item.action !== 'create') expect(item.tenantHash).toMatch(/^[0-9a-f]{64}$/);
      if (item.action !== 'create') expect(item.id).toBe(`id-${item.name}`);
    }
    // drift is adopted: the renamed policies come back under their new names
    expect(r.adoption.filter((a) => a.object === null)).toHaveLength(20);
    const adopted = applyAdoption(desired, r.adoption);
    expect(adopted['conditionalAccessPolicies']!.filter((x) => String(x.object['displayName']).endsWith('(renamed)'))).toHaveLength(20);

    const md = renderPlanMarkdown(r.plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_TARGET_LENGTH);
    expect(md).toContain('| 500 | 600 | 40 | 0 | 0 | 0 | 420 |');
    expect(planHash(r.plan)).toMatch(/^[0-9a-f]{64}$/);
    // informative only; timing is not asserted (shared CI machines vary)
    console.info(`reconcile of ${LOCATIONS + POLICIES} objects: ${elapsed.toFixed(0)} ms`);
  });
});
