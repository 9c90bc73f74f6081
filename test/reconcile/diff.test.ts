import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/reconcile/canonical.js';
import { deepEqual, diffObjects, diffValues } from '../../src/reconcile/index.js';
import { renderJson } from '../../src/snapshot/index.js';
import { createHash } from 'node:crypto';

describe('deepEqual', () => {
  it('ignores key order and undefined properties, nothing else', () => {
    expect(deepEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: null }, {})).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: [] }, { a: {} })).toBe(false);
    expect(deepEqual('1', 1)).toBe(false);
  });

  it('agrees with comparing canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
        expect(deepEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(deepEqual(a, JSON.parse(JSON.stringify(a)))).toBe(true);
      }),
    );
  });
});

describe('diff', () => {
  it('objects key by key, arrays of primitives as values', () => {
    expect(
      diffObjects(
        { displayName: 'P', state: 'on', conditions: { users: { includeGroups: ['A', 'B'] }, apps: ['All'] } },
        { displayName: 'P', state: 'off', conditions: { users: { includeGroups: ['A', 'C'] }, apps: ['All'] }, extra: 1 },
      ),
    ).toEqual([
      { path: 'conditions.users.includeGroups', kind: 'changed', before: ['A', 'B'], after: ['A', 'C'] },
      { path: 'extra', kind: 'added', after: 1 },
      { path: 'state', kind: 'changed', before: 'on', after: 'off' },
    ]);
  });

  it('spells out an added or removed object leaf by leaf', () => {
    expect(diffObjects(null, { a: { b: 1, c: { d: [1] } }, e: {} })).toEqual([
      { path: 'a.b', kind: 'added', after: 1 },
      { path: 'a.c.d', kind: 'added', after: [1] },
      { path: 'e', kind: 'added', after: {} },
    ]);
    expect(diffObjects({ a: { b: 1 } }, null)).toEqual([{ path: 'a.b', kind: 'removed', before: 1 }]);
    expect(diffObjects({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('arrays of objects: element-wise, one insertion or removal as one row', () => {
    const a = { target: 'a' };
    const b = { target: 'b' };
    const c = { target: 'c' };
    expect(diffValues({ x: [a, b, c] }, { x: [a, { target: 'B' }, c] })).toEqual([
      { path: 'x[1].target', kind: 'changed', before: 'b', after: 'B' },
    ]);
    expect(diffValues({ x: [a, c] }, { x: [a, b, c] })).toEqual([{ path: 'x[1]', kind: 'added', after: b }]);
    expect(diffValues({ x: [a, b, c] }, { x: [b, c] })).toEqual([{ path: 'x[0]', kind: 'removed', before: a }]);
    expect(diffValues({ x: [a] }, { x: [b, c] })).toEqual([{ path: 'x', kind: 'changed', before: [a], after: [b, c] }]);
  });

  it('quotes keys that would read ambiguously', () => {
    expect(diffValues({}, { 'a b': 1, '@odata.type': '#x', '': 2 }).map((c) => c.path)).toEqual(['[""]', '@odata.type', '["a b"]']);
  });

  it('before + changes = after (a diff is complete, up to whether an emptied object stays as {})', () => {
    // Added and removed objects are listed leaf by leaf, for reading; whether the emptied
    // container stays is not shown (deploy sends the whole desired object, not the rows).
    const prune = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(prune);
      if (typeof value !== 'object' || value === null) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const p = prune(v);
        if (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0) continue;
        out[k] = p;
      }
      return out;
    };
    const apply = (before: unknown, changes: ReturnType<typeof diffValues>): unknown => {
      // Rebuild by taking the changed values; checks that every difference is reported.
      let out = JSON.parse(JSON.stringify(before ?? {})) as unknown;
      // removals are reported at their index before the change: apply them last to first
      const ordered = [...changes.filter((c) => c.kind !== 'removed'), ...changes.filter((c) => c.kind === 'removed').reverse()];
      for (const c of ordered) {
        if (c.path === '') {
          out = c.after;
          continue;
        }
        const tokens = c.path.match(/\[(\d+)\]|\["(?:[^"\\]|\\.)*"\]|[^.[\]]+/g)!.map((t) =>
          t.startsWith('["') ? (JSON.parse(t.slice(1, -1)) as string) : t.startsWith('[') ? Number(t.slice(1, -1)) : t,
        );
        let node = out as Record<string | number, unknown>;
        for (const t of tokens.slice(0, -1)) {
          if (node[t] === undefined || node[t] === null || typeof node[t] !== 'object') node[t] = typeof t === 'number' ? [] : {};
          node = node[t] as Record<string | number, unknown>;
        }
        const last = tokens[tokens.length - 1]!;
        if (c.kind === 'removed') {
          if (Array.isArray(node)) node.splice(last as number, 1);
          else delete node[last];
        } else if (c.kind === 'added' && Array.isArray(node)) node.splice(last as number, 0, c.after);
        else node[last] = c.after;
      }
      return out;
    };
    const obj = fc.dictionary(
      fc.constantFrom('a', 'b', 'c'),
      fc.oneof(fc.integer({ min: 0, max: 2 }), fc.array(fc.record({ k: fc.integer({ min: 0, max: 2 }) }), { maxLength: 3 }), fc.dictionary(fc.constantFrom('x', 'y'), fc.boolean())),
    );
    fc.assert(
      fc.property(obj, obj, (before, after) => {
        expect(deepEqual(prune(apply(before, diffObjects(before, after))), prune(after))).toBe(true);
      }),
    );
  });
});

describe('canonicalJson', () => {
  it('is byte for byte renderJson, and canonicalHash its sha256', () => {
    const values = fc.oneof(
      fc.jsonValue(),
      fc.object({ values: [fc.constant(undefined), fc.string(), fc.double(), fc.boolean(), fc.constant(null)] }),
      fc.constant({ b: 1, a: [undefined, () => 1, Number.NaN, -0], c: undefined, '\u{1F600}': 1, '\uE000': 2, 10: 3, 9: 4 }),
      fc.constant({ d: new Date(0) }),
    );
    fc.assert(
      fc.property(values, (v) => {
        expect(canonicalJson(v)).toBe(renderJson(v));
        expect(canonicalHash(v)).toBe(createHash('sha256').update(renderJson(v)).digest('hex'));
      }),
    );
  });
});
