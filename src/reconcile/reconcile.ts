import type { z } from 'zod';
import { deleteGuardSchema } from '../config/schema.js';
import { isReadOnlyObject, type ResourceDefinition } from '../resources/definition.js';
import { fileNameFoldKey, shortHash, truncateUtf8, MAX_FILE_NAME_BYTES } from '../snapshot/naming.js';
import { parsePath, resolvePath } from '../snapshot/paths.js';
import { compareCodePoints } from '../snapshot/util.js';
import { canonicalJson } from './canonical.js';
import { deepEqual, diffObjects, type PropertyChange } from './diff.js';
import { errorTexts, format, heldTexts } from './messages.js';
import {
  PLAN_VERSION,
  objectHash,
  type Conflict,
  type ConflictKind,
  type DriftEntry,
  type DriftPolicy,
  type HeldDeletes,
  type Plan,
  type PlanAction,
  type PlanError,
  type PlanErrorCode,
  type PlanErrorKind,
  type PlanItem,
} from './plan.js';
import { entriesOf, hasOwn, idOf, type IdMap, type Tree, type TreeEntry } from './tree.js';
import type { UnsettledObject } from './unsettled.js';

/**
 * Three-way reconciliation: base (the tenant as last recorded on the state branch), tenant (just
 * read) and desired (the default branch). Pure and deterministic: no I/O, the same inputs in any
 * order give the same result, linear in the number of objects.
 *
 * Matching, per type:
 * 1. tenant <-> base by id (the id maps): an object renamed in the tenant stays the same object;
 * 2. then by display name (names that occur once on each side);
 * 3. desired <-> base by display name, then by file name: a file whose name field was edited is
 *    the same object renamed in the repository;
 * 4. desired <-> objects new in the tenant by name; whatever is left is new.
 * Names shared by two objects of one type (in the tenant or in the repository) are errors: every
 * object that carries such a name on any side is left out, nothing is guessed.
 *
 * Classification (b: base, t: tenant, d: desired; '=' is deep equality):
 *   b t d, t=b, d=b           unchanged
 *   b t d, t!=b, d=b          drift
 *   b t d, t=b, d!=b          change
 *   b t d, t!=b, d!=b, t=d    unchanged (both made the same change)
 *   b t d, t!=b, d!=b, t!=d   conflict
 *   b . d, d=b / d!=b         deleted-in-tenant / conflict
 *   b t ., t=b / t!=b         deleted-in-repo / conflict
 *   . t .                     created-in-tenant
 *   . . d                     created-in-repo
 *   . t d, t=d / t!=d         unchanged / conflict (created on both sides differently)
 *   b . .                     gone on both sides: not reported
 */

export type Classification =
  | 'unchanged'
  | 'drift'
  | 'change'
  | 'conflict'
  | 'created-in-tenant'
  | 'deleted-in-tenant'
  | 'created-in-repo'
  | 'deleted-in-repo'
  | 'error';

export type DeleteGuardInput = z.input<typeof deleteGuardSchema>;

export interface ReconcileInput {
  /** The tenant's short name (tenant-sync.yml), recorded in the plan */
  tenantName: string;
  /** The tenant's id as tenant-sync.yml gives it; recorded in the plan so it cannot be applied to another tenant */
  tenantId?: string;
  /** The enabled types, in dependency order */
  defs: readonly ResourceDefinition[];
  /** The tenant as last recorded (the state branch before this sync); {} when nothing is recorded */
  base: Tree;
  /** The tenant as just read */
  tenant: Tree;
  /** The default branch */
  desired: Tree;
  /**
   * Types left out of the comparison entirely: the tenant read failed, or their desired files are
   * invalid. Nothing is planned, adopted or reported for them, least of all deletes.
   */
  unreadTypes?: Iterable<string>;
  /** type -> file -> id for the tenant tree (the map the backup that produced it wrote) */
  idMap?: IdMap;
  /** type -> file -> id for the base tree (the map recorded with it); default: idMap */
  baseIdMap?: IdMap;
  /** Default 'adopt' */
  drift?: DriftPolicy;
  /** tenant-sync.yml delete-guard; defaults as in the configuration schema */
  deleteGuard?: DeleteGuardInput;
}

export interface ObjectResult {
  type: string;
  name: string;
  classification: Classification;
  /** For conflicts */
  conflict: ConflictKind | null;
  files: { base: string | null; tenant: string | null; desired: string | null };
  /** The tenant's id, when the tenant has the object and the id map knows it */
  id: string | null;
  /** What the plan does with the object (held deletes included) */
  planned: PlanAction | null;
  /** A delete held back by the delete guard */
  held: boolean;
  /** The default branch takes the tenant's version (drift policy adopt) */
  adopted: boolean;
}

/** One file operation on the default branch; apply every removal before any write (applyAdoption). */
export interface AdoptionOp {
  type: string;
  name: string;
  /** File name without .json */
  file: string;
  /** The tenant's version to write; null: remove the file */
  object: Record<string, unknown> | null;
}

/**
 * A change made in the tenant that the adoption leaves for a later sync: taking it would leave a
 * reference on the default branch naming a name it no longer has (objects of a type that was not
 * read, or whose own change is not adopted now, still name it).
 */
