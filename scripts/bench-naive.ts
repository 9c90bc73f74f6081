// The naive client the benchmark compares with: deliberately simple, not part of tenant-sync.
// Sequential, one object per request (no $batch), no pacing; on a 429 it waits a fixed backoff
// (2 s of Graph time, scaled) and tries again. It reads what a backup reads: every list page,
// each object's detail, each child page, each referenced directory object's name.
// sample (optional): read the details and children of one object in `sample` and extrapolate.
// Input (JSON in argv[2]): { graphUrl, token, timeScale, sample }
import { performance } from 'node:perf_hooks';
import { resources } from '../src/resources/catalogue.js';
import { collectReferencedIds } from '../src/snapshot/index.js';
import { findLookup } from '../src/resources/catalogue.js';

const input = JSON.parse(process.argv[2]!) as { graphUrl: string; token: string; timeScale: number; sample?: number };
const backoffMs = 2_000 / input.timeScale;
const sample = Math.max(1, input.sample ?? 1);
let requests = 0;
let throttled = 0;

async function get(url: string): Promise<Record<string, unknown>> {
  for (;;) {
    requests++;
    const res = await fetch(url.startsWith('http') ? url : `${input.graphUrl}${url}`, { headers: { authorization: `Bearer ${input.token}` } });
    if (res.status === 429) {
      throttled++;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, backoffMs));
      continue;
    }
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    return body;
  }
}
async function getAll(url: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let next: string | undefined = url; next; ) {
    const page = await get(next);
    out.push(...((page.value as Record<string, unknown>[]) ?? []));
    next = page['@odata.nextLink'] as string | undefined;
  }
  return out;
}

const started = performance.now();
let objects = 0;
let sampled = 0;
let sampledMs = 0;
let listMs = 0;
const ids = new Map<string, Set<string>>();
for (const def of resources) {
  if (def.delegatedOnly) continue;
  const base = `/${def.api}${def.path}`;
  if (def.kind === 'singleton') {
    await get(base);
    objects++;
    continue;
  }
  const t = performance.now();
  const list = await getAll(base);
  listMs += performance.now() - t;
  objects += list.length;
  for (const [i, item] of list.entries()) {
    if (i % sample !== 0) continue;
    const s = performance.now();
    let obj = item;
    const id = encodeURIComponent(String(item[def.key]));
    if (def.detail) obj = await get(`${base}/${id}`);
    for (const child of def.children) obj = { ...obj, [child.property]: await getAll(`${base}/${id}/${child.path}`) };
    for (const [target, found] of collectReferencedIds(def, obj)) {
      if (!findLookup(target)) continue;
      const set = ids.get(target) ?? new Set<string>();
      found.forEach((x) => set.add(x));
      ids.set(target, set);
    }
    sampled++;
    sampledMs += performance.now() - s;
  }
}
let lookupMs = 0;
for (const [target, set] of ids) {
  const lookup = findLookup(target)!;
  const t = performance.now();
  for (const id of set) await get(`/${lookup.api}${lookup.path}/${encodeURIComponent(id)}?$select=${lookup.key},${lookup.nameField}`);
  lookupMs += performance.now() - t;
}
const measuredMs = performance.now() - started;
// Sampled: the lists and name look-ups as measured, the per-object reads scaled up to every object.
const listedObjects = objects;
const wallMs = sample === 1 ? measuredMs : listMs + lookupMs + (sampledMs / Math.max(1, sampled)) * listedObjects;
process.stdout.write(JSON.stringify({ wallMs, measuredMs, requests, throttled, objects, sampled, sample }));
