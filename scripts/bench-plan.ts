// Reconcile and plan over a generated tenant of N objects (default 50,000), in its own process so
// that its peak memory is its own: the tenant tree, a desired tree with 1% of the objects edited,
// reconcile (three-way, base = tenant) and the Markdown rendering.
// Usage: node --import tsx scripts/bench-plan.ts [objects]
import { performance } from 'node:perf_hooks';
import { reconcile, renderPlanMarkdown, type Tree } from '../src/reconcile/index.js';
import { resources, lookups } from '../src/resources/catalogue.js';
import { assignFileNames, normaliseObject, replaceIdsWithNames } from '../src/snapshot/index.js';
import { objectName } from '../src/engine/backup.js';
import { generateTenant } from '../test/simulator/index.js';

const objects = Number(process.argv[2] ?? 50_000);
const data = generateTenant({ objects, seed: 42 });

// The tenant tree as a backup renders it: normalised, references by name.
const names = new Map<string, Map<string, string>>();
for (const def of resources) names.set(def.type, new Map((data[def.type] ?? []).map((o) => [String(o[def.key]), objectName(def, o)])));
for (const l of lookups) names.set(l.type, new Map((data[l.type] ?? []).map((o) => [String(o[l.key]), String(o[l.nameField])])));
const tenant: Tree = {};
let count = 0;
for (const def of resources) {
  const list = data[def.type] ?? [];
  const { fileNames } = assignFileNames(list.map((o) => ({ id: String(o[def.key] ?? objectName(def, o)), name: objectName(def, o) })));
  tenant[def.type] = list.map((o) => ({
    file: fileNames.get(String(o[def.key] ?? objectName(def, o)))!,
    object: replaceIdsWithNames(def, normaliseObject(def, o), (t, id) => names.get(t)?.get(id)).object,
  }));
  count += list.length;
}
// The repository: 1% of the objects edited.
const desired: Tree = {};
let edits = 0;
for (const [type, entries] of Object.entries(tenant)) {
  desired[type] = entries.map((e, i) => {
    const def = resources.find((r) => r.type === type)!;
    if (i % 100 !== 7 || def.readOnlyWhen || !def.write) return e;
    edits++;
    return { file: e.file, object: { ...e.object, description: `edited ${i}` } };
  });
}

const before = process.memoryUsage().rss;
const started = performance.now();
const { plan } = reconcile({ tenantName: 'contoso', defs: resources, base: tenant, tenant, desired });
const reconciled = performance.now();
const markdown = renderPlanMarkdown(plan);
const rendered = performance.now();
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    objects: count,
    edits,
    planned: plan.items.length,
    reconcileS: (reconciled - started) / 1000,
    markdownS: (rendered - reconciled) / 1000,
    planS: (rendered - started) / 1000,
    markdownChars: markdown.length,
    rssBeforeMb: before / 2 ** 20,
    peakRssMb: usage.maxRSS / 1024,
  }),
);
