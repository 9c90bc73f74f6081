import { describe, expect, it } from 'vitest';
import { reconcile, renderPlanMarkdown, type Plan, type ReconcileInput, type Tree } from '../../src/reconcile/index.js';
import {
  catalogueFor,
  catalogues,
  errorTexts,
  format,
  frenchMessages,
  messages,
  type Catalogue,
  type MessageKey,
} from '../../src/reconcile/messages.js';
import type { ResourceDefinition } from '../../src/resources/definition.js';
import { frenchTypographyProblems } from '../frenchTypography.js';
import { def, defs, e, ids, readOnlyType, settingsSingleton, tree } from './helpers.js';

const keys = Object.keys(messages) as MessageKey[];

/** `{placeholders}` of a text, sorted, without repeats */
function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!))].sort();
}

function run(base: Tree, tenant: Tree, desired: Tree, extra: Partial<ReconcileInput> = {}) {
  return reconcile({ tenantName: 'contoso', defs, base, tenant, desired, idMap: ids(tenant), baseIdMap: ids(base), ...extra });
}

/** A plan with a bit of everything: creates, updates, a rename, a delete, conflicts, errors, drift. */
function mixed(): Plan {
  const base = tree({
    namedLocations: [e('HQ', { ipRanges: ['10.0.0.0/8'] }), e('Branch', { ipRanges: [] }), e('Lab', { ipRanges: [] }), e('Old', { ipRanges: [] }), e('Wifi', { ipRanges: [] })],
    conditionalAccessPolicies: [e('P1', { state: 'enabled' })],
  });
  const tenant = tree({
    namedLocations: [
      e('HQ', { ipRanges: ['10.0.0.0/8'] }),
      e('Branch', { ipRanges: ['1.1.1.1/32'] }),
      e('Lab', { ipRanges: [] }),
      e('Old', { ipRanges: [] }),
      e('Wifi', { ipRanges: ['4.4.4.4/32'] }),
    ],
    conditionalAccessPolicies: [e('P1', { state: 'enabled' })],
  });
  const desired = tree({
    namedLocations: [
      e('HQ', { ipRanges: ['10.0.0.0/16'], note: 'x'.repeat(400) }),
      e('Branch', { ipRanges: ['3.3.3.3/32'] }),
      e('Lab 2', { ipRanges: [] }, 'Lab'),
      e('Site', { ipRanges: [] }),
      e('Wifi', { ipRanges: [] }),
    ],
    conditionalAccessPolicies: [
      e('P1', { state: 'disabled', conditions: { locations: { includeLocations: ['HQ'] } } }),
      e('P2', { conditions: { locations: { includeLocations: ['Nowhere'] } } }),
    ],
  });
  return run(base, tenant, desired, { drift: 'report' }).plan;
}

