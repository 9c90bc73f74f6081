import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseObject, renderJson } from '../../src/snapshot/index.js';
import { authMethods, caPolicies, settingsCatalog, testDef } from './defs.js';

const graphPolicy = {
  '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies/$entity',
  '@odata.etag': 'W/"abc"',
  id: '5a1b8c52-1c07-4b55-a8a5-1b8e5f3e2a11',
  templateId: null,
  displayName: 'Require MFA for admins',
  createdDateTime: '2024-01-02T03:04:05Z',
  modifiedDateTime: '2025-06-07T08:09:10Z',
  state: 'enabled',
  sessionControls: null,
  conditions: {
    userRiskLevels: [],
    signInRiskLevels: ['high', 'medium'],
    clientAppTypes: ['all'],
    clientApplications: {
      servicePrincipalFilter: { '@odata.type': '#microsoft.graph.conditionalAccessFilter', mode: 'include' },
    },
    users: {
      includeUsers: [],
      includeGroups: ['11111111-1111-1111-1111-111111111111'],
      'includeGroups@odata.navigationLink': 'https://graph.microsoft.com/v1.0/groups',
      excludeGroups: [],
    },
    applications: { includeApplications: ['All'] },
  },
  grantControls: {
    operator: 'OR',
    builtInControls: ['mfa'],
    'authenticationStrength@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#...',
    authenticationStrength: null,
  },
};

const expectedPolicy = `{
  "conditions": {
    "applications": {
      "includeApplications": [
        "All"
      ]
    },
    "clientAppTypes": [
      "all"
    ],
    "clientApplications": {
      "servicePrincipalFilter": {
        "mode": "include"
      }
    },
    "signInRiskLevels": [
      "high",
      "medium"
    ],
    "userRiskLevels": [],
    "users": {
      "excludeGroups": [],
      "includeGroups": [
        "11111111-1111-1111-1111-111111111111"
      ],
      "includeUsers": []
    }
  },
  "displayName": "Require MFA for admins",
  "grantControls": {
    "authenticationStrength": null,
    "builtInControls": [
      "mfa"
    ],
    "operator": "OR"
  },
  "sessionControls": null,
  "state": "enabled"
}
`;

