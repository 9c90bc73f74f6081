import schemaFile from './generated/graphSchema.json' with { type: 'json' };
import type { ApiVersion, ResourceDefinition } from './definition.js';

/**
 * What Microsoft Graph has for a type: its properties and the coarse kind of each value, read from
 * src/resources/generated/graphSchema.json (written by scripts/graph-schema.ts from Microsoft's
 * published type descriptions). `checkObject` checks a file's object against its definition's
 * graphType: property names (with a "did you mean"), value kinds (a string where Graph has a
 * number, ...), enum values and @odata.type. Pure: no I/O besides the bundled JSON.
 *
 * Kinds: 'string', 'boolean', 'number', 'any', 'enum:<enum>', 'object:<type>', 'array:<kind>'.
 * null is accepted for every kind (in Graph a null is a value: PATCH with null clears a property).
 */

interface SchemaType {
  base?: string;
  properties: Record<string, string>;
}

interface SchemaVersion {
  types: Record<string, SchemaType>;
  enums: Record<string, string[]>;
}

interface SchemaFile {
  versions: Record<ApiVersion, SchemaVersion>;
}

const GRAPH_PREFIX = 'microsoft.graph.';

/** One Graph type with what it inherits. */
export interface GraphType {
  /** Graph's name without 'microsoft.graph.': 'conditionalAccessPolicy' */
  name: string;
  base?: string;
  /** Own and inherited properties -> kind */
  properties: ReadonlyMap<string, string>;
  /** Types derived from it, at any depth, sorted */
  derived: readonly string[];
}

export class GraphSchema {
  private readonly resolved = new Map<string, GraphType>();
  private readonly children = new Map<string, string[]>();

  constructor(
    readonly api: ApiVersion,
    private readonly version: SchemaVersion,
  ) {
    for (const [name, type] of Object.entries(version.types)) {
      if (type.base === undefined) continue;
      const list = this.children.get(type.base) ?? [];
      list.push(name);
      this.children.set(type.base, list);
    }
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.version.types, name);
  }

  type(name: string): GraphType | undefined {
    const cached = this.resolved.get(name);
    if (cached) return cached;
    if (!this.has(name)) return undefined;
    const own = this.version.types[name]!;
    const properties = new Map<string, string>();
    const base = own.base !== undefined ? this.type(own.base) : undefined;
    if (base) for (const [key, kind] of base.properties) properties.set(key, kind);
    for (const [key, kind] of Object.entries(own.properties)) properties.set(key, kind);
    const derived: string[] = [];
    const walk = (n: string): void => {
      for (const child of this.children.get(n) ?? []) {
        derived.push(child);
        walk(child);
      }
    };
    walk(name);
    derived.sort();
    const type: GraphType = { name, ...(own.base !== undefined ? { base: own.base } : {}), properties, derived };
    this.resolved.set(name, type);
    return type;
  }

  /** The values of a string enum, undefined when unknown */
  enumValues(name: string): readonly string[] | undefined {
    return Object.prototype.hasOwnProperty.call(this.version.enums, name) ? this.version.enums[name] : undefined;
  }

  /** True when `name` is `ancestor` or derives from it */
  isA(name: string, ancestor: string): boolean {
    for (let t = this.type(name); t; t = t.base !== undefined ? this.type(t.base) : undefined) {
      if (t.name === ancestor) return true;
    }
    return false;
  }
}

const schemas = new Map<ApiVersion, GraphSchema>();

/** The Graph types of one api version (v1.0 or beta) */
export function graphSchema(api: ApiVersion): GraphSchema {
  let schema = schemas.get(api);
  if (!schema) {
    schema = new GraphSchema(api, (schemaFile as unknown as SchemaFile).versions[api]);
    schemas.set(api, schema);
  }
  return schema;
}

/** 'microsoft.graph.namedLocation', '#microsoft.graph.namedLocation' -> 'namedLocation' */
export function graphTypeName(odataType: string): string {
  const bare = odataType.startsWith('#') ? odataType.slice(1) : odataType;
  return bare.startsWith(GRAPH_PREFIX) ? bare.slice(GRAPH_PREFIX.length) : bare;
}

// ---------------------------------------------------------------------------------------------
// Checking an object

