import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { code, escapeText } from '../../src/reconcile/markdown.js';
import {
  GITHUB_BODY_LIMIT,
  MARKDOWN_TARGET_LENGTH,
  messages,
  reconcile,
  renderPlanMarkdown,
  type Catalogue,
  type MessageKey,
  type Plan,
  type ReconcileInput,
  type Tree,
} from '../../src/reconcile/index.js';
import { defs, e, ids, tree } from './helpers.js';

function run(base: Tree, tenant: Tree, desired: Tree, extra: Partial<ReconcileInput> = {}) {
  return reconcile({ tenantName: 'contoso', defs, base, tenant, desired, idMap: ids(tenant), ...extra });
}

/** A plan with a bit of everything: creates, updates, a delete, a conflict, an error, drift. */
function mixed(): Plan {
  const base = tree({
    namedLocations: [e('HQ', { ipRanges: ['10.0.0.0/8'] }), e('Branch', { ipRanges: [] }), e('Lab', { ipRanges: [] })],
    conditionalAccessPolicies: [e('P1', { state: 'enabled' })],
  });
  const tenant = tree({
    namedLocations: [e('HQ', { ipRanges: ['10.0.0.0/8'] }), e('Branch', { ipRanges: ['1.1.1.1/32'] }), e('Lab', { ipRanges: ['2.2.2.2/32'] })],
    conditionalAccessPolicies: [e('P1', { state: 'enabled' })],
  });
  const desired = tree({
    namedLocations: [
      e('HQ', { ipRanges: ['10.0.0.0/16'] }),
      e('Branch', { ipRanges: ['3.3.3.3/32'] }),
      e('Lab', { ipRanges: [] }),
      e('New | `odd` <b>@team</b>', { ipRanges: [] }),
    ],
    conditionalAccessPolicies: [
      e('P1', { state: 'disabled', conditions: { locations: { includeLocations: ['HQ'] } } }),
      e('P2', { conditions: { locations: { includeLocations: ['Nowhere'] } } }),
    ],
  });
  return run(base, tenant, desired, { drift: 'report' }).plan;
}