export interface HeldAdoption {
  type: string;
  /** The name the default branch has */
  name: string;
  /** The tenant's name for it; null: deleted in the tenant */
  tenantName: string | null;
  /**
   * still-named: objects on the default branch name it (`referrers`: 'Conditional access policies
   * ‘Block legacy auth’', or the title of a type that was not read); names-missing: its
   * tenant version names objects the default branch does not have (`referrers`: 'Named locations ‘HQ’')
   */
  reason: 'still-named' | 'names-missing';
  referrers: string[];
}

export interface Reconciliation {
  plan: Plan;
  /** Every object seen on the tenant or repository side, per type in dependency order, then by name */
  objects: ObjectResult[];
  /** What the default branch takes from the tenant (drift policy adopt): removals first, then writes */
  adoption: AdoptionOp[];
  /** Adoptions held back so that no reference on the default branch dangles (reported as drift, not taken) */
  heldAdoptions: HeldAdoption[];
  /**
   * Objects of the compared types whose tenant version differs from the recorded one and that the
   * default branch does not hold (yet): their recorded version stays the base of the next
   * comparison (see unsettled.ts). `adopt`: the adoption takes the tenant's version, after which
   * the object is settled (when the adoption does not happen, it stays unsettled).
   */
  unsettled: UnsettledObject[];
}

interface Entry {
  file: string;
  object: Record<string, unknown>;
  name: string;
  id: string | undefined;
}

type Intent =
  | { kind: 'write'; action: PlanAction; origin: PlanItem['origin'] }
  | { kind: 'adopt' }
  | { kind: 'none' };

/** One object across the three trees. Every field is always present (one hidden class). */
interface Rec {
  base: Entry | undefined;
  tenant: Entry | undefined;
  desired: Entry | undefined;
  excluded: boolean;
  classification: Classification;
  conflict: ConflictKind | null;
  intent: Intent;
  errors: PlanError[];
  item: PlanItem | undefined;
  held: boolean;
}

interface TypeState {
  def: ResourceDefinition;
  recs: Rec[];
  tenantCount: number;
  errors: PlanError[];
  /** Desired names -> how many desired objects carry them */
  desiredNames: Map<string, number>;
}

const NO_INTENT: Intent = { kind: 'none' };

export function reconcile(input: ReconcileInput): Reconciliation {
  const policy: DriftPolicy = input.drift ?? 'adopt';
  const guard = deleteGuardSchema.parse(input.deleteGuard ?? {});
  const unread = new Set(input.unreadTypes ?? []);
  const baseIds = input.baseIdMap ?? input.idMap;

  const states: TypeState[] = [];
  const skippedTypes: Plan['skippedTypes'] = [];
  const seen = new Set<string>();
  for (const def of input.defs) {
    if (seen.has(def.type)) continue;
    seen.add(def.type);
    const tenantList = entriesOf(input.tenant, def.type);
    const desiredList = entriesOf(input.desired, def.type);
    if (unread.has(def.type) || tenantList === undefined || desiredList === undefined) {
      skippedTypes.push({ type: def.type, title: def.title });
      continue;
    }
    const B = toEntries(def, entriesOf(input.base, def.type) ?? [], baseIds);
    const T = toEntries(def, tenantList, input.idMap);
    const D = toEntries(def, desiredList, undefined);
    states.push(compareType(def, B, T, D, policy));
  }
  const byType = new Map(states.map((s) => [s.def.type, s]));

  checkReferences(states, byType);
  for (const state of states) checkWrites(state);
  for (const state of states) settle(state);
  for (const state of states) if (state.def.kind === 'collection') checkNameCollisions(state);
  const heldAdoptions = policy === 'adopt' ? holdDanglingAdoptions(states, byType, input.defs, input.desired, unread) : [];
  const heldRecs = new Set(heldAdoptions.map((h) => h.rec));

  // Plan items, then the delete guard
  const items: PlanItem[] = [];
  const held: HeldDeletes[] = [];
  for (const state of states) {
    const typeItems = state.recs.flatMap((r) => (r.item ? [r.item] : []));
    typeItems.sort(compareItems);
    const deletes = typeItems.filter((i) => i.action === 'delete');
    const limit = Math.max(guard['min-count'], Math.floor(guard['max-share'] * state.tenantCount + 1e-9));
    if (!guard.allow && deletes.length > limit) {
      for (const rec of state.recs) if (rec.item?.action === 'delete') rec.held = true;
      const params = {
        count: deletes.length,
        total: state.tenantCount,
        title: state.def.title,
        type: state.def.type,
        limit,
        minCount: guard['min-count'],
        share: Math.round(guard['max-share'] * 10000) / 100,
      };
      held.push({
        code: 'DELETE_GUARD',
        type: state.def.type,
        count: deletes.length,
        limit,
        tenantObjects: state.tenantCount,
        maxShare: guard['max-share'],
        minCount: guard['min-count'],
        params,
        ...heldTexts(params),
        items: deletes,
      });
      items.push(...typeItems.filter((i) => i.action !== 'delete'));
    } else {
      items.push(...typeItems);
    }
  }

  const errors: PlanError[] = [];
  const conflicts: Conflict[] = [];
  const drift: DriftEntry[] = [];
  const objects: ObjectResult[] = [];
  const adoption: AdoptionOp[] = [];
  const adoptionWrites: AdoptionOp[] = [];
  const unsettled: UnsettledObject[] = [];
  let unchanged = 0;
  for (const state of states) {
    errors.push(...state.errors.sort(compareErrors));
    for (const rec of state.recs) {
      if (!rec.tenant && !rec.desired) continue;
      const name = recName(rec);
      if (rec.classification === 'unchanged') unchanged++;
      if (rec.classification === 'conflict') conflicts.push(conflictOf(state.def, rec, name));
      if (isDrift(rec.classification)) drift.push(driftOf(state.def, rec, name, heldRecs.has(rec) ? 'report' : policy));
      const u = unsettledOf(state.def, rec);
      if (u) unsettled.push(u);
      objects.push({
        type: state.def.type,
        name,
        classification: rec.classification,
        conflict: rec.conflict,
        files: { base: rec.base?.file ?? null, tenant: rec.tenant?.file ?? null, desired: rec.desired?.file ?? null },
        id: rec.tenant?.id ?? null,
        planned: rec.item?.action ?? null,
        held: rec.held,
        adopted: rec.intent.kind === 'adopt',
      });
    }
    const ops = adoptionOf(state);
    adoption.push(...ops.filter((o) => o.object === null));
    adoptionWrites.push(...ops.filter((o) => o.object !== null));
  }
  adoption.push(...adoptionWrites);

  const count = (action: PlanAction): number => items.filter((i) => i.action === action).length;
  const plan: Plan = {
    version: PLAN_VERSION,
    tenant: input.tenantName,
    ...(input.tenantId ? { tenantId: input.tenantId } : {}),
    driftPolicy: policy,
    types: states.map((s) => ({ type: s.def.type, title: s.def.title, workload: s.def.workload, tenantObjects: s.tenantCount })),
    skippedTypes,
    counts: {
      creates: count('create'),
      updates: count('update'),
      deletes: count('delete'),
      conflicts: conflicts.length,
      errors: errors.length,
      held: held.reduce((n, h) => n + h.count, 0),
      drift: drift.length,
      unchanged,
    },
    items,
    conflicts,
    errors,
    held,
    drift,
  };
  return { plan, objects, adoption, heldAdoptions: heldAdoptions.map(({ rec: _rec, ...h }) => h), unsettled };
}