export type SchemaIssueKind = 'unknown-property' | 'wrong-kind' | 'unknown-type' | 'unknown-value';

export interface SchemaIssue {
  kind: SchemaIssueKind;
  /** Where in the object: ['conditions', 'users', 'includeGroups', 1]; the key itself for an unknown property */
  path: (string | number)[];
  message: string;
  fix: string;
}

/** 'conditions.users.includeGroups[1]' */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

/** An annotation ('@odata.type', 'assignments@odata.context'): not a property, never checked as one. */
function isAnnotation(key: string): boolean {
  return key.includes('@');
}

/**
 * The problems of `object` (a file's content) against its definition's Graph type, in the order of
 * the object's keys. A definition without graphType, or one the schema does not describe, is not
 * checked (no problems).
 *
 * A v1.0 definition falls back on the beta description: Graph's v1.0 endpoints return properties,
 * types and enum values that only beta describes (a new authentication method, a new condition),
 * and a file holds what Graph returned.
 */
export function checkObject(def: ResourceDefinition, object: Record<string, unknown>): SchemaIssue[] {
  if (!def.graphType) return [];
  const schemas = def.api === 'v1.0' ? [graphSchema('v1.0'), graphSchema('beta')] : [graphSchema('beta')];
  const root = graphTypeName(def.graphType);
  const first = schemas.find((s) => s.has(root));
  if (!first) return [];
  const issues: SchemaIssue[] = [];
  new Checker(schemas, issues, def).object(object, root, [], first);
  return issues;
}

/** The types an object may be, in one schema */
interface Candidates {
  schema: GraphSchema;
  types: GraphType[];
}

class Checker {
  constructor(
    private readonly schemas: readonly GraphSchema[],
    private readonly issues: SchemaIssue[],
    private readonly def: ResourceDefinition,
  ) {}

  /** The definition's documentation page when `declared` is its own type */
  private docsOf(declared: string): string | undefined {
    return declared === graphTypeName(this.def.graphType ?? '') ? this.def.docs : undefined;
  }

  /** The schemas from `schema` on: the one in use, then the fallbacks after it. */
  private from(schema: GraphSchema): readonly GraphSchema[] {
    const i = this.schemas.indexOf(schema);
    return i < 0 ? [schema] : this.schemas.slice(i);
  }

  value(value: unknown, kind: string, path: (string | number)[], owner: string, schema: GraphSchema): void {
    if (value === null || value === undefined || kind === 'any') return;
    if (kind.startsWith('array:')) {
      if (!Array.isArray(value)) return this.wrongKind(value, kind, path, owner);
      const element = kind.slice('array:'.length);
      value.forEach((item, i) => this.value(item, element, [...path, i], owner, schema));
      return;
    }
    if (kind.startsWith('object:')) {
      if (typeof value !== 'object' || Array.isArray(value)) return this.wrongKind(value, kind, path, owner);
      const type = kind.slice('object:'.length);
      // A type the schema does not describe is not checked inside.
      if (schema.has(type)) this.object(value as Record<string, unknown>, type, path, schema);
      return;
    }
    if (kind.startsWith('enum:')) {
      if (typeof value !== 'string') return this.wrongKind(value, kind, path, owner);
      return this.enumValue(value, kind.slice('enum:'.length), path, owner, schema);
    }
    if (typeof value !== kind) this.wrongKind(value, kind, path, owner);
  }

