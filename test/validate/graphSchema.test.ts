import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateGraphSchema, renderGraphSchema, SCHEMA_FILE } from '../../scripts/graph-schema.js';
import { resources } from '../../src/resources/catalogue.js';
import type { ResourceDefinition } from '../../src/resources/definition.js';
import { checkObject, didYouMean, editDistance, formatPath, graphSchema, graphTypeName } from '../../src/resources/graphSchema.js';
import { loadFixtures } from '../simulator/fixtures.js';
import { normaliseObject } from '../../src/snapshot/normalise.js';

const def = (type: string): ResourceDefinition => {
  const found = resources.find((r) => r.type === type);
  if (!found) throw new Error(`no definition ${type}`);
  return found;
};

describe('the generated Graph schema', () => {
  it('is what scripts/graph-schema.ts generates now (run: node --import tsx scripts/graph-schema.ts)', () => {
    const fresh = renderGraphSchema(generateGraphSchema());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    // A plain equality check; the message says what to do rather than printing 300 KB of diff.
    expect(committed === fresh, `${SCHEMA_FILE} is stale: run node --import tsx scripts/graph-schema.ts`).toBe(true);
  });

  it('stays small enough to bundle (under 1.5 MB)', () => {
    expect(statSync(SCHEMA_FILE).size).toBeLessThan(1.5 * 1024 * 1024);
  });

  it.each(resources.map((r) => [r.type, r] as const))('%s names a Graph type the schema describes', (_, d) => {
    expect(d.graphType, `${d.type} has no graphType`).toMatch(/^microsoft\.graph\./);
    expect(graphSchema(d.api).has(graphTypeName(d.graphType!))).toBe(true);
  });

  it('keeps derived types and inherited properties', () => {
    const v1 = graphSchema('v1.0');
    expect(v1.type('namedLocation')!.derived).toEqual(expect.arrayContaining(['countryNamedLocation', 'ipNamedLocation']));
    const ip = v1.type('ipNamedLocation')!;
    expect(ip.base).toBe('namedLocation');
    expect(ip.properties.get('displayName')).toBe('string');
    expect(ip.properties.get('id')).toBe('string');
    expect(ip.properties.get('ipRanges')).toBe('array:object:ipRange');
    expect(v1.type('conditionalAccessPolicy')!.properties.get('state')).toBe('enum:conditionalAccessPolicyState');
    expect(v1.enumValues('conditionalAccessPolicyState')).toEqual(['enabled', 'disabled', 'enabledForReportingButNotEnforced']);

    const beta = graphSchema('beta');
    expect(beta.type('deviceConfiguration')!.derived.length).toBeGreaterThan(50);
    expect(beta.type('windows10GeneralConfiguration')!.properties.get('passwordMinimumLength')).toBe('number');
    expect(beta.type('iosCompliancePolicy')!.properties.get('passcodeMinimumLength')).toBe('number');
    // Nested complex types and their derived types: an assignment's target.
    expect(beta.type('deviceConfigurationAssignment')!.properties.get('target')).toBe('object:deviceAndAppManagementAssignmentTarget');
    expect(beta.type('deviceAndAppManagementAssignmentTarget')!.derived).toEqual(
      expect.arrayContaining(['groupAssignmentTarget', 'exclusionGroupAssignmentTarget', 'allDevicesAssignmentTarget']),
    );
  });
});

describe('every fixture object passes the check', () => {
  const fixtures = loadFixtures();
  const cases = resources.flatMap((d) => (fixtures[d.type] ?? []).map((o, i) => [`${d.type}[${i}]`, d, o] as const));

  it('covers every catalogue type', () => {
    expect(resources.filter((d) => !fixtures[d.type]?.length).map((d) => d.type)).toEqual([]);
  });

  it.each(cases)('%s', (_, d, raw) => {
    const object = normaliseObject(d, raw);
    expect(checkObject(d, object)).toEqual([]);
  });
});