// ---------------------------------------------------------------------------------------------
// Entries and matching

function nameOf(def: ResourceDefinition, object: Record<string, unknown>, file: string): string {
  if (def.kind === 'singleton') return def.singletonName ?? def.title;
  const value = object[def.nameField];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return file;
}

function toEntries(def: ResourceDefinition, list: readonly TreeEntry[], ids: IdMap | undefined): Entry[] {
  const entries = list.map(({ file, object }) => ({
    file,
    object,
    name: nameOf(def, object, file),
    id: idOf(ids, def.type, file),
  }));
  // Input order never matters; ties (the same file twice, which a tree should not hold) by content.
  return entries.sort(
    (a, b) =>
      compareCodePoints(a.file, b.file) ||
      compareCodePoints(a.name, b.name) ||
      compareCodePoints(canonicalJson(a.object), canonicalJson(b.object)),
  );
}

function countNames(entries: readonly Entry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
  return counts;
}

/** name -> the entry, for names that occur exactly once */
function uniqueByName(entries: readonly Entry[]): Map<string, Entry> {
  const counts = countNames(entries);
  const out = new Map<string, Entry>();
  for (const e of entries) if (counts.get(e.name) === 1) out.set(e.name, e);
  return out;
}

const NO_ERRORS: PlanError[] = [];

function newRec(base: Entry | undefined, tenant: Entry | undefined, desired: Entry | undefined): Rec {
  return {
    base,
    tenant,
    desired,
    excluded: false,
    classification: 'unchanged',
    conflict: null,
    intent: NO_INTENT,
    errors: NO_ERRORS,
    item: undefined,
    held: false,
  };
}

