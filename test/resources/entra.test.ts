import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resourceDefinitionSchema, type ResourceDefinition } from '../../src/resources/definition.js';
import { entraResources } from '../../src/resources/entra/index.js';
import * as entra from '../../src/resources/entra/index.js';
import { sharepointResources } from '../../src/resources/sharepoint/index.js';
import { lookups } from '../../src/resources/lookups.js';
import { normaliseObject } from '../../src/snapshot/normalise.js';

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'simulator', 'fixtures');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function loadFixture(type: string): JsonObject[] {
  const file = join(fixturesDir, `${type}.json`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { objects?: unknown };
  if (!Array.isArray(parsed.objects)) throw new Error(`${file}: no "objects" array`);
  return parsed.objects as JsonObject[];
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every value an object path names ('a.b[].c'); absent and null branches name nothing. */
function valuesAt(root: Json, path: string): Json[] {
  let current: Json[] = [root];
  for (const segment of path.split('.')) {
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    const next: Json[] = [];
    for (const node of current) {
      if (!isObject(node)) continue;
      const value = node[name];
      if (value === undefined || value === null) continue;
      if (isArray) {
        if (Array.isArray(value)) next.push(...value);
      } else {
        next.push(value);
      }
    }
    current = next;
  }
  return current;
}

const mine: ResourceDefinition[] = [...entraResources, ...sharepointResources];
const byType = new Map(mine.map((r) => [r.type, r]));
const lookupTypes = new Set(lookups.map((l) => l.type));

/** Ids of every object of a resource or lookup type, from the fixtures. */
function idsOf(target: string): Set<string> {
  const definition = byType.get(target);
  const lookup = lookups.find((l) => l.type === target);
  const key = definition?.key ?? lookup?.key ?? 'id';
  return new Set(
    loadFixture(target)
      .map((o) => o[key])
      .filter((v): v is string => typeof v === 'string'),
  );
}

const expectedEntra = [
  'conditionalAccessPolicies',
  'namedLocations',
  'authenticationStrengthPolicies',
  'authenticationMethodsPolicy',
  'authenticationMethodConfigurations',
  'authorizationPolicy',
  'crossTenantAccessPolicyDefault',
  'crossTenantAccessPolicyPartners',
  'securityDefaults',
  'adminConsentRequestPolicy',
  'groupSettings',
  'directoryRoleDefinitions',
  'permissionGrantPolicies',
];

describe('entra and sharepoint catalogue', () => {
  it('lists every expected type exactly once', () => {
    expect([...entraResources.map((r) => r.type)].sort()).toEqual([...expectedEntra].sort());
    expect(sharepointResources.map((r) => r.type)).toEqual(['sharePointSettings']);
    expect(new Set(mine.map((r) => r.type)).size).toBe(mine.length);
  });

  it('exports each definition under its type name', () => {
    for (const definition of entraResources) {
      expect((entra as Record<string, unknown>)[definition.type]).toBe(definition);
    }
  });

  it('lists types in dependency order', () => {
    const order = entraResources.map((r) => r.type);
    for (const definition of entraResources) {
      for (const dependency of definition.dependsOn) {
        expect(order, `${definition.type} depends on ${dependency}`).toContain(dependency);
        expect(order.indexOf(dependency), `${dependency} before ${definition.type}`).toBeLessThan(
          order.indexOf(definition.type),
        );
      }
    }
  });
});

describe.each(mine.map((r) => [r.type, r] as const))('%s', (type, definition) => {
  it('parses and is stable under a second parse', () => {
    expect(resourceDefinitionSchema.parse(definition)).toEqual(definition);
  });

  it('targets Graph v1.0 and links its v1.0 documentation', () => {
    expect(definition.api).toBe('v1.0');
    expect(definition.docs).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/graph\/api\/resources\/[a-z0-9]+\?view=graph-rest-1\.0$/);
    expect(definition.workload).toBe(type === 'sharePointSettings' ? 'sharepoint' : 'entra');
  });

  it('names a write permission exactly when it can be written', () => {
    expect(definition.permissions.read).toMatch(/^[A-Za-z]+(\.[A-Za-z]+)+$/);
    if (definition.write) expect(definition.permissions.write).toMatch(/^[A-Za-z]+(\.[A-Za-z]+)+$/);
    else expect(definition.permissions.write).toBeUndefined();
  });

  it('is shaped as a singleton or a collection', () => {
    if (definition.kind === 'singleton') {
      expect(definition.singletonName, 'singletons name their file').toBeTruthy();
      expect(definition.write?.create, 'singletons are never created').toBeUndefined();
      expect(definition.write?.delete, 'singletons are never deleted').toBe(false);
    } else {
      expect(definition.singletonName).toBeUndefined();
    }
  });

  it('references existing types and lookups, and depends on the types it references', () => {
    for (const reference of definition.references) {
      const isResource = byType.has(reference.target);
      expect(isResource || lookupTypes.has(reference.target), `${reference.path} -> ${reference.target}`).toBe(true);
      if (isResource && reference.target !== type) expect(definition.dependsOn).toContain(reference.target);
    }
    for (const dependency of definition.dependsOn) expect(byType.has(dependency), dependency).toBe(true);
  });

  it('has a fixture', () => {
    expect(existsSync(join(fixturesDir, `${type}.json`))).toBe(true);
    const objects = loadFixture(type);
    if (definition.kind === 'singleton') {
      expect(objects).toHaveLength(1);
    } else {
      expect(objects.length).toBeGreaterThanOrEqual(2);
      expect(objects.length).toBeLessThanOrEqual(4);
    }
  });

  it('fixture objects carry their key and a distinct name', () => {
    const objects = loadFixture(type);
    if (definition.kind === 'singleton') return;
    const names = objects.map((o) => o[definition.nameField]);
    const keys = objects.map((o) => o[definition.key]);
    for (const name of names) expect(typeof name === 'string' && name.length > 0, String(name)).toBe(true);
    for (const key of keys) expect(typeof key === 'string' && key.length > 0, String(key)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    // Distinct even on a case-insensitive file system.
    expect(new Set(names.map((n) => String(n).toLowerCase())).size).toBe(names.length);
  });

  it('fixture references resolve to fixture ids or keywords', () => {
    const objects = loadFixture(type);
    for (const reference of definition.references) {
      const known = idsOf(reference.target);
      for (const object of objects) {
        for (const value of valuesAt(object, reference.path)) {
          expect(typeof value, `${reference.path} in ${type}`).toBe('string');
          const ok = reference.keywords.includes(value as string) || known.has(value as string);
          expect(ok, `${type}: ${reference.path} = ${String(value)} is neither a keyword nor a ${reference.target} id`).toBe(true);
        }
      }
    }
  });

  it('normalises its fixtures to configuration only, idempotently', () => {
    const serverFields = new Set(['createdDateTime', 'modifiedDateTime', 'lastModifiedDateTime']);
    const findServerFields = (value: Json, at: string): string[] => {
      if (Array.isArray(value)) return value.flatMap((v, i) => findServerFields(v, `${at}[${i}]`));
      if (!isObject(value)) return [];
      return Object.entries(value).flatMap(([k, v]) => [
        ...(serverFields.has(k) || k.includes('@odata.context') ? [`${at}.${k}`] : []),
        ...findServerFields(v, `${at}.${k}`),
      ]);
    };
    for (const object of loadFixture(type)) {
      const normalised = normaliseObject(definition, object) as JsonObject;
      expect(normaliseObject(definition, normalised)).toEqual(normalised);
      expect(findServerFields(normalised, type)).toEqual([]);
      if (definition.kind === 'collection') expect(normalised[definition.nameField]).toBe(object[definition.nameField]);
      for (const path of definition.volatile) expect(valuesAt(normalised, path), path).toEqual([]);
    }
  });

  it('fixtures carry the fields that readOnlyWhen and write actions use', () => {
    const objects = loadFixture(type);
    if (definition.readOnlyWhen) {
      for (const object of objects) expect(object, definition.readOnlyWhen.field).toHaveProperty(definition.readOnlyWhen.field);
    }
    for (const action of definition.write?.actions ?? []) {
      for (const object of objects) expect(object).toHaveProperty(action.property);
    }
  });
});

describe('fixture contents', () => {
  const policies = loadFixture('conditionalAccessPolicies');
  const locationIds = idsOf('namedLocations');
  const groupIds = idsOf('groups');
  const strengths = loadFixture('authenticationStrengthPolicies');
  const builtInStrengthIds = new Set(
    strengths.filter((s) => s['policyType'] === 'builtIn').map((s) => String(s['id'])),
  );

  it('has a policy naming a named location and a group', () => {
    const match = policies.find(
      (p) =>
        [...valuesAt(p, 'conditions.locations.includeLocations[]'), ...valuesAt(p, 'conditions.locations.excludeLocations[]')].some(
          (v) => locationIds.has(String(v)),
        ) &&
        [...valuesAt(p, 'conditions.users.includeGroups[]'), ...valuesAt(p, 'conditions.users.excludeGroups[]')].some((v) =>
          groupIds.has(String(v)),
        ),
    );
    expect(match).toBeDefined();
  });

  it('has policies using a built-in and a custom authentication strength, returned expanded', () => {
    const used = policies.flatMap((p) => valuesAt(p, 'grantControls.authenticationStrength.id')).map(String);
    expect(used.some((id) => builtInStrengthIds.has(id))).toBe(true);
    expect(used.some((id) => !builtInStrengthIds.has(id))).toBe(true);
    for (const p of policies) {
      const strength = valuesAt(p, 'grantControls.authenticationStrength')[0];
      if (isObject(strength)) expect(strength).toHaveProperty('createdDateTime');
    }
  });

  it('keeps only the id of an expanded authentication strength', () => {
    const def = entra.conditionalAccessPolicies;
    const kept = policies
      .map((p) => normaliseObject(def, p) as JsonObject)
      .flatMap((p) => valuesAt(p, 'grantControls.authenticationStrength'))
      .filter(isObject);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    for (const strength of kept) expect(Object.keys(strength)).toEqual(['id']);
  });

  it('keeps the expanded method configurations out of the authentication methods policy', () => {
    const policy = loadFixture('authenticationMethodsPolicy')[0]!;
    expect(policy).toHaveProperty('authenticationMethodConfigurations');
    expect(normaliseObject(entra.authenticationMethodsPolicy, policy)).not.toHaveProperty('authenticationMethodConfigurations');
  });

  it('has the three built-in authentication strengths', () => {
    expect([...builtInStrengthIds].sort()).toEqual([
      '00000000-0000-0000-0000-000000000002',
      '00000000-0000-0000-0000-000000000003',
      '00000000-0000-0000-0000-000000000004',
    ]);
  });

  it('has a display name with a character that Windows forbids in file names', () => {
    expect(policies.some((p) => /[<>:"/\\|?*]/.test(String(p['displayName'])))).toBe(true);
  });

  it('keeps server fields so that normalisation has something to strip', () => {
    for (const p of policies) {
      expect(p).toHaveProperty('id');
      expect(p).toHaveProperty('createdDateTime');
    }
    for (const l of loadFixture('namedLocations')) {
      expect(l['@odata.type']).toMatch(/^#microsoft\.graph\.(ip|country)NamedLocation$/);
      expect(l).toHaveProperty('modifiedDateTime');
    }
  });

  it('names authentication method configurations by id and types them', () => {
    for (const c of loadFixture('authenticationMethodConfigurations')) {
      expect(String(c['id'])).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(String(c['@odata.type'])).toMatch(/^#microsoft\.graph\.\w+AuthenticationMethodConfiguration$/);
    }
  });

  it('includes built-in and custom permission grant policies', () => {
    const ids = loadFixture('permissionGrantPolicies').map((p) => String(p['id']));
    expect(ids.some((id) => id.startsWith('microsoft-'))).toBe(true);
    expect(ids.some((id) => !id.startsWith('microsoft-'))).toBe(true);
  });

  it('lists only custom role definitions, as the $filter would', () => {
    for (const r of loadFixture('directoryRoleDefinitions')) expect(r['isBuiltIn']).toBe(false);
  });
});