describe('checkObject', () => {
  const ca = def('conditionalAccessPolicies');

  it('names a misspelt property and the one meant', () => {
    const issues = checkObject(ca, { displayName: 'x', stat: 'enabled' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ kind: 'unknown-property', path: ['stat'] });
    expect(issues[0]!.message).toBe('property "stat" is not a property of conditionalAccessPolicy; did you mean "state"?');
    expect(issues[0]!.fix).toContain('Rename "stat" to "state"');
  });

  it('checks nested objects, arrays and enum values', () => {
    const issues = checkObject(ca, {
      displayName: 'x',
      state: 'enabld',
      conditions: { user: {}, users: { includeGroups: 'Finance' }, clientAppTypes: ['all', 7] },
    });
    expect(issues.map((i) => [i.kind, formatPath(i.path)])).toEqual([
      ['unknown-value', 'state'],
      ['unknown-property', 'conditions.user'],
      ['wrong-kind', 'conditions.users.includeGroups'],
      ['wrong-kind', 'conditions.clientAppTypes[1]'],
    ]);
    expect(issues[0]!.message).toContain('did you mean "enabled"?');
    expect(issues[1]!.message).toBe('property "conditions.user" is not a property of conditionalAccessConditionSet; did you mean "users"?');
    expect(issues[2]!.message).toBe('property "conditions.users.includeGroups" should be an array of strings, not a string');
    expect(issues[2]!.fix).toContain('["Finance"]');
  });

  it('says a number written as a string should be a number', () => {
    const issues = checkObject(def('deviceCompliancePolicies'), {
      '@odata.type': '#microsoft.graph.iosCompliancePolicy',
      displayName: 'iOS',
      passcodeMinimumLength: '6',
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toBe('property "passcodeMinimumLength" should be a number, not a string');
    expect(issues[0]!.fix).toBe('Write the number without quotes: 6.');
  });

  it('picks the type by @odata.type and names the known ones of the family for an unknown one', () => {
    const nl = def('namedLocations');
    const [typo] = checkObject(nl, { '@odata.type': '#microsoft.graph.ipNamedLocations', displayName: 'HQ' });
    expect(typo!.kind).toBe('unknown-type');
    expect(typo!.message).toBe('@odata.type "#microsoft.graph.ipNamedLocations" is not a type of namedLocation; did you mean "#microsoft.graph.ipNamedLocation"?');
    expect(typo!.fix).toContain('#microsoft.graph.countryNamedLocation');
    const [other] = checkObject(nl, { '@odata.type': '#microsoft.graph.conditionalAccessPolicy', displayName: 'HQ' });
    expect(other!.message).toContain('is not a type of namedLocation');
    expect(other!.fix).toContain('#microsoft.graph.ipNamedLocation');
    // A property of a sibling type: the @odata.type is the likely mistake.
    const [sibling] = checkObject(nl, { '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'HQ', countriesAndRegions: ['FR'] });
    expect(sibling!.message).toBe('property "countriesAndRegions" is not a property of ipNamedLocation');
    expect(sibling!.fix).toContain('countryNamedLocation');
  });

  it('checks polymorphic nested objects (an assignment target) by their @odata.type', () => {
    const issues = checkObject(def('deviceConfigurations'), {
      '@odata.type': '#microsoft.graph.windows10GeneralConfiguration',
      displayName: 'x',
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'All staff', groupid: 'x' } }],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'property "assignments[0].target.groupid" is not a property of groupAssignmentTarget; did you mean "groupId"?',
    ]);
    const wrongTarget = checkObject(def('deviceConfigurations'), {
      '@odata.type': '#microsoft.graph.windows10GeneralConfiguration',
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTargets' } }],
    });
    expect(wrongTarget[0]!.message).toContain('is not a type of deviceAndAppManagementAssignmentTarget; did you mean "#microsoft.graph.groupAssignmentTarget"?');
  });

  it('accepts references by name, nulls, annotations and flag enums', () => {
    expect(
      checkObject(ca, {
        displayName: 'x',
        state: 'enabled',
        description: null,
        'conditions@odata.type': '#microsoft.graph.conditionalAccessConditionSet',
        conditions: { users: { includeGroups: ['Finance team'], excludeUsers: ['Break glass'] }, locations: { includeLocations: ['All'] } },
        grantControls: { operator: 'OR', builtInControls: ['mfa'], authenticationStrength: { id: 'Phishing-resistant MFA' } },
      }),
    ).toEqual([]);
  });

  it('falls back on beta for what v1.0 endpoints return but only beta describes', () => {
    const methods = def('authenticationMethodConfigurations');
    expect(graphSchema('v1.0').has('hardwareOathAuthenticationMethodConfiguration')).toBe(false);
    expect(graphSchema('beta').has('hardwareOathAuthenticationMethodConfiguration')).toBe(true);
    expect(checkObject(methods, { '@odata.type': '#microsoft.graph.hardwareOathAuthenticationMethodConfiguration', id: 'HardwareOath', state: 'disabled' })).toEqual([]);
  });
});

describe('did you mean', () => {
  it('finds the same word in another case, a transposition, a missing letter; nothing far away', () => {
    expect(didYouMean('displayname', ['displayName', 'description'])).toBe('displayName');
    expect(didYouMean('desciption', ['displayName', 'description'])).toBe('description');
    expect(didYouMean('stae', ['state', 'conditions'])).toBe('state');
    expect(didYouMean('grantControl', ['grantControls', 'sessionControls'])).toBe('grantControls');
    expect(didYouMean('banana', ['state', 'conditions'])).toBeUndefined();
    expect(didYouMean('state', ['state'])).toBeUndefined();
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
