/**
 * The seeded tenant: fixtures (test/simulator/fixtures/<type>.json, { "objects": [...] }) and a
 * generator that clones fixture objects into a tenant of any size, deterministically for a seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lookups as catalogueLookups, resources as catalogueResources } from '../../src/resources/catalogue.js';
import { isReadOnlyObject, type LookupDefinition, type ResourceDefinition } from '../../src/resources/definition.js';
import type { TenantData } from './tenant.js';
import { isObj, Prng, type Obj } from './util.js';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface DefinitionSet {
  resources?: readonly ResourceDefinition[];
  lookups?: readonly LookupDefinition[];
}

/** Objects per type from `dir`; types without a fixture file are absent (start empty, silently). */
export function loadFixtures(dir: string = FIXTURES_DIR, defs: DefinitionSet = {}): TenantData {
  const types = [...(defs.resources ?? catalogueResources).map((r) => r.type), ...(defs.lookups ?? catalogueLookups).map((l) => l.type)];
  const data: TenantData = {};
  for (const type of types) {
    const file = join(dir, `${type}.json`);
    if (!existsSync(file)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`Fixture ${file} is not valid JSON: ${(e as Error).message}`);
    }
    const objects = isObj(parsed) && Array.isArray(parsed['objects']) ? parsed['objects'] : undefined;
    if (!objects) throw new Error(`Fixture ${file} must be { "objects": [ ... ] }`);
    data[type] = objects.filter(isObj);
  }
  return data;
}

/** Share of generated objects per collection (by Graph path), a realistic tenant's mix. */
const WEIGHTS: [RegExp, number][] = [
  [/\/deviceManagement\/configurationPolicies$/i, 30],
  [/\/deviceManagement\/deviceConfigurations$/i, 18],
  [/\/deviceManagement\/deviceCompliancePolicies$/i, 10],
  [/\/identity\/conditionalAccess\/policies$/i, 8],
  [/\/identity\/conditionalAccess\/namedLocations$/i, 4],
  [/ManagedAppProtections$/i, 4],
  [/\/deviceManagement\/assignmentFilters$/i, 3],
  [/\/deviceManagement\/deviceEnrollmentConfigurations$/i, 2],
  [/windowsAutopilotDeploymentProfiles$/i, 2],
  [/\/deviceManagement\/roleScopeTags$/i, 1],
];

/**
 * Service limits on the number of objects (whole tenant, fixtures included): conditional access
 * policies and named locations (195 each), custom authentication strengths (15), custom directory
 * roles (100), assignment filters (200); directory settings exist once per template (no clones).
 */
const CAPS: [RegExp, number][] = [
  [/\/identity\/conditionalAccess\/policies$/i, 195],
  [/\/identity\/conditionalAccess\/namedLocations$/i, 195],
  [/\/policies\/authenticationStrengthPolicies$/i, 15 + 3],
  [/\/roleManagement\/directory\/roleDefinitions$/i, 100],
  [/\/deviceManagement\/assignmentFilters$/i, 200],
  [/\/groupSettings$/i, 0],
];

function capOf(def: ResourceDefinition): number {
  for (const [re, cap] of CAPS) if (re.test(def.path)) return cap;
  return Number.POSITIVE_INFINITY;
}

function weightOf(def: ResourceDefinition): number {
  for (const [re, w] of WEIGHTS) if (re.test(def.path)) return w;
  return 1;
}


export interface GenerateOptions extends DefinitionSet {
  /** Objects of catalogue types in the tenant (fixtures included). */
  objects: number;
  seed: number;
  /** Source objects (default: loadFixtures()). */
  fixtures?: TenantData;
}

/**
 * A tenant of `objects` catalogue objects: the fixtures, plus clones of the creatable fixture
 * objects (new ids, unique names) in a realistic mix: many settings catalog policies, some with
 * more settings than a page; configuration profiles, compliance policies, conditional access
 * policies referencing the fixture named locations and groups; assignments spread over generated
 * groups. Deterministic for a seed; clones share nested structures with their source (the
 * simulator replaces objects, never mutates them), which keeps 50,000 objects cheap.
 */