function compareType(def: ResourceDefinition, B: Entry[], T: Entry[], D: Entry[], policy: DriftPolicy): TypeState {
  const recs: Rec[] = [];
  const recOfBase = new Map<Entry, Rec>();
  const tenantNames = countNames(T);
  const desiredNames = countNames(D);

  // 1. tenant <-> base by id
  const baseById = new Map<string, Entry>();
  for (const b of B) if (b.id !== undefined && !baseById.has(b.id)) baseById.set(b.id, b);
  const unmatchedT: Entry[] = [];
  for (const t of T) {
    const b = t.id === undefined ? undefined : baseById.get(t.id);
    if (b && !recOfBase.has(b)) {
      const rec = newRec(b, t, undefined);
      recOfBase.set(b, rec);
      recs.push(rec);
    } else unmatchedT.push(t);
  }
  // 2. by name, among what is left
  const freeBase = uniqueByName(B.filter((b) => !recOfBase.has(b)));
  for (const t of unmatchedT) {
    const b = tenantNames.get(t.name) === 1 ? freeBase.get(t.name) : undefined;
    if (b && !recOfBase.has(b)) {
      const rec = newRec(b, t, undefined);
      recOfBase.set(b, rec);
      recs.push(rec);
    } else recs.push(newRec(undefined, t, undefined));
  }
  for (const b of B) {
    if (recOfBase.has(b)) continue;
    const rec = newRec(b, undefined, undefined);
    recOfBase.set(b, rec);
    recs.push(rec);
  }

  // 3. desired <-> base by name, then by file
  const baseByName = uniqueByName(B);
  const baseByFile = new Map<string, Entry>();
  for (const b of B) if (!baseByFile.has(b.file)) baseByFile.set(b.file, b);
  let left: Entry[] = [];
  for (const d of D) {
    const b = desiredNames.get(d.name) === 1 ? baseByName.get(d.name) : undefined;
    const rec = b && recOfBase.get(b);
    if (rec && !rec.desired) rec.desired = d;
    else left.push(d);
  }
  left = left.filter((d) => {
    const b = baseByFile.get(d.file);
    const rec = b && recOfBase.get(b);
    if (rec && !rec.desired) {
      rec.desired = d;
      return false;
    }
    return true;
  });

  // 3b. desired <-> an object's tenant name, when the recorded version has another name and file:
  // the repository took the tenant's rename (a revert, an adoption) while that object was not
  // settled, so its base is still the version before the rename.
  const renamedInTenant = new Map<string, Rec>();
  for (const r of recs) {
    if (r.base && r.tenant && !r.desired && r.tenant.name !== r.base.name && tenantNames.get(r.tenant.name) === 1) renamedInTenant.set(r.tenant.name, r);
  }
  if (renamedInTenant.size > 0) {
    left = left.filter((d) => {
      const rec = desiredNames.get(d.name) === 1 ? renamedInTenant.get(d.name) : undefined;
      if (!rec || rec.desired) return true;
      rec.desired = d;
      return false;
    });
  }

  // 4. desired <-> objects new in the tenant, by name only: without a recorded version, a shared
  // file name is no evidence that two differently named objects are one.
  const tenantOnlyByName = new Map<string, Rec>();
  for (const r of recs) {
    if (!r.base && r.tenant && tenantNames.get(r.tenant.name) === 1) tenantOnlyByName.set(r.tenant.name, r);
  }
  for (const d of left) {
    const rec = desiredNames.get(d.name) === 1 ? tenantOnlyByName.get(d.name) : undefined;
    if (rec && !rec.desired) rec.desired = d;
    else recs.push(newRec(undefined, undefined, d));
  }

  // Duplicate names: errors, and every object carrying such a name on any side is left out.
  const errors: PlanError[] = [];
  const excludedNames = new Set<string>();
  for (const [side, entries, counts] of [
    ['tenant', T, tenantNames],
    ['desired', D, desiredNames],
  ] as const) {
    for (const [name, n] of counts) {
      if (n < 2) continue;
      excludedNames.add(name);
      const files = entries.filter((e) => e.name === name).map((e) => e.file);
      errors.push(
        makeError('duplicate-name', def, name, files, side, {
          count: n,
          title: def.title,
          name,
          files: files.map((f) => `${f}.json`).join(', '),
        }),
      );
    }
  }
  for (const rec of recs) {
    if (
      excludedNames.size > 0 &&
      ((rec.base && excludedNames.has(rec.base.name)) ||
        (rec.tenant && excludedNames.has(rec.tenant.name)) ||
        (rec.desired && excludedNames.has(rec.desired.name)))
    ) {
      rec.excluded = true;
      rec.classification = 'error';
    } else classify(rec, policy);
  }

  recs.sort((a, b) => compareCodePoints(recName(a), recName(b)) || compareCodePoints(recFile(a), recFile(b)));
  return { def, recs, tenantCount: T.length, errors, desiredNames };
}

function recName(rec: Rec): string {
  return (rec.desired ?? rec.tenant ?? rec.base)!.name;
}

function recFile(rec: Rec): string {
  return (rec.desired ?? rec.tenant ?? rec.base)!.file;
}

// ---------------------------------------------------------------------------------------------
// Classification

/** Intents, made once: classify runs for every object. */
const ADOPT: Intent = { kind: 'adopt' };
const INTENTS = {
  repository: {
    create: { kind: 'write', action: 'create', origin: 'repository' },
    update: { kind: 'write', action: 'update', origin: 'repository' },
    delete: { kind: 'write', action: 'delete', origin: 'repository' },
  },
  remediation: {
    create: { kind: 'write', action: 'create', origin: 'remediation' },
    update: { kind: 'write', action: 'update', origin: 'remediation' },
    delete: { kind: 'write', action: 'delete', origin: 'remediation' },
  },
} as const satisfies Record<PlanItem['origin'], Record<PlanAction, Intent>>;

function driftIntent(policy: DriftPolicy, action: PlanAction): Intent {
  return policy === 'adopt' ? ADOPT : policy === 'remediate' ? INTENTS.remediation[action] : NO_INTENT;
}

function setState(rec: Rec, classification: Classification, intent: Intent, conflict: ConflictKind | null): void {
  rec.classification = classification;
  rec.intent = intent;
  rec.conflict = conflict;
}