describe('renderPlanMarkdown', () => {
  it('puts counts first, then errors and conflicts, then the changes per type, then drift', () => {
    const plan = mixed();
    expect(plan.counts).toMatchObject({ creates: 1, updates: 2, deletes: 0, conflicts: 1, errors: 1, drift: 1 });
    const md = renderPlanMarkdown(plan);
    const order = [
      '## tenant-sync plan for contoso',
      '| Creates | Updates | Deletes | Conflicts | Errors | Held deletes | Drift |',
      '| 1 | 2 | 0 | 1 | 1 | 0 | 1 |',
      '### Errors (1)',
      '### Conflicts (1)',
      '### Named locations',
      '### Conditional access policies',
      '### Changes made in the tenant (1)',
    ].map((s) => md.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('P2.json');
    expect(md).toContain('Branch');
    expect(md).not.toContain('<details>');
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_TARGET_LENGTH);
  });

  it('shows each change property by property, before and after', () => {
    const md = renderPlanMarkdown(mixed());
    expect(md).toContain('#### \u270f\ufe0f Update `HQ`');
    expect(md).toContain('| property | before | after |');
    expect(md).toContain('| `ipRanges` | `["10.0.0.0/8"]` | `["10.0.0.0/16"]` |');
    expect(md).toContain('| `state` | `"enabled"` | `"disabled"` |');
    expect(md).toContain('| `conditions.locations.includeLocations` | \u2014 | `["HQ"]` |');
  });

  it('marks deletes clearly', () => {
    const base = tree({ namedLocations: [e('Old', { ipRanges: ['9.9.9.9/32'] })] });
    const md = renderPlanMarkdown(run(base, base, tree({})).plan);
    expect(md).toContain('#### \u274c **Delete** `Old`');
    expect(md).toContain('**This object will be deleted from the tenant.**');
    expect(md).toContain('| `ipRanges` | `["9.9.9.9/32"]` | \u2014 |');
  });

  it('escapes pipes, backticks, HTML and mentions', () => {
    const md = renderPlanMarkdown(mixed());
    // the name in a heading: a code span with a longer fence, so nothing inside is Markdown
    expect(md).toContain('#### \u2795 Create ``New | `odd` <b>@team</b>``');
    // in a table: pipes escaped inside the code span
    expect(md).toContain('| `displayName` | \u2014 | ``"New \\| `odd` <b>@team</b>"`` |');
    for (const line of md.split('\n').filter((l) => l.startsWith('| `displayName`'))) {
      expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(5);
    }
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x`')).toBe('`` `x` ``');
    expect(code('a|b', true)).toBe('`a\\|b`');
    expect(code('line\nbreak')).toBe('`line break`');
    expect(escapeText('a *b* <i>@x</i> | #1')).toBe('a \\*b\\* \\<i\\>@\u200bx\\</i\\> \\| \\#1');
  });

  it('cuts long values, with a note', () => {
    const long = 'x'.repeat(1000);
    const base = tree({ namedLocations: [e('HQ', { note: 'short' })] });
    const md = renderPlanMarkdown(run(base, base, tree({ namedLocations: [e('HQ', { note: long })] })).plan);
    const row = md.split('\n').find((l) => l.startsWith('| `note`'))!;
    expect(row.length).toBeLessThan(400);
    expect(row).toContain('\u2026 (1002 characters, see the `plan.json` artifact)');
  });

  it('says so when there is nothing to change, and names the types not compared', () => {
    const t = tree({ namedLocations: [e('HQ')] });
    const md = renderPlanMarkdown(run(t, t, t, { unreadTypes: ['conditionalAccessPolicies'] }).plan);
    expect(md).toContain('Nothing to change in the tenant.');
    expect(md).toContain('Not compared this time, nothing is proposed for them: Conditional access policies.');
    expect(md).toContain('| 0 | 0 | 0 | 0 | 0 | 0 | 0 |');
  });

  it('shows held deletes with the reason and the setting', () => {
    const all = Array.from({ length: 10 }, (_, i) => e(`L${i}`));
    const md = renderPlanMarkdown(run(tree({ namedLocations: all }), tree({ namedLocations: all }), tree({})).plan);
    expect(md).toContain('### Deletes held back (10)');
    expect(md).toContain('delete-guard.allow');
    expect(md).toContain('| 0 | 0 | 0 | 0 | 0 | 10 | 0 |');
    expect(md).toContain('  - `L0`');
  });

  it('stays within GitHub\u2019s limit with 5,000 changes, folding and then dropping details, counts always shown', () => {
    const n = 5000;
    const big = (v: number) =>
      Array.from({ length: n }, (_, i) =>
        e(`Location number ${i} with a fairly long display name`, {
          ipRanges: [`10.${i % 256}.${v}.0/24`],
          description: `Site ${i}: ${'lorem ipsum '.repeat(8)}`,
        }),
      );
    const base = tree({ namedLocations: big(0) });
    const r = run(base, base, tree({ namedLocations: big(1) }));
    expect(r.plan.counts.updates).toBe(n);
    const md = renderPlanMarkdown(r.plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_TARGET_LENGTH);
    expect(md.length).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(md).toContain(`| 0 | ${n} | 0 | 0 | 0 | 0 | 0 |`);
    expect(md).toContain('<details><summary>Named locations: 0 to create, 5000 to update, 0 to delete</summary>');
    expect(md).toContain('plan.json');
    // as much as fits is still listed by name
    expect(md).toContain('`Location number 0 with a fairly long display name`');

    // with conflicts, errors and drift on top
    const tenant = tree({ namedLocations: big(0).map((x, i) => (i % 10 === 0 ? e(x.file, { ipRanges: ['c'] }) : x)) });
    const desired = tree({
      namedLocations: big(1),
      conditionalAccessPolicies: Array.from({ length: 2000 }, (_, i) => e(`P${i}`, { conditions: { locations: { includeLocations: [`missing ${i}`] } } })),
    });
    const r2 = run(base, tenant, desired, { drift: 'report' });
    expect(r2.plan.counts.conflicts).toBe(500);
    expect(r2.plan.counts.errors).toBe(2000);
    const md2 = renderPlanMarkdown(r2.plan);
    expect(md2.length).toBeLessThanOrEqual(MARKDOWN_TARGET_LENGTH);
    expect(md2).toContain(`| 0 | 4500 | 0 | 500 | 2000 | 0 | 0 |`);
    expect(md2.indexOf('### Errors (2000)')).toBeLessThan(md2.indexOf('### Conflicts (500)'));
    expect(md2.indexOf('### Conflicts (500)')).toBeLessThan(md2.indexOf('Named locations: 0 to create'));
  });

  it('keeps to a smaller budget when asked', () => {
    const md = renderPlanMarkdown(mixed(), { maxLength: 1500 });
    expect(md.length).toBeLessThanOrEqual(1500);
    expect(md).toContain('| 1 | 2 | 0 | 1 | 1 | 0 | 1 |');
  });

  it('takes every label from the message catalogue', () => {
    const keys = Object.keys(messages) as MessageKey[];
    const marked = Object.fromEntries(keys.map((k, i) => [k, `\u27e6${i}\u27e7`])) as Catalogue;
    const md = renderPlanMarkdown(mixed(), { catalogue: marked, planHash: 'h' });
    for (const english of ['Creates', 'Update', 'property', 'before', 'Errors', 'Conflicts', 'Changes made', 'refers at', 'plan for']) {
      expect(md).not.toContain(english);
    }
    for (const k of ['counts.creates', 'section.errors', 'action.update', 'table.property', 'error.missing-reference'] as MessageKey[]) {
      expect(md).toContain(`\u27e6${keys.indexOf(k)}\u27e7`);
    }
  });

  it('any plan fits and starts with its title and counts', () => {
    const nameArb = fc.string({ unit: fc.constantFrom('a', '|', '`', '<', '@', '*', ' ', '\u00e9', '\ud83d\ude00'), minLength: 1, maxLength: 12 });
    const objArb = fc.record({ displayName: nameArb, v: fc.jsonValue({ maxDepth: 2 }) });
    const listArb = fc.uniqueArray(objArb, { selector: (o) => o.displayName, maxLength: 30 });
    fc.assert(
      fc.property(listArb, listArb, listArb, (b, t, d) => {
        const toTree = (list: typeof b) => tree({ namedLocations: list.map((o, i) => ({ file: `f${i}-${o.displayName.length}`, object: o })) });
        const plan = run(toTree(b), toTree(t), toTree(d), { deleteGuard: { allow: true } }).plan;
        const md = renderPlanMarkdown(plan);
        expect(md.length).toBeLessThanOrEqual(MARKDOWN_TARGET_LENGTH);
        expect(md.startsWith('## tenant-sync plan for contoso\n')).toBe(true);
        expect(md).toContain(`| ${plan.counts.creates} | ${plan.counts.updates} | ${plan.counts.deletes} |`);
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 800, max: 5000 }), (max) => {
        expect(renderPlanMarkdown(mixed(), { maxLength: max }).length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 20 },
    );
  });
});