/** Plans made by reconcile() that between them use every message of the catalogue. */
function scenarios(): { name: string; plan: Plan; maxLength?: number }[] {
  const hq = e('HQ', { ipRanges: ['10.0.0.0/8'] });
  const branch = e('Branch', { ipRanges: ['192.168.0.0/16'] });
  const out: { name: string; plan: Plan; maxLength?: number }[] = [{ name: 'mixed', plan: mixed() }];

  // Drift in the tenant under each policy: changed, created, deleted
  const driftBase = tree({ namedLocations: [hq, branch] });
  const driftTenant = tree({ namedLocations: [e('HQ', { ipRanges: ['10.1.0.0/16'] }), e('Guest', { ipRanges: [] })] });
  for (const drift of ['adopt', 'remediate', 'report'] as const) {
    out.push({ name: `drift ${drift}`, plan: run(driftBase, driftTenant, driftBase, { drift }).plan });
  }

  // Every kind of conflict
  const twoSided = tree({ namedLocations: [hq, branch] });
  out.push({
    name: 'conflicts on delete',
    plan: run(twoSided, tree({ namedLocations: [e('HQ', { ipRanges: [] })] }), tree({ namedLocations: [e('Branch', { ipRanges: [] })] })).plan,
  });
  out.push({ name: 'created in both', plan: run(tree({}), tree({ namedLocations: [branch] }), tree({ namedLocations: [e('Branch', { ipRanges: [] })] })).plan });
  out.push({
    name: 'name taken',
    plan: reconcile({
      tenantName: 'contoso',
      defs,
      base: twoSided,
      tenant: tree({ namedLocations: [e('Branch 2', { ipRanges: ['10.0.0.0/8'] }), branch] }),
      desired: tree({ namedLocations: [hq, branch, e('Branch 2', { ipRanges: [] }, 'Branch 2 new')] }),
      baseIdMap: { namedLocations: { HQ: 'loc-1', Branch: 'loc-2' } },
      idMap: { namedLocations: { 'Branch 2': 'loc-1', Branch: 'loc-2' } },
      drift: 'report',
    }).plan,
  });

  // Every kind of error, on both sides
  out.push({
    name: 'duplicates',
    plan: run(tree({ namedLocations: [hq] }), tree({ namedLocations: [hq, e('HQ', { ipRanges: [] }, 'HQ~abcdef12')] }), tree({ namedLocations: [e('Z', {}), e('Z', { a: 1 }, 'Z~1')] })).plan,
  });
  const p1 = e('P1', { conditions: { locations: { includeLocations: ['HQ'] } } });
  out.push({ name: 'still referenced', plan: run(tree({ namedLocations: [hq], conditionalAccessPolicies: [p1] }), tree({ namedLocations: [hq], conditionalAccessPolicies: [p1] }), tree({ namedLocations: [], conditionalAccessPolicies: [p1] })).plan });
  out.push({
    name: 'ambiguous reference',
    plan: run(
      tree({}),
      tree({}),
      tree({ namedLocations: [e('HQ', {}), e('HQ', { a: 1 }, 'HQ~1')], conditionalAccessPolicies: [p1] }),
    ).plan,
  });
  const builtIn = e('Builtin', { policyType: 'builtIn', allowedCombinations: ['password,sms'] });
  out.push({
    name: 'read-only',
    plan: run(tree({ authenticationStrengthPolicies: [builtIn] }), tree({ authenticationStrengthPolicies: [builtIn] }), tree({ authenticationStrengthPolicies: [e('Builtin', { policyType: 'builtIn', allowedCombinations: [] })] })).plan,
  });
  const types: ResourceDefinition[] = [readOnlyType, settingsSingleton];
  const wBase = tree({ directoryRoleTemplates: [e('Reader')], authorizationPolicy: [{ file: 'Authorization policy', object: { allowInvites: 'everyone' } }] }, types);
  out.push({
    name: 'not writable, cannot delete',
    plan: reconcile({ tenantName: 'contoso', defs: types, base: wBase, tenant: wBase, desired: tree({ directoryRoleTemplates: [e('Reader', { x: 1 })], authorizationPolicy: [] }, types) }).plan,
  });
  const noCreate = def({ type: 'noCreate', title: 'No create', write: { update: {}, delete: true } });
  out.push({ name: 'cannot create', plan: reconcile({ tenantName: 'contoso', defs: [noCreate], base: {}, tenant: { noCreate: [] }, desired: { noCreate: [e('X')] } }).plan });

  const ipHQ = e('HQ', { '@odata.type': '#microsoft.graph.ipNamedLocation', ipRanges: [] });
  out.push({
    name: 'type changed',
    plan: run(tree({ namedLocations: [ipHQ] }), tree({ namedLocations: [ipHQ] }), tree({ namedLocations: [e('HQ', { '@odata.type': '#microsoft.graph.countryNamedLocation', countriesAndRegions: ['FR'] })] })).plan,
  });

  // Held deletes, nothing to change, types not compared
  const all = Array.from({ length: 30 }, (_, i) => e(`L${i}`));
  out.push({ name: 'held', plan: run(tree({ namedLocations: all }), tree({ namedLocations: all }), tree({})).plan });
  const same = tree({ namedLocations: [hq] });
  out.push({ name: 'empty', plan: run(same, same, same, { unreadTypes: ['conditionalAccessPolicies'] }).plan });

  // A change at the root (a value that is not an object) and an update without property changes
  const rootChange = structuredClone(mixed());
  const update = rootChange.items.find((i) => i.action === 'update')!;
  update.changes = [{ path: '', kind: 'changed', before: 1, after: 2 }];
  const other = rootChange.items.find((i) => i !== update)!;
  other.changes = [];
  out.push({ name: 'root change, no changes', plan: rootChange });

  // Too long: folded, names only, counts only, lists cut, the last resort
  const many = (v: number) => Array.from({ length: 400 }, (_, i) => e(`Location ${i}`, { ipRanges: [`10.${v}.${i % 256}.0/24`], description: 'x'.repeat(60) }));
  const big = run(
    tree({ namedLocations: many(0) }),
    tree({ namedLocations: many(0).map((x, i) => (i % 4 === 0 ? e(x.file, { ipRanges: ['c'] }) : x)) }),
    tree({
      namedLocations: many(1),
      conditionalAccessPolicies: Array.from({ length: 200 }, (_, i) => e(`P${i}`, { conditions: { locations: { includeLocations: [`missing ${i}`] } } })),
    }),
    { drift: 'report' },
  ).plan;
  for (const maxLength of [60_000, 20_000, 6_000, 3_000, 300]) out.push({ name: `big, ${maxLength}`, plan: big, maxLength });
  return out;
}

