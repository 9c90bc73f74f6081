import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAdoption,
  deepEqual,
  isEmptyPlan,
  planHash,
  reconcile,
  type DriftPolicy,
  type IdMap,
  type ReconcileInput,
  type Tree,
  type TreeEntry,
} from '../../src/reconcile/index.js';
import { applyPlan, byName, def, e, ids, type Obj } from './helpers.js';

/** Two types without references (one standing for any collection), and one referencing the first. */
const things = def({ type: 'things', title: 'Things' });
const others = def({ type: 'others', title: 'Others' });
const referrers = def({
  type: 'referrers',
  title: 'Referrers',
  references: [{ path: 'uses[]', target: 'things', keywords: ['All'] }],
});
const plainDefs = [things, others];

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

const valueArb: fc.Arbitrary<Obj> = fc.record({
  v: fc.integer({ min: 0, max: 2 }),
  tags: fc.array(fc.constantFrom('x', 'y'), { maxLength: 2 }),
  nested: fc.constantFrom(null, { k: 0 }, { k: 1, list: [{ p: 1 }] }),
});

const slotArb = fc.option(valueArb, { nil: null, freq: 3 });

/** For each name: its value in base, tenant and desired (null: absent). */
const typeWorldArb = fc.array(fc.tuple(slotArb, slotArb, slotArb), { minLength: NAMES.length, maxLength: NAMES.length });

interface World {
  base: Tree;
  tenant: Tree;
  desired: Tree;
}

function entries(slots: [Obj | null, Obj | null, Obj | null][], side: 0 | 1 | 2): TreeEntry[] {
  const out: TreeEntry[] = [];
  slots.forEach((slot, i) => {
    const value = slot[side];
    if (value) out.push(e(NAMES[i]!, value));
  });
  return out;
}

const worldArb: fc.Arbitrary<World> = fc.tuple(typeWorldArb, typeWorldArb).map(([a, b]) => {
  const side = (s: 0 | 1 | 2): Tree => ({ things: entries(a, s), others: entries(b, s) });
  return { base: side(0), tenant: side(1), desired: side(2) };
});

const policyArb = fc.constantFrom<DriftPolicy>('adopt', 'remediate', 'report');

function run(w: World, extra: Partial<ReconcileInput> = {}) {
  return reconcile({
    tenantName: 'contoso',
    defs: plainDefs,
    base: w.base,
    tenant: w.tenant,
    desired: w.desired,
    idMap: ids(w.tenant),
    baseIdMap: ids(w.base),
    deleteGuard: { allow: true },
    ...extra,
  });
}

/** A deterministic shuffle */
function shuffle<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function shuffleTree(t: Tree, seed: number): Tree {
  const out: Tree = {};
  for (const type of shuffle(Object.keys(t), seed)) out[type] = shuffle(t[type]!, seed + type.length);
  return out;
}

function shuffleIds(map: IdMap, seed: number): IdMap {
  const out: IdMap = {};
  for (const type of shuffle(Object.keys(map), seed)) {
    out[type] = Object.fromEntries(shuffle(Object.entries(map[type]!), seed + 7));
  }
  return out;
}

const key = (type: string, name: string): string => `${type}/${name}`;

