import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resourceDefinitionSchema, type ResourceDefinition } from '../../src/resources/definition.js';
import { intuneResources } from '../../src/resources/intune/index.js';
import { lookups } from '../../src/resources/lookups.js';

type Json = Record<string, unknown>;

const fixturesDir = fileURLToPath(new URL('../simulator/fixtures/', import.meta.url));

function fixture(type: string): Json[] {
  const parsed = JSON.parse(readFileSync(`${fixturesDir}${type}.json`, 'utf8')) as { objects?: unknown };
  if (!Array.isArray(parsed.objects)) throw new Error(`${type}.json has no objects array`);
  return parsed.objects as Json[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values at a definition path ('a.b[].c'): arrays marked [] are walked, missing keys yield nothing. */
function valuesAt(value: unknown, path: string): unknown[] {
  const [head, ...rest] = path.split('.');
  if (head === undefined || head === '') return [value];
  const many = head.endsWith('[]');
  const key = many ? head.slice(0, -2) : head;
  if (!isObject(value) || !(key in value)) return [];
  const next = value[key];
  const items = many ? (Array.isArray(next) ? next : []) : [next];
  return rest.length === 0 ? items : items.flatMap((item) => valuesAt(item, rest.join('.')));
}

/** Whether the last key of a path exists somewhere in the object (its value may be null). */
function keyPresent(value: unknown, path: string): boolean {
  const segments = path.split('.');
  const last = segments.pop();
  if (last === undefined) return false;
  const lastKey = last.endsWith('[]') ? last.slice(0, -2) : last;
  const parents = segments.length === 0 ? [value] : valuesAt(value, segments.join('.'));
  return parents.some((parent) => isObject(parent) && lastKey in parent);
}

const byType = new Map(intuneResources.map((r) => [r.type, r]));
const lookupTypes = new Set(lookups.map((l) => l.type));
const windowsIllegal = /[<>:"/\\|?*]/;

function idsOf(type: string): Set<string> {
  const definition = byType.get(type);
  const key = definition?.key ?? 'id';
  return new Set(fixture(type).map((o) => String(o[key])));
}

function hasAssignments(definition: ResourceDefinition): boolean {
  return (definition.listQuery['$expand'] ?? '').split(',').some((part) => part.trim() === 'assignments');
}

describe('Intune resource definitions', () => {
  it('lists the expected types, scope tags and assignment filters first', () => {
    expect(intuneResources.map((r) => r.type)).toEqual([
      'roleScopeTags',
      'assignmentFilters',
      'deviceCompliancePolicies',
      'deviceConfigurations',
      'configurationPolicies',
      'iosManagedAppProtections',
      'androidManagedAppProtections',
      'deviceEnrollmentConfigurations',
      'windowsAutopilotDeploymentProfiles',
    ]);
  });

  it.each(intuneResources.map((r) => [r.type, r] as const))('%s parses and is an Intune beta type', (_type, definition) => {
    expect(resourceDefinitionSchema.parse(definition)).toEqual(definition);
    expect(definition.workload).toBe('intune');
    expect(definition.api).toBe('beta');
    expect(definition.throttle).toBe('intune');
    expect(definition.kind).toBe('collection');
    expect(definition.docs).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/graph\/api\/resources\/intune-.*\?view=graph-rest-beta$/);
    expect(definition.path).toMatch(/^\/(deviceManagement|deviceAppManagement)\/[A-Za-z]+$/);
    expect(definition.permissions.read).toMatch(/^DeviceManagement[A-Za-z]+\.Read\.All$/);
    expect(definition.permissions.write).toBe(definition.permissions.read.replace('.Read.All', '.ReadWrite.All'));
    // Not a common server field listed again, and no duplicates.
    expect(new Set(definition.volatile).size).toBe(definition.volatile.length);
    for (const common of ['id', 'createdDateTime', 'lastModifiedDateTime', 'version']) {
      expect(definition.volatile).not.toContain(common);
    }
  });

  it('has unique type names', () => {
    expect(new Set(intuneResources.map((r) => r.type)).size).toBe(intuneResources.length);
  });

  it('references only catalogue types of this list or lookups, and depends on the types it references', () => {
    for (const definition of intuneResources) {
      for (const reference of definition.references) {
        const known = byType.has(reference.target) || lookupTypes.has(reference.target);
        expect(known, `${definition.type}: ${reference.path} -> ${reference.target}`).toBe(true);
        if (byType.has(reference.target) && reference.target !== definition.type) {
          expect(definition.dependsOn, `${definition.type} depends on ${reference.target}`).toContain(reference.target);
        }
      }
    }
  });

  it('lists every dependency before the types that depend on it', () => {
    const order = intuneResources.map((r) => r.type);
    for (const definition of intuneResources) {
      for (const dependency of definition.dependsOn) {
        expect(order.indexOf(dependency), `${dependency} before ${definition.type}`).toBeGreaterThanOrEqual(0);
        expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(definition.type));
      }
    }
  });

  it('names groups and assignment filters in every assigned type, and scope tags everywhere but on scope tags', () => {
    for (const definition of intuneResources.filter(hasAssignments)) {
      const paths = definition.references.map((r) => `${r.path} -> ${r.target}`);
      expect(paths).toContain('assignments[].target.groupId -> groups');
      expect(paths).toContain('assignments[].target.deviceAndAppManagementAssignmentFilterId -> assignmentFilters');
      expect(definition.volatile).toEqual(expect.arrayContaining(['assignments[].id', 'assignments[].sourceId']));
    }
    for (const definition of intuneResources.filter((r) => r.type !== 'roleScopeTags')) {
      expect(definition.references.some((r) => r.target === 'roleScopeTags'), definition.type).toBe(true);
    }
  });

  it('writes assignments through the /assign action where Graph has one', () => {
    const assign = (type: string) => byType.get(type)?.write?.assignments;
    for (const type of ['deviceCompliancePolicies', 'deviceConfigurations', 'configurationPolicies', 'iosManagedAppProtections', 'androidManagedAppProtections']) {
      expect(assign(type), type).toEqual({ property: 'assignments', action: 'assign', bodyProperty: 'assignments' });
    }
    expect(assign('deviceEnrollmentConfigurations')?.bodyProperty).toBe('enrollmentConfigurationAssignments');
    // Autopilot's assign action takes device ids: assignments are never sent in the PATCH body.
    expect(assign('windowsAutopilotDeploymentProfiles')).toBeUndefined();
    expect(byType.get('windowsAutopilotDeploymentProfiles')?.write?.update.omit).toContain('assignments');
  });

  it('describes the type-specific write semantics', () => {
    const compliance = byType.get('deviceCompliancePolicies');
    expect(compliance?.write?.createOnly).toEqual(['scheduledActionsForRule']);
    expect(compliance?.write?.actions).toEqual([
      { property: 'scheduledActionsForRule', path: 'scheduleActionsForRules', method: 'POST', bodyProperty: 'deviceComplianceScheduledActionForRules' },
    ]);
    expect(compliance?.listQuery['$expand']).toContain('scheduledActionsForRule($expand=scheduledActionConfigurations)');

    const catalog = byType.get('configurationPolicies');
    expect(catalog?.nameField).toBe('name');
    expect(catalog?.write?.update.method).toBe('PUT');
    expect(catalog?.children).toEqual([{ property: 'settings', path: 'settings', paged: true, volatile: ['id'] }]);

    for (const type of ['iosManagedAppProtections', 'androidManagedAppProtections']) {
      expect(byType.get(type)?.listQuery['$expand']).toBe('apps,assignments');
      expect(byType.get(type)?.write?.actions.map((a) => a.path)).toEqual(['targetApps']);
    }
    for (const type of ['deviceCompliancePolicies', 'deviceConfigurations', 'deviceEnrollmentConfigurations', 'iosManagedAppProtections', 'androidManagedAppProtections', 'windowsAutopilotDeploymentProfiles']) {
      expect(byType.get(type)?.write?.update.includeODataType, type).toBe(true);
    }
    expect(byType.get('roleScopeTags')?.readOnlyWhen).toEqual({ field: 'isBuiltIn', equals: true });
  });
});

describe('Intune simulator fixtures', () => {
  it.each(intuneResources.map((r) => [r.type, r] as const))('%s has a fixture of 2 to 4 objects as Graph returns them', (type, definition) => {
    expect(existsSync(`${fixturesDir}${type}.json`)).toBe(true);
    const objects = fixture(type);
    expect(objects.length).toBeGreaterThanOrEqual(2);
    expect(objects.length).toBeLessThanOrEqual(4);
    const names = new Set<string>();
    const ids = new Set<string>();
    for (const object of objects) {
      expect(typeof object[definition.key], `${type} key`).toBe('string');
      expect(typeof object['@odata.type'], `${type} @odata.type`).toBe('string');
      const name = object[definition.nameField];
      expect(typeof name === 'string' && name.length > 0, `${type} ${definition.nameField}`).toBe(true);
      names.add(String(name));
      ids.add(String(object[definition.key]));
      if (type !== 'roleScopeTags') {
        expect('createdDateTime' in object || 'lastModifiedDateTime' in object, `${type} server timestamps`).toBe(true);
      }
    }
    expect(names.size, `${type}: unique names`).toBe(objects.length);
    expect(ids.size, `${type}: unique ids`).toBe(objects.length);
  });

  it.each(intuneResources.map((r) => [r.type, r] as const))('%s carries every volatile field somewhere, so normalisation is exercised', (type, definition) => {
    const objects = fixture(type);
    for (const path of definition.volatile) {
      expect(objects.some((o) => keyPresent(o, path)), `${type}: ${path}`).toBe(true);
    }
    for (const child of definition.children) {
      for (const path of child.volatile) {
        const elements = objects.flatMap((o) => valuesAt(o, `${child.property}[]`));
        expect(elements.some((e) => keyPresent(e, path)), `${type}: ${child.property}[].${path}`).toBe(true);
      }
    }
  });

  it.each(intuneResources.filter(hasAssignments).map((r) => [r.type] as const))('%s carries its assignments inline', (type) => {
    const objects = fixture(type);
    for (const object of objects) {
      expect(Array.isArray(object['assignments']), `${type} ${String(object['id'])}`).toBe(true);
      for (const assignment of valuesAt(object, 'assignments[]')) {
        const target = isObject(assignment) ? assignment['target'] : undefined;
        expect(isObject(target)).toBe(true);
        expect(isObject(target) ? target['@odata.type'] : undefined).toMatch(/AssignmentTarget$/);
      }
    }
    expect(objects.some((o) => valuesAt(o, 'assignments[]').length > 0), `${type}: some assignment`).toBe(true);
  });

  it.each(intuneResources.map((r) => [r.type, r] as const))('%s references resolve to fixture ids', (type, definition) => {
    const objects = fixture(type);
    for (const reference of definition.references) {
      const known = idsOf(reference.target);
      for (const value of objects.flatMap((o) => valuesAt(o, reference.path))) {
        if (value === null || value === undefined || reference.keywords.includes(String(value))) continue;
        expect(known.has(String(value)), `${type}: ${reference.path} = ${String(value)} in ${reference.target}`).toBe(true);
      }
    }
  });

  it('uses groups, filters and scope tags in the assignments, so reference-by-name is exercised', () => {
    const used = (target: string) =>
      intuneResources.flatMap((definition) =>
        definition.references
          .filter((r) => r.target === target)
          .flatMap((r) => fixture(definition.type).flatMap((o) => valuesAt(o, r.path)))
          .filter((v): v is string => typeof v === 'string'),
      );
    expect(new Set(used('groups')).size).toBeGreaterThanOrEqual(5);
    expect(new Set(used('assignmentFilters'))).toEqual(idsOf('assignmentFilters'));
    expect(new Set(used('roleScopeTags'))).toEqual(idsOf('roleScopeTags'));
  });

  it('has the built-in Default scope tag as the only read-only one', () => {
    const readOnly = fixture('roleScopeTags').filter((o) => o['isBuiltIn'] === true);
    expect(readOnly.map((o) => [o['id'], o['displayName']])).toEqual([['0', 'Default']]);
  });

  it('has a settings catalog policy with enough settings to page, and settings inline in every policy', () => {
    const policies = fixture('configurationPolicies');
    for (const policy of policies) {
      const settings = valuesAt(policy, 'settings[]');
      expect(settings.length, String(policy['name'])).toBeGreaterThan(0);
      expect(policy['settingCount']).toBe(settings.length);
      for (const setting of settings) {
        expect(valuesAt(setting, 'settingInstance.settingDefinitionId')[0]).toEqual(expect.any(String));
      }
    }
    expect(Math.max(...policies.map((p) => valuesAt(p, 'settings[]').length))).toBeGreaterThanOrEqual(30);
  });

  it('has compliance policies with their scheduled actions inline', () => {
    for (const policy of fixture('deviceCompliancePolicies')) {
      expect(valuesAt(policy, 'scheduledActionsForRule[].scheduledActionConfigurations[]').length).toBeGreaterThan(0);
    }
  });

  it('has app protection policies with their apps inline', () => {
    for (const type of ['iosManagedAppProtections', 'androidManagedAppProtections']) {
      for (const policy of fixture(type)) {
        expect(valuesAt(policy, 'apps[].mobileAppIdentifier').length, type).toBeGreaterThan(0);
      }
    }
  });

  it('has default and custom enrollment configurations', () => {
    const types = fixture('deviceEnrollmentConfigurations').map((o) => o['deviceEnrollmentConfigurationType']);
    expect(types).toContain('defaultLimit');
    expect(types.filter((t) => typeof t === 'string' && !t.startsWith('default')).length).toBeGreaterThanOrEqual(2);
  });

  it('has a display name that is not a legal Windows file name, so file naming is exercised', () => {
    const names = intuneResources.flatMap((d) => fixture(d.type).map((o) => String(o[d.nameField])));
    expect(names.some((n) => windowsIllegal.test(n))).toBe(true);
    expect(names).toContain('Windows 10: BitLocker / TPM');
  });
});
