/**
 * Writes src/resources/generated/graphSchema.json: the Microsoft Graph types the catalogue's
 * definitions name (`graphType`), as `tenant-sync validate` needs them to check a file's property
 * names and coarse value kinds. Read with the TypeScript compiler API from the type descriptions
 * Microsoft publishes: @microsoft/microsoft-graph-types (v1.0) and
 * @microsoft/microsoft-graph-types-beta (beta), each for the definitions of its api version.
 *
 *   node --import tsx scripts/graph-schema.ts           write the file
 *   node --import tsx scripts/graph-schema.ts --check   exit 1 when the file is not current
 *
 * What is kept, per api version, starting from each definition's graphType (and, in beta, from the
 * graphType of the v1.0 definitions too: v1.0 endpoints also return what only beta describes):
 * - the type, every type derived from it (namedLocation -> ipNamedLocation, countryNamedLocation),
 *   and its base types (entity);
 * - every type a kept type's properties name (complex types such as conditionalAccessConditionSet,
 *   expanded relationships such as assignments and settings), with their derived types (an
 *   assignment's target is a groupAssignmentTarget, allDevicesAssignmentTarget, ...), and so on
 *   down to MAX_DEPTH property hops. A property whose type is not kept is still listed with its
 *   kind (`object:<type>`), its content is then not checked.
 * - the string enums those properties use, with their values.
 *
 * The file: { "$comment", "packages": {name: version}, "versions": { "v1.0" | "beta": { "types",
 * "enums" } } }. A type is { "base"?: "<type>", "properties": { "<name>": "<kind>" } } with its own
 * properties only; the inherited ones are its base's (src/resources/graphSchema.ts resolves them).
 * Kinds: string, boolean, number, any, enum:<enum>, object:<type>, array:<kind>. Type names are
 * Graph's without 'microsoft.graph.' (conditionalAccessPolicy, security.alert). Keys are sorted and
 * each type is on one line, so the file is the same bytes for the same packages and a package
 * update shows as a readable diff.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { resources } from '../src/resources/catalogue.js';
import type { ApiVersion, ResourceDefinition } from '../src/resources/definition.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = join(ROOT, 'src', 'resources', 'generated', 'graphSchema.json');

/**
 * Property hops followed from a definition's type; deeper types are named but not described. The
 * catalogue's types are described completely within 5 hops (about 280 KB); the limit only guards
 * against a future type whose properties reach the whole of Graph (a test keeps the file small).
 */
export const MAX_DEPTH = 16;

const PACKAGES: Record<ApiVersion, string> = {
  'v1.0': '@microsoft/microsoft-graph-types',
  beta: '@microsoft/microsoft-graph-types-beta',
};

/** The name `export as namespace` gives the whole file; a qualified name through it is top-level. */
const GLOBAL_NAMESPACES = new Set(['microsoftgraph', 'microsoftgraphbeta']);

const GRAPH_PREFIX = 'microsoft.graph.';

interface RawType {
  base?: string;
  properties: [string, ts.TypeNode][];
  /** Namespace the type is declared in ('' at the top), for resolving unqualified names */
  scope: string;
}

interface Declarations {
  types: Map<string, RawType>;
  /** enum name -> its values; undefined when the description has none (a bare string) */
  enums: Map<string, string[] | undefined>;
}