function classify(rec: Rec, policy: DriftPolicy): void {
  const { base: b, tenant: t, desired: d } = rec;
  if (b && t && d) {
    const tenantSame = deepEqual(t.object, b.object);
    const desiredSame = deepEqual(d.object, b.object);
    if (tenantSame && desiredSame) setState(rec, 'unchanged', NO_INTENT, null);
    else if (desiredSame) setState(rec, 'drift', driftIntent(policy, 'update'), null);
    else if (tenantSame) setState(rec, 'change', INTENTS.repository.update, null);
    else if (deepEqual(t.object, d.object)) setState(rec, 'unchanged', NO_INTENT, null);
    else setState(rec, 'conflict', NO_INTENT, 'both-changed');
  } else if (b && d) {
    if (deepEqual(d.object, b.object)) setState(rec, 'deleted-in-tenant', driftIntent(policy, 'create'), null);
    else setState(rec, 'conflict', NO_INTENT, 'deleted-in-tenant-changed-in-repo');
  } else if (b && t) {
    if (deepEqual(t.object, b.object)) setState(rec, 'deleted-in-repo', INTENTS.repository.delete, null);
    else setState(rec, 'conflict', NO_INTENT, 'changed-in-tenant-deleted-in-repo');
  } else if (t && d) {
    if (deepEqual(t.object, d.object)) setState(rec, 'unchanged', NO_INTENT, null);
    else setState(rec, 'conflict', NO_INTENT, 'created-in-both');
  } else if (t) {
    setState(rec, 'created-in-tenant', driftIntent(policy, 'delete'), null);
  } else if (d) {
    setState(rec, 'created-in-repo', INTENTS.repository.create, null);
  } else {
    setState(rec, 'unchanged', NO_INTENT, null);
  }
}

function isDrift(c: Classification): boolean {
  return c === 'drift' || c === 'created-in-tenant' || c === 'deleted-in-tenant';
}

// ---------------------------------------------------------------------------------------------
// Checks

const CODES: Record<PlanErrorKind, PlanErrorCode> = {
  'duplicate-name': 'DUPLICATE_NAME',
  'missing-reference': 'REFERENCE_UNRESOLVED',
  'ambiguous-reference': 'REFERENCE_UNRESOLVED',
  'still-referenced': 'REFERENCE_UNRESOLVED',
  'read-only': 'READ_ONLY_OBJECT',
  'not-writable': 'WRITE_NOT_SUPPORTED',
  'cannot-create': 'WRITE_NOT_SUPPORTED',
  'cannot-delete': 'WRITE_NOT_SUPPORTED',
  'type-changed': 'WRITE_NOT_SUPPORTED',
};

function makeError(
  kind: PlanErrorKind,
  def: ResourceDefinition,
  name: string | null,
  files: string[],
  side: PlanError['side'],
  params: Record<string, string | number>,
): PlanError {
  return { code: CODES[kind], kind, type: def.type, name, files, side, params, ...errorTexts(kind, side, params) };
}

function fail(state: TypeState, rec: Rec, error: PlanError): void {
  if (rec.errors === NO_ERRORS) rec.errors = [];
  rec.errors.push(error);
  state.errors.push(error);
}

/**
 * References by name in the desired objects must name exactly one object of the target type in the
 * desired tree. Targets that are not compared here (lookups such as groups and users, types not
 * enabled or not read) cannot be checked and are skipped. An object deleted in the repository that
 * desired objects still name is an error too.
 */
function checkReferences(states: readonly TypeState[], byType: ReadonlyMap<string, TypeState>): void {
  /** target type -> missing name -> referrers */
  const missing = new Map<string, Map<string, string[]>>();
  for (const state of states) {
    const refs = state.def.references
      .filter((r) => byType.has(r.target))
      .map((ref) => ({ ref, tokens: parsePath(ref.path), keywords: new Set(ref.keywords) }));
    if (refs.length === 0) continue;
    for (const rec of state.recs) {
      const d = rec.desired;
      if (!d || rec.excluded) continue;
      for (const { ref, tokens, keywords } of refs) {
        const target = byType.get(ref.target)!;
        for (const visit of resolvePath(d.object, tokens)) {
          const value = visit.kind === 'property' ? visit.container[visit.key] : visit.container[visit.index];
          if (typeof value !== 'string' || keywords.has(value)) continue;
          const n = target.desiredNames.get(value) ?? 0;
          if (n === 1) continue;
          fail(
            state,
            rec,
            makeError(n === 0 ? 'missing-reference' : 'ambiguous-reference', state.def, d.name, [d.file], 'desired', {
              file: `${d.file}.json`,
              path: visit.at,
              target: ref.target,
              targetTitle: target.def.title,
              value,
              title: state.def.title,
              name: d.name,
            }),
          );
          if (n === 0) {
            let names = missing.get(ref.target);
            if (!names) missing.set(ref.target, (names = new Map()));
            const referrers = names.get(value) ?? [];
            referrers.push(`${state.def.title} \u2018${d.name}\u2019`);
            names.set(value, referrers);
          }
        }
      }
    }
  }
  for (const [type, names] of missing) {
    const state = byType.get(type)!;
    for (const rec of state.recs) {
      if (rec.excluded || !rec.tenant || rec.intent.kind !== 'write' || rec.intent.action !== 'delete') continue;
      const referrers = names.get(rec.tenant.name);
      if (!referrers) continue;
      const unique = [...new Set(referrers)].sort(compareCodePoints);
      fail(
        state,
        rec,
        makeError('still-referenced', state.def, rec.tenant.name, [rec.tenant.file], 'desired', {
          title: state.def.title,
          name: rec.tenant.name,
          referrers: unique.join(', '),
        }),
      );
    }
  }
}