export function generateTenant(options: GenerateOptions): TenantData {
  const resources = options.resources ?? catalogueResources;
  const lookups = options.lookups ?? catalogueLookups;
  const fixtures = options.fixtures ?? loadFixtures(FIXTURES_DIR, { resources, lookups });
  const prng = new Prng(options.seed);
  const data: TenantData = {};
  for (const [type, objects] of Object.entries(fixtures)) data[type] = [...objects];

  const existing = resources.reduce((n, def) => n + (data[def.type]?.length ?? 0), 0);
  const toMake = Math.max(0, options.objects - existing);
  const candidates = resources
    .filter((def) => def.kind === 'collection' && def.write?.create && def.nameField !== def.key)
    .map((def) => ({ def, sources: (fixtures[def.type] ?? []).filter((o) => !isReadOnlyObject(def, o)), weight: weightOf(def) }))
    .filter((c) => c.sources.length > 0);
  if (toMake === 0 || candidates.length === 0) return data;

  // Generated groups that assignments target (a tenant with many policies has many groups).
  const groupType = lookups.find((l) => l.path.toLowerCase() === '/groups')?.type;
  const groupIds: string[] = [];
  if (groupType) {
    const count = Math.max(1, Math.ceil(toMake / 25));
    const groups = (data[groupType] = [...(data[groupType] ?? [])]);
    for (let i = 1; i <= count; i++) {
      const id = prng.guid();
      groupIds.push(id);
      const name = `Generated Group ${String(i).padStart(5, '0')}`;
      groups.push({ id, displayName: name, mailNickname: `gen${i}`, securityEnabled: true, mailEnabled: false });
    }
  }

  // Largest-remainder split of toMake over the weights, within each collection's cap.
  const room = candidates.map((c) => Math.max(0, capOf(c.def) - (data[c.def.type]?.length ?? 0)));
  const counts = candidates.map(() => 0);
  let left = toMake;
  for (let round = 0; round < candidates.length && left > 0; round++) {
    const open = candidates.map((c, i) => (counts[i]! < room[i]! ? c.weight : 0));
    const total = open.reduce((a, b) => a + b, 0);
    if (total === 0) break;
    const shares = open.map((w, i) => Math.min(room[i]! - counts[i]!, (left * w) / total));
    const add = shares.map(Math.floor);
    let rest = Math.min(left, Math.round(shares.reduce((a, b) => a + b, 0))) - add.reduce((a, b) => a + b, 0);
    const order = shares.map((sh, i) => ({ i, r: sh - Math.floor(sh) })).sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of order) {
      if (rest <= 0) break;
      if (counts[i]! + add[i]! < room[i]!) {
        add[i]!++;
        rest--;
      }
    }
    add.forEach((n, i) => (counts[i] = counts[i]! + n));
    left = toMake - counts.reduce((a, b) => a + b, 0);
  }

  candidates.forEach(({ def, sources }, index) => {
    const n = counts[index] ?? 0;
    const out = (data[def.type] = [...(data[def.type] ?? [])]);
    const childProps = def.children.map((c) => c.property);
    const assignmentProp = def.write?.assignments?.property ?? 'assignments';
    for (let k = 1; k <= n; k++) {
      const src = sources[(k - 1) % sources.length] as Obj;
      const clone: Obj = { ...src };
      const id = prng.guid();
      clone[def.key] = id;
      const baseName = typeof src[def.nameField] === 'string' ? (src[def.nameField] as string) : def.type;
      clone[def.nameField] = `${baseName} ${String(k).padStart(5, '0')}`;
      for (const prop of childProps) {
        const children = src[prop];
        if (!Array.isArray(children) || children.length === 0) continue;
        // One policy in ten has more settings than a page (paging of child collections).
        const size = prng.next() < 0.1 ? prng.int(101, 250) : prng.int(1, Math.max(1, Math.min(30, children.length * 3)));
        const list: unknown[] = [];
        for (let i = 0; i < size; i++) {
          const el = children[i % children.length];
          list.push(isObj(el) && 'id' in el ? { ...el, id: String(i) } : el);
        }
        clone[prop] = list;
        if ('settingCount' in clone) clone['settingCount'] = list.length;
      }
      const assignments = src[assignmentProp];
      if (Array.isArray(assignments)) {
        clone[assignmentProp] = assignments.map((a) => {
          if (!isObj(a)) return a;
          const target = isObj(a['target']) ? a['target'] : undefined;
          let groupId = target && typeof target['groupId'] === 'string' ? target['groupId'] : undefined;
          let newTarget = target;
          if (target && groupId && groupIds.length > 0 && prng.next() < 0.7) {
            groupId = prng.pick(groupIds);
            newTarget = { ...target, groupId };
          }
          return { ...a, ...(newTarget ? { target: newTarget } : {}), ...('id' in a ? { id: `${id}_${groupId ?? prng.guid()}` } : {}) };
        });
      }
      out.push(clone);
    }
  });
  return data;
}