  /** An object whose declared type is `declared`; its @odata.type, when there is one, picks the type. */
  object(value: Record<string, unknown>, declared: string, path: (string | number)[], schema: GraphSchema): void {
    const odataType = value['@odata.type'];
    const chain: Candidates[] = [];
    if (typeof odataType === 'string' && odataType !== '') {
      const name = graphTypeName(odataType);
      const found = this.from(schema).filter((s) => s.has(name) && s.has(declared) && s.isA(name, declared));
      if (found.length === 0) {
        this.unknownType(odataType, declared, path, schema);
        return;
      }
      for (const s of found) chain.push({ schema: s, types: [s.type(name)!] });
    } else if (odataType !== undefined && odataType !== null) {
      this.issues.push({
        kind: 'wrong-kind',
        path: [...path, '@odata.type'],
        message: `${label([...path, '@odata.type'])} should be a string, not ${describe(odataType)}`,
        fix: `Write the type as a string, e.g. "#${GRAPH_PREFIX}${declared}".`,
      });
      return;
    } else {
      // No @odata.type: the object may be of the declared type or of any type derived from it.
      for (const s of this.from(schema)) {
        const type = s.type(declared);
        if (type) chain.push({ schema: s, types: [type, ...type.derived.map((d) => s.type(d)!)] });
      }
    }
    const shown = chain[0]!.types[0]!.name;
    for (const key of Object.keys(value)) {
      if (isAnnotation(key)) continue;
      const item = value[key];
      // The first schema that declares the property decides its kind.
      const declaring = chain
        .map(({ schema: s, types }) => ({ s, kinds: [...new Set(types.flatMap((t) => (t.properties.has(key) ? [t.properties.get(key)!] : [])))] }))
        .find((c) => c.kinds.length > 0);
      if (!declaring) {
        this.unknownProperty(key, shown, chain, declared, path);
        continue;
      }
      // Several candidate types may declare it differently: any of their kinds will do.
      const kind = declaring.kinds.find((k) => this.fits(item, k)) ?? declaring.kinds[0]!;
      this.value(item, kind, [...path, key], shown, declaring.s);
    }
  }

  /** True when the value is of the kind at the top (the content is checked on its own). */
  private fits(value: unknown, kind: string): boolean {
    if (value === null || kind === 'any') return true;
    if (kind.startsWith('array:')) return Array.isArray(value);
    if (kind.startsWith('object:')) return typeof value === 'object' && !Array.isArray(value);
    if (kind.startsWith('enum:')) return typeof value === 'string';
    return typeof value === kind;
  }

  /** The declared type and every type derived from it, in any of the schemas from `schema` on */
  private family(declared: string, schema: GraphSchema): string[] {
    const names = new Set<string>();
    for (const s of this.from(schema)) {
      const type = s.type(declared);
      if (type) for (const n of [declared, ...type.derived]) names.add(n);
    }
    return [...names].sort();
  }

  private unknownType(odataType: string, declared: string, path: (string | number)[], schema: GraphSchema): void {
    const family = this.family(declared, schema).map((n) => `#${GRAPH_PREFIX}${n}`);
    const suggestion = didYouMean(odataType.startsWith('#') ? odataType : `#${odataType}`, family);
    const where = path.length === 0 ? '' : ` at ${formatPath(path)}`;
    // A large family (deviceConfiguration has well over a hundred types) is named by its closest members.
    const docs = this.docsOf(declared);
    const listed =
      family.length <= 30 ? family.join(', ') : `${nearest(odataType, family, 10).join(', ')}, ... (${family.length} types in all${docs ? `; see ${docs}` : ''})`;
    this.issues.push({
      kind: 'unknown-type',
      path: [...path, '@odata.type'],
      message: `@odata.type "${odataType}"${where} is not a type of ${declared}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
      fix: `${suggestion ? `Change it to "${suggestion}", or to another type of ${declared}` : `Use one of the types of ${declared}`}: ${listed}.`,
    });
  }

  private unknownProperty(key: string, shown: string, chain: Candidates[], declared: string, path: (string | number)[]): void {
    const known = new Set(chain.flatMap(({ types }) => types.flatMap((t) => [...t.properties.keys()])));
    const suggestion = didYouMean(key, known);
    let fix: string;
    if (suggestion) fix = `Rename "${key}" to "${suggestion}", or remove it.`;
    else {
      // Declared by another type of the same family: the @odata.type is probably the mistake.
      const candidates = new Set(chain.flatMap(({ types }) => types.map((t) => t.name)));
      const schema = chain[0]!.schema;
      const owners = this.family(declared, schema).filter(
        (n) => !candidates.has(n) && this.from(schema).some((s) => s.type(n)?.properties.has(key)),
      );
      fix = owners.length
        ? `"${key}" is a property of ${owners.slice(0, 3).join(', ')}${owners.length > 3 ? ', ...' : ''}, not of ${shown}: check the object's @odata.type, or remove "${key}".`
        : `Remove "${key}", or correct its name: it must be one of ${shown}'s properties${this.docsOf(declared) ? ` (see ${this.docsOf(declared)})` : ''}.`;
    }
    this.issues.push({
      kind: 'unknown-property',
      path: [...path, key],
      message: `${label([...path, key])} is not a property of ${shown}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
      fix,
    });
  }

  private wrongKind(value: unknown, kind: string, path: (string | number)[], owner: string): void {
    this.issues.push({
      kind: 'wrong-kind',
      path,
      message: `${label(path)} should be ${describeKind(kind)}, not ${describe(value)}`,
      fix: kindFix(value, kind, path, owner),
    });
  }

  private enumValue(value: string, enumName: string, path: (string | number)[], owner: string, schema: GraphSchema): void {
    const values = [...new Set(this.from(schema).flatMap((s) => s.enumValues(enumName) ?? []))];
    if (values.length === 0) return;
    // Flag enums are written as one string, their members separated by commas ("a,b").
    const wrong = value.split(',').map((p) => p.trim()).filter((p) => !values.includes(p));
    if (wrong.length === 0) return;
    const first = wrong[0]!;
    const suggestion = didYouMean(first, values);
    const listed = values.length <= 40 ? values.join(', ') : `${nearest(first, values, 15).join(', ')}, ...`;
    this.issues.push({
      kind: 'unknown-value',
      path,
      message: `${label(path)} has the value "${first}", which is not one of ${enumName}'s values${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
      fix: suggestion ? `Change "${first}" to "${suggestion}".` : `Use one of: ${listed} (the values Graph has for ${owner}.${lastKey(path)}).`,
    });
  }
}

function lastKey(path: readonly (string | number)[]): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return path[i] as string;
  return '';
}