/** The French catalogue, noting each key read */
function recording(used: Set<MessageKey>): Catalogue {
  return new Proxy(frenchMessages, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) used.add(key as MessageKey);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/**
 * What may legitimately stay English in a French plan: code spans, links, the product's name,
 * setting names, type titles (the resource catalogue is English) and the drift policies' values.
 */
function withoutUntranslated(md: string, titles: readonly string[]): string {
  let text = md
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, ' ')
    .replace(/\[[A-Z_]+\]\([^)]*\)/g, ' ')
    .replace(/\]\([^)]*\)/g, '] ')
    .replace(/<\/?(details|summary|sub)>/g, ' ')
    .replace(/delete-guard\.[a-z-]+(: true)?/g, ' ')
    .replace(/tenant-sync(\.yml)?/g, ' ');
  for (const title of [...titles].sort((a, b) => b.length - a.length)) text = text.split(title).join(' ');
  return text;
}

/** Words shared by English and French (or kept in English on purpose), not a leak */
const SHARED_WORDS = new Set(['plan', 'type', 'types', 'description', 'version', 'github', 'adopt', 'remediate', 'report']);

function englishWords(key: MessageKey): string[] {
  const literal = messages[key].replace(/\{\w+\}/g, ' ').replace(/delete-guard\.[a-z-]+(: true)?|tenant-sync(\.yml)?|`[^`]*`/g, ' ');
  return [...new Set(literal.match(/\p{L}+/gu) ?? [])].filter((w) => w.length >= 3 && !SHARED_WORDS.has(w.toLowerCase()));
}

describe('message catalogues', () => {
  it('French has exactly the English keys', () => {
    expect(Object.keys(frenchMessages).sort()).toEqual([...keys].sort());
    expect(Object.keys(catalogues).sort()).toEqual(['en', 'fr']);
    for (const catalogue of Object.values(catalogues)) expect(Object.keys(catalogue).sort()).toEqual([...keys].sort());
  });

  it.each(keys)('%s: the same placeholders in English and French, and a French text', (key) => {
    const fr = frenchMessages[key];
    expect(typeof fr).toBe('string');
    expect(fr.trim()).not.toBe('');
    expect(placeholders(fr), `French ${key}: ${fr}`).toEqual(placeholders(messages[key]));
    // Only `{word}` braces, which format fills; no stray braces
    expect(fr.replace(/\{\w+\}/g, '')).not.toMatch(/[{}]/);
    // Backticks come in pairs (code spans kept intact)
    expect((fr.match(/`/g) ?? []).length % 2).toBe(0);
    expect((fr.match(/`/g) ?? []).length).toBe((messages[key].match(/`/g) ?? []).length);
    // Translated, except what reads the same in both languages
    if (!['plan.hash', 'value.absent'].includes(key)) expect(fr).not.toBe(messages[key]);
  });

  it('French typography: a non-breaking space before : ; ? ! and the apostrophe ’', () => {
    expect(Object.values(frenchMessages).flatMap(frenchTypographyProblems)).toEqual([]);
  });

  it('catalogueFor picks the catalogue of a language, English by default', () => {
    expect(catalogueFor()).toBe(messages);
    expect(catalogueFor('en')).toBe(messages);
    expect(catalogueFor('fr')).toBe(frenchMessages);
    expect(format('plan.title', { tenant: 'contoso' }, catalogueFor('fr'))).toBe('Plan tenant-sync pour contoso');
  });

  it('an error is re-rendered in French from its params; plan.json keeps English', () => {
    const plan = mixed();
    const error = plan.errors.find((x) => x.kind === 'missing-reference')!;
    expect(error.message).toContain('which is not in the repository');
    const fr = errorTexts(error.kind, error.side, error.params, frenchMessages);
    expect(fr.message).toBe('P2.json fait référence en conditions.locations.includeLocations[0] à \u00ab\u00a0Nowhere\u00a0\u00bb (Named locations), qui ne figure pas dans le dépôt.');
    expect(fr.fix).toBe('Corrigez le nom ou ajoutez l’objet qu’il désigne\u00a0; d’ici là, l’objet n’est pas planifié.');
  });
});