/** Built-in objects and types or operations Graph does not offer are never planned for write. */
function checkWrites(state: TypeState): void {
  const { def } = state;
  for (const rec of state.recs) {
    if (rec.excluded || rec.intent.kind !== 'write') continue;
    const { action } = rec.intent;
    const name = recName(rec);
    const files = [...new Set([rec.desired?.file, rec.tenant?.file].filter((f): f is string => f !== undefined))];
    const params = { title: def.title, name, type: def.type };
    const readOnly = [rec.tenant, rec.desired, rec.base].some((e) => e !== undefined && isReadOnlyObject(def, e.object));
    if (readOnly) fail(state, rec, makeError('read-only', def, name, files, 'desired', params));
    else if (!def.write) fail(state, rec, makeError('not-writable', def, name, files, 'desired', params));
    else if (action === 'create' && (def.kind === 'singleton' || !def.write.create)) {
      fail(state, rec, makeError('cannot-create', def, name, files, 'desired', params));
    } else if (action === 'delete' && (def.kind === 'singleton' || !def.write.delete)) {
      fail(state, rec, makeError('cannot-delete', def, name, files, 'desired', params));
    } else if (action === 'update' && rec.tenant && rec.desired && odataType(rec.tenant.object) !== odataType(rec.desired.object)) {
      // Graph keeps an object's kind for life: a PATCH that changes it is refused
      fail(state, rec, makeError('type-changed', def, name, files, 'desired', { ...params, from: odataType(rec.tenant.object) ?? '—', to: odataType(rec.desired.object) ?? '—' }));
    }
  }
}

function odataType(object: Record<string, unknown>): string | undefined {
  const value = object['@odata.type'];
  return typeof value === 'string' ? value : undefined;
}

/** Objects with errors take no action; the others get their plan item. */
function settle(state: TypeState): void {
  for (const rec of state.recs) {
    if (rec.excluded) continue;
    if (rec.errors.length > 0) {
      rec.classification = 'error';
      rec.intent = NO_INTENT;
      rec.conflict = null;
      continue;
    }
    if (rec.intent.kind === 'write') rec.item = itemOf(state.def, rec, rec.intent.action, rec.intent.origin);
  }
}

/**
 * A create or rename must not give an object a name another object of the type keeps in the
 * tenant: such a write becomes a conflict. Repeated until stable (dropping a rename keeps the old
 * name, which may in turn be wanted by another rename).
 */
function checkNameCollisions(state: TypeState): void {
  const introduces = (rec: Rec): boolean =>
    rec.item !== undefined &&
    (rec.item.action === 'create' || (rec.item.action === 'update' && rec.desired!.name !== rec.tenant!.name));
  for (;;) {
    const holders = new Map<string, Rec[]>();
    for (const rec of state.recs) {
      const name =
        rec.item?.action === 'delete' ? undefined : rec.item ? rec.desired!.name : rec.tenant?.name;
      if (name === undefined) continue;
      const list = holders.get(name);
      if (list) list.push(rec);
      else holders.set(name, [rec]);
    }
    let changed = false;
    for (const list of holders.values()) {
      if (list.length < 2) continue;
      for (const rec of list) {
        if (!introduces(rec)) continue;
        rec.item = undefined;
        rec.intent = NO_INTENT;
        rec.classification = 'conflict';
        rec.conflict = 'name-taken';
        changed = true;
      }
    }
    if (!changed) return;
  }
}

/**
 * An adoption never leaves a reference on the default branch dangling. Adopting a rename or a
 * deletion takes a name away from the default branch; when an object there still names it
 * afterwards (its type was not read, so its tenant version is unknown; or its own change is not
 * adopted in this sync: a conflict, an error, another held adoption), the adoption waits: the
 * change is reported as drift and the object keeps its recorded version, so that a later sync,
 * reading both, adopts them together. Repeated until stable.
 */