function label(path: readonly (string | number)[]): string {
  return `property "${formatPath(path)}"`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function describeKind(kind: string): string {
  if (kind.startsWith('array:')) {
    const element = kind.slice('array:'.length);
    return `an array${element === 'any' ? '' : ` of ${plural(element)}`}`;
  }
  if (kind.startsWith('object:')) return `an object (${kind.slice('object:'.length)})`;
  if (kind.startsWith('enum:')) return `a string (one of ${kind.slice('enum:'.length)}'s values)`;
  if (kind === 'number') return 'a number';
  if (kind === 'boolean') return 'a boolean';
  return `a ${kind}`;
}

function plural(kind: string): string {
  if (kind.startsWith('array:')) return 'arrays';
  if (kind.startsWith('object:')) return `objects (${kind.slice('object:'.length)})`;
  if (kind.startsWith('enum:')) return `strings (${kind.slice('enum:'.length)} values)`;
  return `${kind}s`;
}

function kindFix(value: unknown, kind: string, path: readonly (string | number)[], owner: string): string {
  const name = lastKey(path);
  if (kind === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return `Write the number without quotes: ${Number(value)}.`;
  }
  if (kind === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
    return `Write ${value.trim().toLowerCase()} without quotes.`;
  }
  if (kind.startsWith('array:') && !Array.isArray(value)) {
    return `Put the value in a list: [${JSON.stringify(value)}], or [] for none.`;
  }
  if ((kind === 'string' || kind.startsWith('enum:')) && (typeof value === 'number' || typeof value === 'boolean')) {
    return `Write the value in quotes: "${String(value)}".`;
  }
  if (kind === 'boolean') return `Write true or false, without quotes (${owner}.${name} is a boolean).`;
  if (kind === 'number') return `Write a number, without quotes (${owner}.${name} is a number).`;
  if (kind.startsWith('object:')) return `Write an object, { ... }, with the properties of ${kind.slice('object:'.length)} (compare with the last backup of the object).`;
  return `Give ${owner}.${name} ${describeKind(kind)}, as in the last backup of the object.`;
}

// ---------------------------------------------------------------------------------------------
// Did you mean

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The candidate `word` most likely meant: the same word in another case, else the closest within a
 * few edits (about one per three letters, at most three). Ties go to the first in sorted order.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates].sort();
  const lower = word.toLowerCase();
  const sameCase = list.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase === word ? undefined : sameCase;
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of list) {
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** The `count` candidates closest to `word`, closest first. */
function nearest(word: string, candidates: readonly string[], count: number): string[] {
  const lower = word.toLowerCase();
  return candidates
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : x.c > y.c ? 1 : 0))
    .slice(0, count)
    .map((x) => x.c);
}