describe('the plan in French', () => {
  it('has French headings, labels and messages; English stays the default', () => {
    const plan = mixed();
    const md = renderPlanMarkdown(plan, { language: 'fr', planHash: 'h' });
    const order = [
      '## Plan tenant-sync pour contoso',
      '| Créations | Mises à jour | Suppressions | Conflits | Erreurs | Suppressions retenues | Dérives |',
      '### Erreurs (1)',
      '### Conflits (1)',
      '### Named locations',
      '### Conditional access policies',
      '### Modifications apportées dans le locataire (1)',
      'Plan h',
    ].map((s) => md.indexOf(s));
    expect(order.every((i) => i >= 0), md).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('| propriété | avant | après |');
    expect(md).toContain('#### \u270f\ufe0f Mettre à jour `HQ`');
    expect(md).toContain('#### \u2795 Créer `Site`');
    expect(md).toContain('_renommé, anciennement `Lab`_');
    expect(md).toContain('`P2.json` fait référence en `conditions.locations.includeLocations[0]` à `Nowhere` (Named locations), qui ne figure pas dans le dépôt.');
    expect(md).toContain('Fusionner cette demande de tirage');
    expect(md).toContain('`tenant-sync:revert`');
    expect(md).toContain('caractères, consultez l’artefact `plan.json`');
    // plan.json stays English
    expect(plan.errors[0]!.message).toContain('refers at');
    // English by default, unchanged for existing callers
    expect(renderPlanMarkdown(plan)).toBe(renderPlanMarkdown(plan, { language: 'en' }));
    expect(renderPlanMarkdown(plan)).toContain('## tenant-sync plan for contoso');
    // an explicit catalogue wins over the language
    expect(renderPlanMarkdown(plan, { language: 'fr', catalogue: messages })).toBe(renderPlanMarkdown(plan));
  });

  it('uses every French message across plans, and no English text of the messages used leaks into them', () => {
    const used = new Set<MessageKey>();
    const titles = [...defs, readOnlyType, settingsSingleton].map((d) => d.title).concat('No create');
    for (const { name, plan, maxLength } of scenarios()) {
      const usedHere = new Set<MessageKey>();
      const md = renderPlanMarkdown(plan, { catalogue: recording(usedHere), maxLength, planHash: 'h' });
      expect(md, name).toBe(renderPlanMarkdown(plan, { language: 'fr', maxLength, planHash: 'h' }));
      if (maxLength !== undefined) expect(md.length, name).toBeLessThanOrEqual(maxLength);
      expect(md, name).not.toMatch(/\{\w+\}/);
      const text = withoutUntranslated(md, titles);
      expect(frenchTypographyProblems(text), name).toEqual([]);
      for (const key of usedHere) {
        used.add(key);
        for (const word of englishWords(key)) {
          expect(new RegExp(`(?<!\\p{L})${word}(?!\\p{L})`, 'iu').test(text), `${name}: English "${word}" of ${key} in\n${md}`).toBe(false);
        }
      }
    }
    expect(keys.filter((k) => !used.has(k))).toEqual([]);
  });
});