export interface GraphSchemaFile {
  $comment: string;
  packages: Record<string, string>;
  versions: Record<ApiVersion, { types: Record<string, { base?: string; properties: Record<string, string> }>; enums: Record<string, string[]> }>;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** 'IdentityGovernanceNamespace' -> 'identityGovernance'; 'CallRecords' -> 'callRecords' */
const namespaceName = (segment: string): string => lowerFirst(segment.replace(/Namespace$/, ''));

const qualify = (scope: string, name: string): string => (scope ? `${scope}.${lowerFirst(name)}` : lowerFirst(name));

function entityNameParts(name: ts.EntityName): string[] {
  return ts.isIdentifier(name) ? [name.text] : [...entityNameParts(name.left), name.right.text];
}

function readDeclarations(file: string): Declarations {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Declarations = { types: new Map(), enums: new Map() };
  const visit = (node: ts.Node, scope: string): void => {
    if (ts.isModuleDeclaration(node)) {
      const inner = scope ? `${scope}.${namespaceName(node.name.text)}` : namespaceName(node.name.text);
      if (node.body && ts.isModuleDeclaration(node.body)) visit(node.body, inner);
      else if (node.body) ts.forEachChild(node.body, (child) => visit(child, inner));
      return;
    }
    if (ts.isInterfaceDeclaration(node)) {
      const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      const properties: [string, ts.TypeNode][] = [];
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !member.type) continue;
        const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
        if (name !== undefined) properties.push([name, member.type]);
      }
      const raw: RawType = { properties, scope };
      if (heritage && (ts.isIdentifier(heritage) || ts.isPropertyAccessExpression(heritage))) {
        raw.base = heritage.getText(source);
      }
      out.types.set(qualify(scope, node.name.text), raw);
      return;
    }
    if (ts.isTypeAliasDeclaration(node)) {
      if (node.name.text === 'NullableOption') return;
      const members = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type];
      const values = members.flatMap((m) => (ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal) ? [m.literal.text] : []));
      out.enums.set(qualify(scope, node.name.text), values.length === members.length && values.length > 0 ? values : undefined);
      return;
    }
    ts.forEachChild(node, (child) => visit(child, scope));
  };
  ts.forEachChild(source, (child) => visit(child, ''));
  // Base types were kept as written; resolve them now that every name is known.
  for (const raw of out.types.values()) {
    if (raw.base === undefined) continue;
    const resolved = resolveName(out, raw.scope, raw.base.split('.'));
    if (resolved?.kind === 'type') raw.base = resolved.name;
    else delete raw.base;
  }
  return out;
}

function resolveName(decls: Declarations, scope: string, parts: string[]): { kind: 'type' | 'enum'; name: string } | undefined {
  const candidates: string[] = [];
  if (parts.length === 1) {
    // TypeScript's scoping: the enclosing namespaces first, then the top level.
    const segments = scope ? scope.split('.') : [];
    for (let i = segments.length; i >= 0; i--) candidates.push(qualify(segments.slice(0, i).join('.'), parts[0]!));
  } else if (GLOBAL_NAMESPACES.has(parts[0]!)) {
    candidates.push(qualify(parts.slice(1, -1).map(namespaceName).join('.'), parts[parts.length - 1]!));
  } else {
    candidates.push(qualify(parts.slice(0, -1).map(namespaceName).join('.'), parts[parts.length - 1]!));
  }
  for (const name of candidates) {
    if (decls.types.has(name)) return { kind: 'type', name };
    if (decls.enums.has(name)) return { kind: 'enum', name };
  }
  return undefined;
}

/** The coarse kind of a property's declared type. */
function kindOf(decls: Declarations, scope: string, node: ts.TypeNode, unresolved: Set<string>): string {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return 'string';
    case ts.SyntaxKind.NumberKeyword:
      return 'number';
    case ts.SyntaxKind.BooleanKeyword:
      return 'boolean';
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return 'any';
  }
  if (ts.isArrayTypeNode(node)) return `array:${kindOf(decls, scope, node.elementType, unresolved)}`;
  if (ts.isParenthesizedTypeNode(node)) return kindOf(decls, scope, node.type, unresolved);
  if (ts.isTypeReferenceNode(node)) {
    const parts = entityNameParts(node.typeName);
    if (parts.length === 1 && parts[0] === 'NullableOption' && node.typeArguments?.[0]) {
      return kindOf(decls, scope, node.typeArguments[0], unresolved);
    }
    const resolved = resolveName(decls, scope, parts);
    if (resolved?.kind === 'type') return `object:${resolved.name}`;
    if (resolved?.kind === 'enum') return decls.enums.get(resolved.name) ? `enum:${resolved.name}` : 'string';
    unresolved.add(parts.join('.'));
    return 'any';
  }
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.filter((t) => !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword)).map((t) => kindOf(decls, scope, t, unresolved)));
    return kinds.size === 1 ? [...kinds][0]! : 'any';
  }
  unresolved.add(ts.SyntaxKind[node.kind]);
  return 'any';
}