describe('reconcile properties', () => {
  it('a plan from equal trees is empty', () => {
    fc.assert(
      fc.property(worldArb, policyArb, (w, drift) => {
        const same = run({ base: w.tenant, tenant: w.tenant, desired: w.tenant }, { drift });
        expect(isEmptyPlan(same.plan)).toBe(true);
        expect(same.plan.drift).toEqual([]);
        expect(same.adoption).toEqual([]);
        expect(same.objects.every((o) => o.classification === 'unchanged')).toBe(true);
        // whatever was recorded before: a tenant that already is as desired needs nothing
        const converged = run({ base: w.base, tenant: w.tenant, desired: w.tenant }, { drift });
        expect(converged.plan.items).toEqual([]);
        expect(isEmptyPlan(converged.plan)).toBe(true);
      }),
    );
  });

  it('is deterministic and independent of input order', () => {
    fc.assert(
      fc.property(worldArb, policyArb, fc.integer(), (w, drift, seed) => {
        const a = run(w, { drift, deleteGuard: {} });
        const b = reconcile({
          tenantName: 'contoso',
          defs: plainDefs,
          base: shuffleTree(w.base, seed),
          tenant: shuffleTree(w.tenant, seed + 1),
          desired: shuffleTree(w.desired, seed + 2),
          idMap: shuffleIds(ids(w.tenant), seed + 3),
          baseIdMap: shuffleIds(ids(w.base), seed + 4),
          drift,
          deleteGuard: {},
        });
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        expect(planHash(b.plan)).toBe(planHash(a.plan));
      }),
    );
  });

  it('applying the plan gives every planned object its desired version and leaves the others untouched', () => {
    fc.assert(
      fc.property(worldArb, policyArb, (w, drift) => {
        const r = run(w, { drift });
        const after = byName(applyPlan(w.tenant, r.plan.items));
        const before = byName(w.tenant);
        const desired = byName(w.desired);
        const touched = new Set<string>();
        for (const item of r.plan.items) {
          touched.add(key(item.type, item.name));
          if (item.action === 'update' && item.previousName) touched.add(key(item.type, item.previousName));
          const k = key(item.type, item.name);
          if (item.action === 'delete') expect(after.has(k)).toBe(false);
          else expect(after.get(k)).toEqual(desired.get(k));
        }
        for (const [k, obj] of before) if (!touched.has(k)) expect(after.get(k)).toBe(obj);
        for (const k of after.keys()) if (!touched.has(k)) expect(before.has(k)).toBe(true);

        // and every change the repository made (or that remediation puts back) is planned
        const wins = new Set(['change', 'created-in-repo', 'deleted-in-repo']);
        if (drift === 'remediate') ['drift', 'created-in-tenant', 'deleted-in-tenant'].forEach((c) => wins.add(c));
        for (const o of r.objects) {
          if (!wins.has(o.classification)) continue;
          const k = key(o.type, o.name);
          expect(after.get(k)).toEqual(desired.get(k));
        }
      }),
    );
  });

  it('converges: after the plan and the adoption, tenant and repository differ only where a person must decide', () => {
    fc.assert(
      fc.property(worldArb, policyArb, fc.boolean(), (w, drift, allow) => {
        const r = run(w, { drift, deleteGuard: { allow } });
        const tenantAfter = byName(applyPlan(w.tenant, r.plan.items));
        const desiredAfter = byName(applyAdoption(w.desired, r.adoption));
        const open = new Set(
          r.objects
            .filter(
              (o) =>
                o.classification === 'conflict' ||
                o.classification === 'error' ||
                o.held ||
                (drift === 'report' && ['drift', 'created-in-tenant', 'deleted-in-tenant'].includes(o.classification)),
            )
            .map((o) => key(o.type, o.name)),
        );
        for (const k of new Set([...tenantAfter.keys(), ...desiredAfter.keys()])) {
          if (!deepEqual(tenantAfter.get(k), desiredAfter.get(k))) expect(open).toContain(k);
        }
        // a second sync after deploy and adoption finds nothing new
        if (open.size === 0) {
          const tenant2 = applyPlan(w.tenant, r.plan.items);
          const again = run({ base: tenant2, tenant: tenant2, desired: applyAdoption(w.desired, r.adoption) }, { drift });
          expect(isEmptyPlan(again.plan)).toBe(true);
          expect(again.adoption).toEqual([]);
        }
      }),
    );
  });

  it('a type that could not be read produces nothing at all, and does not change the rest', () => {
    fc.assert(
      fc.property(worldArb, policyArb, fc.constantFrom('things', 'others'), (w, drift, unread) => {
        const r = run(w, { drift, unreadTypes: [unread] });
        expect(r.plan.items.filter((i) => i.type === unread)).toEqual([]);
        expect(r.plan.held.filter((h) => h.type === unread)).toEqual([]);
        expect(r.objects.filter((o) => o.type === unread)).toEqual([]);
        expect(r.adoption.filter((a) => a.type === unread)).toEqual([]);
        expect(r.plan.drift.filter((d) => d.type === unread)).toEqual([]);
        expect(r.plan.conflicts.filter((c) => c.type === unread)).toEqual([]);
        expect(r.plan.errors.filter((x) => x.type === unread)).toEqual([]);
        expect(r.plan.skippedTypes.map((s) => s.type)).toEqual([unread]);
        const alone = run(w, { drift, defs: plainDefs.filter((d) => d.type !== unread) });
        expect(r.plan.items).toEqual(alone.plan.items);
        expect(r.objects).toEqual(alone.objects);
        expect(r.adoption).toEqual(alone.adoption);
      }),
    );
  });

  it('drift follows the policy', () => {
    // desired = base: every difference is made in the tenant
    const driftWorld = worldArb.map((w) => ({ ...w, desired: w.base }));
    fc.assert(
      fc.property(driftWorld, (w) => {
        const differing = [...new Set([...byName(w.base).keys(), ...byName(w.tenant).keys()])].filter(
          (k) => !deepEqual(byName(w.base).get(k), byName(w.tenant).get(k)),
        );

        const adopt = run(w, { drift: 'adopt' });
        expect(adopt.plan.items).toEqual([]);
        expect(adopt.plan.drift).toHaveLength(differing.length);
        expect(byName(applyAdoption(w.desired, adopt.adoption))).toEqual(byName(w.tenant));
        const tenantObjects = new Set(Object.values(w.tenant).flat().map((x) => x.object));
        for (const op of adopt.adoption) if (op.object) expect(tenantObjects.has(op.object)).toBe(true);

        const remediate = run(w, { drift: 'remediate' });
        expect(remediate.adoption).toEqual([]);
        expect(remediate.plan.items).toHaveLength(differing.length);
        expect(remediate.plan.items.every((i) => i.origin === 'remediation')).toBe(true);
        expect(byName(applyPlan(w.tenant, remediate.plan.items))).toEqual(byName(w.desired));

        const report = run(w, { drift: 'report' });
        expect(report.plan.items).toEqual([]);
        expect(report.adoption).toEqual([]);
        expect(report.plan.drift).toHaveLength(differing.length);
        expect(report.plan.drift.every((d) => d.action === 'report')).toBe(true);
      }),
    );
  });

  it('renames matched through the id map (tenant) or the file (repository) are updates, not delete + create', () => {
    const arb = fc.record({
      values: fc.array(valueArb, { minLength: NAMES.length, maxLength: NAMES.length }),
      renamed: fc.subarray(NAMES.map((_, i) => i), { minLength: 1 }),
      side: fc.constantFrom('tenant', 'repository'),
    });
    fc.assert(
      fc.property(arb, ({ values, renamed, side }) => {
        const base: Tree = { things: values.map((v, i) => e(NAMES[i]!, v)), others: [] };
        const renamedTree: Tree = {
          things: values.map((v, i) => {
            const name = NAMES[i]!;
            if (!renamed.includes(i)) return e(name, v);
            // the backup names the file after the new name; the repository keeps the old file
            return side === 'tenant' ? e(`${name} renamed`, v) : e(`${name} renamed`, v, name);
          }),
          others: [],
        };
        const baseIdMap: IdMap = { things: Object.fromEntries(NAMES.map((n) => [n, `id-${n}`])) };
        const idMap: IdMap =
          side === 'tenant'
            ? { things: Object.fromEntries(renamedTree['things']!.map((x, i) => [x.file, `id-${NAMES[i]}`])) }
            : baseIdMap;
        const tenant = side === 'tenant' ? renamedTree : base;
        const desired = side === 'tenant' ? base : renamedTree;
        const r = reconcile({ tenantName: 'c', defs: plainDefs, base, tenant, desired, idMap, baseIdMap, drift: 'remediate' });
        expect(r.plan.items.map((i) => i.action)).toEqual(renamed.map(() => 'update'));
        for (const item of r.plan.items) {
          expect(item.action === 'update' && item.previousName).toBeTruthy();
          expect(item.id).toMatch(/^id-[a-g]$/);
          expect(item.changes.map((c) => c.path)).toEqual(['displayName']);
        }
        expect(byName(applyPlan(tenant, r.plan.items))).toEqual(byName(desired));
        if (side === 'tenant') {
          const adopt = reconcile({ tenantName: 'c', defs: plainDefs, base, tenant, desired, idMap, baseIdMap });
          expect(adopt.plan.items).toEqual([]);
          expect(applyAdoption(desired, adopt.adoption)['things']).toEqual(
            [...renamedTree['things']!].sort((a, b) => (a.file < b.file ? -1 : 1)),
          );
        }
      }),
    );
  });

  it('the delete guard holds a type\u2019s deletes above max(min-count, floor(max-share \u00d7 objects))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 20 }),
        fc.boolean(),
        (n, k0, percent, minCount, allow) => {
          const k = Math.min(k0, n);
          const all = Array.from({ length: n }, (_, i) => e(`o${i}`));
          const base: Tree = { things: all, others: [] };
          const desired: Tree = { things: all.slice(k), others: [] };
          const r = reconcile({
            tenantName: 'c',
            defs: plainDefs,
            base,
            tenant: base,
            desired,
            deleteGuard: { 'max-share': percent / 100, 'min-count': minCount, allow },
          });
          const limit = Math.max(minCount, Math.floor((percent * n) / 100));
          const held = !allow && k > limit;
          expect(r.plan.held.length).toBe(held ? 1 : 0);
          expect(r.plan.counts.deletes).toBe(held ? 0 : k);
          expect(r.plan.counts.held).toBe(held ? k : 0);
          if (held) expect(r.plan.held[0]!.limit).toBe(limit);
        },
      ),
    );
    // the defaults (10% or 5 objects, whichever is larger)
    const guard = (n: number, k: number): boolean => {
      const all = Array.from({ length: n }, (_, i) => e(`o${i}`));
      return (
        reconcile({ tenantName: 'c', defs: plainDefs, base: { things: all, others: [] }, tenant: { things: all, others: [] }, desired: { things: all.slice(k), others: [] } })
          .plan.held.length > 0
      );
    };
    expect([guard(10, 5), guard(10, 6), guard(100, 10), guard(100, 11), guard(1000, 100), guard(1000, 101)]).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('nothing planned refers to a name the repository does not have exactly once', () => {
    const refWorld = fc.tuple(
      typeWorldArb,
      fc.array(
        fc.tuple(
          fc.option(fc.array(fc.constantFrom('a', 'b', 'c', 'zz', 'All'), { maxLength: 3 }), { nil: null }),
          fc.option(fc.array(fc.constantFrom('a', 'b', 'c', 'zz', 'All'), { maxLength: 3 }), { nil: null }),
          fc.option(fc.array(fc.constantFrom('a', 'b', 'c', 'zz', 'All'), { maxLength: 3 }), { nil: null }),
        ),
        { minLength: 3, maxLength: 3 },
      ),
    );
    fc.assert(
      fc.property(refWorld, policyArb, ([thingSlots, refSlots], drift) => {
        const side = (s: 0 | 1 | 2): Tree => ({
          things: entries(thingSlots, s),
          referrers: refSlots.flatMap((slot, i) => (slot[s] ? [e(`r${i}`, { uses: slot[s] })] : [])),
        });
        const w = { base: side(0), tenant: side(1), desired: side(2) };
        const r = reconcile({
          tenantName: 'c',
          defs: [things, referrers],
          ...w,
          idMap: ids(w.tenant),
          drift,
          deleteGuard: { allow: true },
        });
        const desiredThings = new Set(w.desired['things']!.map((x) => x.object['displayName']));
        for (const item of r.plan.items) {
          if (item.type !== 'referrers' || !item.after) continue;
          for (const used of item.after['uses'] as string[]) expect(used === 'All' || desiredThings.has(used)).toBe(true);
        }
        for (const x of w.desired['referrers']!) {
          const broken = (x.object['uses'] as string[]).some((u) => u !== 'All' && !desiredThings.has(u));
          const hasError = r.plan.errors.some((err) => err.kind === 'missing-reference' && err.name === x.object['displayName']);
          expect(hasError).toBe(broken);
        }
        // a thing deleted from the tenant by the plan is named by no desired referrer
        for (const item of r.plan.items) {
          if (item.type !== 'things' || item.action !== 'delete') continue;
          for (const x of w.desired['referrers']!) expect(x.object['uses']).not.toContain(item.name);
        }
      }),
    );
  });
});
