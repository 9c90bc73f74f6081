import { Prng } from '../simulator/util.js';
/**
 * Shared by the reliability tests (property.test.ts, soak.test.ts): the small tenant they run on,
 * a seeded random generator, and views of the simulator's raw state.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../deploy/helpers.js';
import { findResource } from '../../src/resources/catalogue.js';
import type { ResourceDefinition } from '../../src/resources/definition.js';
import { generateTenant, loadFixtures, type Simulator, type TenantData } from '../simulator/index.js';

/** The types the reliability tests sync: named locations, CA policies that name them and groups, compliance policies */
export const TYPES = ['namedLocations', 'conditionalAccessPolicies', 'deviceCompliancePolicies'] as const;
export type SyncedType = (typeof TYPES)[number];

export const DEFS: ResourceDefinition[] = TYPES.map((t) => findResource(t)!);

/** tenant-sync.yml lines (under the tenant) that enable only TYPES */
export const TYPES_CONFIG = `    types:\n      include: [${TYPES.join(', ')}]\n`;

/**
 * A small tenant: every fixture (so the types the synced ones name, such as authentication
 * strengths, role scope tags and groups, are there) plus `extra` clones of the synced types'
 * fixtures (generateTenant, deterministic for `seed`).
 */
export function smallTenant(seed: number, extra: number): TenantData {
  const fixtures = loadFixtures();
  const own = DEFS.reduce((n, d) => n + (fixtures[d.type]?.length ?? 0), 0);
  const generated = generateTenant({ objects: own + extra, seed, resources: DEFS });
  return { ...fixtures, ...generated };
}

/** The simulator's seeded generator (mulberry32), so that a soak run is reproducible from its seed, with a few helpers */
export class Rng extends Prng {
  constructor(readonly seed: number) {
    super(seed);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  word(): string {
    const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'po'];
    let w = '';
    for (let i = this.int(2, 3); i > 0; i--) w += this.pick(syllables);
    return w[0]!.toUpperCase() + w.slice(1);
  }
}

/** The simulator's objects of every type (catalogue and lookups), by type, then by key */
export type RawState = Map<string, Map<string, Obj>>;

export function rawState(sim: Simulator): RawState {
  const out: RawState = new Map();
  for (const type of sim.tenant.types()) {
    const key = findResource(type)?.key ?? 'id';
    const byId = new Map<string, Obj>();
    for (const obj of sim.state(type) as Obj[]) byId.set(String(obj[key] ?? obj['id']), obj);
    out.set(type, byId);
  }
  return out;
}

export interface RawDiff {
  type: string;
  id: string;
  change: 'created' | 'changed' | 'deleted';
}

/** What differs between two raw states, object by object */
export function rawDiff(before: RawState, after: RawState): RawDiff[] {
  const out: RawDiff[] = [];
  for (const type of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(type) ?? new Map<string, Obj>();
    const a = after.get(type) ?? new Map<string, Obj>();
    for (const [id, obj] of b) {
      const now = a.get(id);
      if (now === undefined) out.push({ type, id, change: 'deleted' });
      else if (!isDeepStrictEqual(now, obj)) out.push({ type, id, change: 'changed' });
    }
    for (const id of a.keys()) if (!b.has(id)) out.push({ type, id, change: 'created' });
  }
  return out;
}

/** Display names used by more than one object of a synced type in the simulator */
export function duplicateNames(sim: Simulator): string[] {
  const out: string[] = [];
  for (const def of DEFS) {
    const seen = new Map<string, number>();
    for (const obj of sim.state(def.type) as Obj[]) {
      const name = String(obj[def.nameField]);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    for (const [name, n] of seen) if (n > 1) out.push(`${def.type}: '${name}' x${n}`);
  }
  return out;
}

/** '/v1.0/identity/conditionalAccess/namedLocations/abc?x=1' -> without the query */
export const pathOnly = (path: string): string => path.split('?')[0]!;