function holdDanglingAdoptions(
  states: readonly TypeState[],
  byType: ReadonlyMap<string, TypeState>,
  defs: readonly ResourceDefinition[],
  desired: Tree,
  unread: ReadonlySet<string>,
): (HeldAdoption & { rec: Rec })[] {
  const held: (HeldAdoption & { rec: Rec })[] = [];
  const referring = [...new Map(defs.map((d) => [d.type, d])).values()]
    .map((def) => ({ def, refs: def.references.filter((r) => byType.has(r.target)).map((ref) => ({ ref, tokens: parsePath(ref.path), keywords: new Set(ref.keywords) })) }))
    .filter((r) => r.refs.length > 0);
  const hold = (rec: Rec, state: TypeState, referrer: string, reason: HeldAdoption['reason']): void => {
    const existing = held.find((h) => h.rec === rec && h.reason === reason);
    if (existing) {
      if (!existing.referrers.includes(referrer)) existing.referrers.push(referrer);
      return;
    }
    rec.intent = NO_INTENT;
    held.push({ type: state.def.type, name: (rec.desired ?? rec.tenant)!.name, tenantName: rec.tenant?.name ?? null, reason, referrers: [referrer], rec });
  };
  for (;;) {
    /** target type -> name the adoption takes away from the default branch -> the object */
    const removed = new Map<string, Map<string, Rec>>();
    /** target type -> names the default branch has after the adoption */
    const after = new Map<string, Set<string>>();
    for (const state of states) {
      const names = new Set<string>();
      const gone = new Map<string, Rec>();
      for (const rec of state.recs) {
        const adopted = rec.intent.kind === 'adopt';
        const name = adopted ? rec.tenant?.name : rec.desired?.name;
        if (name !== undefined) names.add(name);
        if (adopted && rec.desired && rec.tenant?.name !== rec.desired.name) gone.set(rec.desired.name, rec);
      }
      for (const name of names) gone.delete(name);
      after.set(state.def.type, names);
      if (gone.size > 0) removed.set(state.def.type, gone);
    }
    let changed = false;
    for (const { def, refs } of referring) {
      const state = byType.get(def.type);
      // An adopted object of the referring type must not name what the default branch does not
      // have after the adoption (a rename of the target that is not adopted: a conflict, held)
      if (state) {
        for (const rec of state.recs) {
          if (rec.intent.kind !== 'adopt' || !rec.tenant) continue;
          for (const { ref, tokens, keywords } of refs) {
            const names = after.get(ref.target);
            if (!names) continue;
            const before = new Set(rec.desired ? namesAt(rec.desired.object, tokens, keywords) : []);
            const dangling = namesAt(rec.tenant.object, tokens, keywords).find((v) => !names.has(v) && !before.has(v));
            if (dangling === undefined) continue;
            hold(rec, state, `${byType.get(ref.target)!.def.title} ‘${dangling}’`, 'names-missing');
            changed = true;
            break;
          }
        }
      }
      const relevant = refs.filter((r) => removed.has(r.ref.target));
      if (relevant.length === 0) continue;
      // The default branch's objects of the referring type after the adoption, with a label each
      let objects: { object: Record<string, unknown>; label: string }[];
      if (state) {
        objects = state.recs.flatMap((rec) => {
          const e = rec.intent.kind === 'adopt' ? rec.tenant : rec.desired;
          return e ? [{ object: e.object, label: `${def.title} \u2018${e.name}\u2019` }] : [];
        });
      } else {
        const list = entriesOf(desired, def.type);
        if (list === undefined) {
          // Not read and its files not readable either: any name it may use is held
          if (!unread.has(def.type)) continue;
          for (const { ref } of relevant) {
            for (const rec of removed.get(ref.target)!.values()) hold(rec, byType.get(ref.target)!, def.title, 'still-named');
            changed = true;
          }
          continue;
        }
        objects = list.map((e) => ({ object: e.object, label: `${def.title} \u2018${nameOf(def, e.object, e.file)}\u2019` }));
      }
      for (const { ref, tokens, keywords } of relevant) {
        const gone = removed.get(ref.target) ?? new Map<string, Rec>();
        for (const { object, label } of objects) {
          for (const visit of resolvePath(object, tokens)) {
            const value = visit.kind === 'property' ? visit.container[visit.key] : visit.container[visit.index];
            if (typeof value !== 'string' || keywords.has(value)) continue;
            const rec = gone.get(value);
            if (!rec) continue;
            hold(rec, byType.get(ref.target)!, label, 'still-named');
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (const h of held) h.referrers.sort(compareCodePoints);
  return held;
}

/** The names a reference path holds in an object (keywords left out) */
function namesAt(object: Record<string, unknown>, tokens: ReturnType<typeof parsePath>, keywords: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const visit of resolvePath(object, tokens)) {
    const value = visit.kind === 'property' ? visit.container[visit.key] : visit.container[visit.index];
    if (typeof value === 'string' && !keywords.has(value)) out.push(value);
  }
  return out;
}

/**
 * An object whose tenant version differs from the recorded one (presence included) while the
 * default branch does not hold that version: not settled. Its recorded version stays the base.
 */
function unsettledOf(def: ResourceDefinition, rec: Rec): UnsettledObject | undefined {
  const same = (a: Entry | undefined, b: Entry | undefined): boolean => (a === undefined ? b === undefined : b !== undefined && deepEqual(a.object, b.object));
  if (same(rec.tenant, rec.base) || same(rec.tenant, rec.desired)) return undefined;
  return {
    type: def.type,
    id: rec.tenant?.id ?? rec.base?.id ?? null,
    file: rec.tenant?.file ?? null,
    base: rec.base ? { file: rec.base.file, object: rec.base.object } : null,
    adopt: rec.intent.kind === 'adopt',
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function itemOf(def: ResourceDefinition, rec: Rec, action: PlanAction, origin: PlanItem['origin']): PlanItem {
  const t = rec.tenant;
  const d = rec.desired;
  if (action === 'create') {
    return {
      action,
      origin,
      type: def.type,
      name: d!.name,
      file: d!.file,
      changes: diffObjects(null, d!.object),
      id: null,
      tenantFile: null,
      tenantHash: null,
      before: null,
      after: d!.object,
    };
  }
  if (action === 'update') {
    return {
      action,
      origin,
      type: def.type,
      name: d!.name,
      ...(t!.name !== d!.name ? { previousName: t!.name } : {}),
      file: d!.file,
      changes: diffObjects(t!.object, d!.object),
      id: t!.id ?? null,
      tenantFile: t!.file,
      tenantHash: objectHash(t!.object),
      before: t!.object,
      after: d!.object,
    };
  }
  return {
    action,
    origin,
    type: def.type,
    name: t!.name,
    file: t!.file,
    changes: diffObjects(t!.object, null),
    id: t!.id ?? null,
    tenantFile: t!.file,
    tenantHash: objectHash(t!.object),
    before: t!.object,
    after: null,
  };
}

const ACTION_ORDER: Record<PlanAction, number> = { create: 0, update: 1, delete: 2 };

function compareItems(a: PlanItem, b: PlanItem): number {
  return ACTION_ORDER[a.action] - ACTION_ORDER[b.action] || compareCodePoints(a.name, b.name) || compareCodePoints(a.file, b.file);
}

function compareErrors(a: PlanError, b: PlanError): number {
  return (
    compareCodePoints(a.name ?? '', b.name ?? '') ||
    compareCodePoints(a.kind, b.kind) ||
    compareCodePoints(a.side, b.side) ||
    compareCodePoints(a.files.join('\n'), b.files.join('\n')) ||
    compareCodePoints(a.message, b.message)
  );
}

function conflictOf(def: ResourceDefinition, rec: Rec, name: string): Conflict {
  const { base: b, tenant: t, desired: d } = rec;
  const kind = rec.conflict!;
  let tenantChanges: PropertyChange[] = [];
  let repoChanges: PropertyChange[] = [];
  if (kind === 'name-taken') {
    repoChanges = diffObjects(t?.object ?? null, d!.object);
  } else if (b) {
    if (t) tenantChanges = diffObjects(b.object, t.object);
    if (d) repoChanges = diffObjects(b.object, d.object);
  } else if (t && d) {
    repoChanges = diffObjects(t.object, d.object);
  }
  return {
    kind,
    type: def.type,
    name,
    files: { base: b?.file ?? null, tenant: t?.file ?? null, desired: d?.file ?? null },
    id: t?.id ?? null,
    tenantHash: t ? objectHash(t.object) : null,
    tenantChanges,
    repoChanges,
    message: format(`conflict.${kind}`),
    fix: format('conflict.fix'),
  };
}

function driftOf(def: ResourceDefinition, rec: Rec, name: string, policy: DriftPolicy): DriftEntry {
  const kind = rec.classification === 'drift' ? 'changed' : rec.classification === 'created-in-tenant' ? 'created' : 'deleted';
  return {
    type: def.type,
    name,
    kind,
    action: policy,
    file: rec.desired?.file ?? null,
    tenantFile: rec.tenant?.file ?? null,
    changes: kind === 'changed' ? diffObjects(rec.base!.object, rec.tenant!.object) : [],
  };
}

/**
 * The default branch takes the tenant's version of adopted objects: the tenant's file is written
 * and the repository's file removed when it is another one. A file name that another object in the
 * repository already uses (even only in case) gets a '~hash' suffix instead.
 */
function adoptionOf(state: TypeState): AdoptionOp[] {
  const { def } = state;
  const adopted = state.recs.filter((r) => r.intent.kind === 'adopt');
  if (adopted.length === 0) return [];
  const removals: AdoptionOp[] = [];
  const writes: AdoptionOp[] = [];
  const occupied = new Map<string, Rec>();
  for (const rec of state.recs) if (rec.desired) occupied.set(fileNameFoldKey(rec.desired.file), rec);
  for (const rec of adopted) {
    const d = rec.desired;
    const t = rec.tenant;
    if (d && (!t || d.file !== t.file)) {
      removals.push({ type: def.type, name: d.name, file: d.file, object: null });
      occupied.delete(fileNameFoldKey(d.file));
    }
  }
  for (const rec of adopted) {
    const t = rec.tenant;
    if (!t) continue;
    let file = t.file;
    for (let round = 0; ; round++) {
      const holder = occupied.get(fileNameFoldKey(file));
      if (holder === undefined || holder === rec) break;
      file = `${truncateUtf8(t.file, MAX_FILE_NAME_BYTES - 9)}~${shortHash(`${t.name}\n${round}`)}`;
    }
    occupied.set(fileNameFoldKey(file), rec);
    writes.push({ type: def.type, name: t.name, file, object: t.object });
  }
  const byFile = (a: AdoptionOp, b: AdoptionOp): number => compareCodePoints(a.file, b.file);
  return [...removals.sort(byFile), ...writes.sort(byFile)];
}

/**
 * The desired tree after the adoption: removals first, then writes. Pure; types the adoption does
 * not touch keep their lists.
 */
export function applyAdoption(desired: Tree, adoption: readonly AdoptionOp[]): Tree {
  const out: Tree = { ...desired };
  const touched = new Map<string, Map<string, TreeEntry>>();
  const listOf = (type: string): Map<string, TreeEntry> => {
    let files = touched.get(type);
    if (!files) {
      files = new Map((hasOwn(out, type) ? out[type]! : []).map((e) => [e.file, e]));
      touched.set(type, files);
    }
    return files;
  };
  for (const op of adoption) if (op.object === null) listOf(op.type).delete(op.file);
  for (const op of adoption) if (op.object !== null) listOf(op.type).set(op.file, { file: op.file, object: op.object });
  for (const [type, files] of touched) {
    out[type] = [...files.values()].sort((a, b) => compareCodePoints(a.file, b.file));
  }
  return out;
}