/** The types referenced by a kind: 'array:object:x' -> x */
function objectTypeOf(kind: string): string | undefined {
  const bare = kind.replace(/^(array:)+/, '');
  return bare.startsWith('object:') ? bare.slice('object:'.length) : undefined;
}

function enumOf(kind: string): string | undefined {
  const bare = kind.replace(/^(array:)+/, '');
  return bare.startsWith('enum:') ? bare.slice('enum:'.length) : undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function packageVersion(name: string): string {
  const require = createRequire(join(ROOT, 'package.json'));
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

function declarationFile(name: string): string {
  const require = createRequire(join(ROOT, 'package.json'));
  return join(dirname(require.resolve(`${name}/package.json`)), 'microsoft-graph.d.ts');
}

function buildVersion(decls: Declarations, roots: string[]): GraphSchemaFile['versions'][ApiVersion] {
  const derived = new Map<string, string[]>();
  for (const [name, raw] of decls.types) {
    if (raw.base === undefined) continue;
    derived.set(raw.base, [...(derived.get(raw.base) ?? []), name]);
  }
  const descendants = (name: string): string[] => (derived.get(name) ?? []).flatMap((d) => [d, ...descendants(d)]);

  const kept = new Map<string, { depth: number; type: { base?: string; properties: Record<string, string> } }>();
  const enums = new Map<string, string[]>();
  const unresolved = new Set<string>();
  const depthOf = new Map<string, number>();
  /** Types whose derived types are kept too (reached as a definition's type or a property's) */
  const polymorphic = new Set<string>();
  let queue: string[] = [];
  const reach = (name: string, depth: number, withDerived: boolean): void => {
    const known = depthOf.get(name);
    if (withDerived && !polymorphic.has(name)) {
      polymorphic.add(name);
      for (const d of descendants(name)) reach(d, depth, false);
    }
    if (known !== undefined && known <= depth) return;
    depthOf.set(name, depth);
    queue.push(name);
  };
  for (const root of roots) {
    if (!decls.types.has(root)) throw new Error(`graphType microsoft.graph.${root} is not a type of the description`);
    reach(root, 0, true);
  }
  // Breadth first, so each type is described at the smallest depth it is reached at.
  while (queue.length > 0) {
    const next = queue;
    queue = [];
    for (const name of next) {
      const depth = depthOf.get(name)!;
      if (kept.has(name) && kept.get(name)!.depth <= depth) continue;
      const raw = decls.types.get(name)!;
      const properties: Record<string, string> = {};
      for (const [property, node] of raw.properties) {
        const kind = kindOf(decls, raw.scope, node, unresolved);
        properties[property] = kind;
        const enumName = enumOf(kind);
        if (enumName) enums.set(enumName, decls.enums.get(enumName)!);
        // An object of a property's type may be of any type derived from it (told apart by its
        // @odata.type), except for entity, the base of nearly everything.
        const target = objectTypeOf(kind);
        if (target && depth < MAX_DEPTH) reach(target, depth + 1, target !== 'entity');
      }
      kept.set(name, { depth, type: raw.base === undefined ? { properties } : { base: raw.base, properties } });
      // What a base type declares is inherited: kept at the same depth, without its other derived types.
      if (raw.base !== undefined) reach(raw.base, depth, false);
    }
  }
  if (unresolved.size > 0) throw new Error(`types not understood: ${[...unresolved].sort(compare).join(', ')}`);

  const types: Record<string, { base?: string; properties: Record<string, string> }> = {};
  for (const name of [...kept.keys()].sort(compare)) {
    const { base, properties } = kept.get(name)!.type;
    const sorted: Record<string, string> = {};
    for (const key of Object.keys(properties).sort(compare)) sorted[key] = properties[key]!;
    types[name] = base === undefined ? { properties: sorted } : { base, properties: sorted };
  }
  const enumsOut: Record<string, string[]> = {};
  for (const name of [...enums.keys()].sort(compare)) enumsOut[name] = enums.get(name)!;
  return { types, enums: enumsOut };
}

/** The schema for the catalogue's definitions (or `defs`), as an object. */
export function generateGraphSchema(defs: readonly ResourceDefinition[] = resources): GraphSchemaFile {
  const versions = {} as GraphSchemaFile['versions'];
  const packages: Record<string, string> = {};
  for (const api of ['v1.0', 'beta'] as const) {
    const pkg = PACKAGES[api];
    packages[pkg] = packageVersion(pkg);
    const decls = readDeclarations(declarationFile(pkg));
    // The v1.0 endpoints return beta-only properties and types too (an authentication method that
    // is in beta only, a condition the v1.0 description lacks): the beta description of a v1.0
    // definition's type is kept as well, for the checker to fall back on.
    const roots = defs.flatMap((d) => {
      if (!d.graphType) return [];
      const name = d.graphType.slice(GRAPH_PREFIX.length);
      if (d.api === api) return [name];
      return api === 'beta' && decls.types.has(name) ? [name] : [];
    });
    versions[api] = buildVersion(decls, [...new Set(roots)].sort(compare));
  }
  return {
    $comment: 'Generated by scripts/graph-schema.ts from the Microsoft Graph type descriptions; do not edit. Regenerate: node --import tsx scripts/graph-schema.ts',
    packages,
    versions,
  };
}

/** The file's bytes: sorted keys, one type or enum per line, '\n' line ends. */
export function renderGraphSchema(schema: GraphSchemaFile): string {
  const lines: string[] = ['{'];
  lines.push(`  "$comment": ${JSON.stringify(schema.$comment)},`);
  lines.push(`  "packages": ${JSON.stringify(Object.fromEntries(Object.entries(schema.packages).sort(([a], [b]) => compare(a, b))))},`);
  lines.push('  "versions": {');
  const versions = Object.keys(schema.versions).sort(compare) as ApiVersion[];
  versions.forEach((api, vi) => {
    const { types, enums } = schema.versions[api];
    lines.push(`    ${JSON.stringify(api)}: {`);
    lines.push('      "enums": {');
    const enumNames = Object.keys(enums);
    enumNames.forEach((name, i) => lines.push(`        ${JSON.stringify(name)}: ${JSON.stringify(enums[name])}${i < enumNames.length - 1 ? ',' : ''}`));
    lines.push('      },');
    lines.push('      "types": {');
    const typeNames = Object.keys(types);
    typeNames.forEach((name, i) => lines.push(`        ${JSON.stringify(name)}: ${JSON.stringify(types[name])}${i < typeNames.length - 1 ? ',' : ''}`));
    lines.push('      }');
    lines.push(`    }${vi < versions.length - 1 ? ',' : ''}`);
  });
  lines.push('  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const text = renderGraphSchema(generateGraphSchema());
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing: not current
    }
    if (current !== text) {
      console.error(`${SCHEMA_FILE} is not current: run node --import tsx scripts/graph-schema.ts`);
      process.exit(1);
    }
    console.log(`${SCHEMA_FILE} is current`);
    return;
  }
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, text);
  const schema = JSON.parse(text) as GraphSchemaFile;
  const counts = Object.entries(schema.versions).map(([api, v]) => `${api}: ${Object.keys(v.types).length} types, ${Object.keys(v.enums).length} enums`);
  console.log(`wrote ${SCHEMA_FILE} (${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB; ${counts.join('; ')})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