describe('normaliseObject', () => {
  it('turns a Graph object with server fields into the expected bytes', () => {
    expect(renderJson(normaliseObject(caPolicies, graphPolicy))).toBe(expectedPolicy);
  });

  it('does not mutate its input', () => {
    const copy = structuredClone(graphPolicy);
    normaliseObject(caPolicies, graphPolicy);
    expect(graphPolicy).toEqual(copy);
  });

  it('removes the common volatile fields at the top level only', () => {
    const out = normaliseObject(testDef(), {
      id: 'x',
      displayName: 'A',
      createdDateTime: 'a',
      modifiedDateTime: 'b',
      lastModifiedDateTime: 'c',
      createdBy: { user: { id: 'u' } },
      lastModifiedBy: { user: { id: 'u' } },
      version: 7,
      deletedDateTime: null,
      templateId: 'd2b3a1c8-0000-0000-0000-000000000000',
      nested: { id: 'kept', lastModifiedDateTime: 'kept', version: 2 },
    });
    expect(out).toEqual({
      displayName: 'A',
      templateId: 'd2b3a1c8-0000-0000-0000-000000000000',
      nested: { id: 'kept', lastModifiedDateTime: 'kept', version: 2 },
    });
  });

  it('keeps id when it is the name field', () => {
    const out = normaliseObject(authMethods, {
      '@odata.type': '#microsoft.graph.fido2AuthenticationMethodConfiguration',
      id: 'Fido2',
      state: 'enabled',
    });
    expect(out).toEqual({ '@odata.type': '#microsoft.graph.fido2AuthenticationMethodConfiguration', id: 'Fido2', state: 'enabled' });
  });

  it('removes def.key when it is not the id field', () => {
    const def = testDef({ key: 'policyId' });
    expect(normaliseObject(def, { policyId: 'p', id: 'i', displayName: 'n' })).toEqual({ displayName: 'n' });
  });

  it('removes OData control information at any depth and keeps @odata.type', () => {
    const out = normaliseObject(testDef(), {
      '@odata.type': '#microsoft.graph.ipNamedLocation',
      '@odata.id': 'https://graph/x',
      '@odata.editLink': 'x',
      '@odata.nextLink': 'x',
      '@microsoft.graph.tips': 'Use $select',
      displayName: 'HQ',
      'ipRanges@odata.type': '#Collection(microsoft.graph.ipRange)',
      'ipRanges@odata.count': 1,
      ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', '@odata.etag': 'W/1', cidrAddress: '10.0.0.0/8' }],
      deep: { deeper: { 'x@odata.associationLink': 'l', '@odata.context': 'c', '@odata.id': 'i', y: 1 } },
      file: { '@microsoft.graph.downloadUrl': 'https://secret' },
    });
    expect(out).toEqual({
      '@odata.type': '#microsoft.graph.ipNamedLocation',
      deep: { deeper: { y: 1 } },
      displayName: 'HQ',
      file: {},
      'ipRanges@odata.type': '#Collection(microsoft.graph.ipRange)',
      ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '10.0.0.0/8' }],
    });
  });

  it('removes def.volatile paths, through arrays and keys with dots', () => {
    const out = normaliseObject(settingsCatalog, {
      id: 'p1',
      name: 'Baseline',
      settingCount: 2,
      assignments: [
        { id: 'a1', sourceId: 's', target: { groupId: 'g1' } },
        { id: 'a2', target: { groupId: 'g2' } },
        'not an object',
        null,
      ],
      settings: [
        { id: '0', settingInstance: { settingDefinitionId: 'd', settingInstanceTemplateReference: { x: 1 } } },
        { id: '1', settingInstance: null },
      ],
    });
    expect(out).toEqual({
      assignments: [{ target: { groupId: 'g1' } }, { target: { groupId: 'g2' } }, 'not an object', null],
      name: 'Baseline',
      settings: [{ settingInstance: { settingDefinitionId: 'd' } }, { settingInstance: null }],
    });
    expect(normaliseObject(caPolicies, { displayName: 'x', conditions: { clientApplications: null } })).toEqual({
      conditions: { clientApplications: null },
      displayName: 'x',
    });
  });

  it('keeps array order and sorts keys by code point', () => {
    const out = normaliseObject(testDef(), { z: [3, 1, 2], a: 1, B: 2, é: 3, '😀': 4, '\uff5e': 5, '10': 6, '9': 7 });
    // JavaScript itself lists integer-like keys first; the file has code-point order throughout.
    expect(Object.keys(out)).toEqual(['9', '10', 'B', 'a', 'z', 'é', '\uff5e', '😀']);
    expect(renderJson(out).split('\n').filter((l) => /^  "/.test(l)).map((l) => l.split('"')[1])).toEqual([
      '10', '9', 'B', 'a', 'z', 'é', '\uff5e', '😀',
    ]);
    expect(out.z).toEqual([3, 1, 2]);
  });

  it('rejects what is not an object', () => {
    expect(() => normaliseObject(testDef(), [1])).toThrow(TypeError);
    expect(() => normaliseObject(testDef(), null)).toThrow(/expected a JSON object/);
  });

  it('handles a __proto__ key as data', () => {
    const raw = JSON.parse('{"displayName":"x","__proto__":{"polluted":true}}') as unknown;
    const out = normaliseObject(testDef(), raw);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'displayName']);
    expect(renderJson(out)).toContain('"__proto__": {');
  });

  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  const graphObject = fc.dictionary(
    fc.oneof(
      fc.string(),
      fc.constantFrom('id', 'displayName', 'version', '@odata.type', '@odata.etag', 'x@odata.nextLink', 'createdDateTime'),
    ),
    jsonValue,
  );

  it('is idempotent, also through its own file', () => {
    fc.assert(
      fc.property(graphObject, (raw) => {
        for (const def of [testDef(), settingsCatalog, caPolicies, authMethods]) {
          const once = normaliseObject(def, raw);
          const text = renderJson(once);
          expect(normaliseObject(def, once)).toEqual(once);
          expect(renderJson(normaliseObject(def, JSON.parse(text)))).toBe(text);
        }
      }),
    );
  });
});

describe('renderJson', () => {
  it('is byte-identical across runs and key orders', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer(), (value, seed) => {
        const shuffled = shuffleKeys(value, seed);
        expect(renderJson(shuffled)).toBe(renderJson(value));
        expect(renderJson(value)).toBe(renderJson(value));
      }),
    );
  });

  it('writes 2-space JSON with a trailing newline, like JSON.stringify for sorted keys', () => {
    expect(renderJson({ b: [1, { d: null, c: 'x' }], a: {} , e: []})).toBe(
      '{\n  "a": {},\n  "b": [\n    1,\n    {\n      "c": "x",\n      "d": null\n    }\n  ],\n  "e": []\n}\n',
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = renderJson(value);
        expect(text.endsWith('\n')).toBe(true);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('follows JSON.stringify for values JSON cannot hold', () => {
    expect(renderJson({ a: undefined, b: Number.NaN, c: [undefined], d: -0 })).toBe('{\n  "b": null,\n  "c": [\n    null\n  ],\n  "d": 0\n}\n');
    expect(renderJson('x')).toBe('"x"\n');
  });
});

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  let s = seed;
  for (let i = entries.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: shuffleKeys(v, s), enumerable: true, writable: true, configurable: true });
  return out;
}
