import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectReferencedIds, replaceIdsWithNames, replaceNamesWithIds } from '../../src/snapshot/index.js';
import { caPolicies, settingsCatalog, testDef } from './defs.js';

const G1 = '11111111-1111-1111-1111-111111111111';
const G2 = '22222222-2222-2222-2222-222222222222';
const L1 = '33333333-3333-3333-3333-333333333333';
const U1 = '44444444-4444-4444-4444-444444444444';

const policy = {
  displayName: 'Require MFA',
  conditions: {
    users: { includeUsers: ['All', U1], includeGroups: [G1, G2], excludeGroups: [G2] },
    locations: { includeLocations: ['AllTrusted', L1] },
  },
};

const names: Record<string, Record<string, string>> = {
  groups: { [G1]: 'Admins', [G2]: 'Break glass' },
  users: { [U1]: 'admin@contoso.com' },
  namedLocations: { [L1]: 'Head office' },
};
const nameOf = (target: string, id: string): string | undefined => names[target]?.[id];
const idOf = (target: string, name: string): string | undefined =>
  Object.entries(names[target] ?? {}).find(([, n]) => n === name)?.[0];

describe('collectReferencedIds', () => {
  it('collects ids per target, without keywords', () => {
    const ids = collectReferencedIds(caPolicies, policy);
    expect(ids).toEqual(
      new Map([
        ['groups', new Set([G1, G2])],
        ['users', new Set([U1])],
        ['namedLocations', new Set([L1])],
      ]),
    );
  });

  it('walks nested arrays and skips missing, null and non-string values', () => {
    const ids = collectReferencedIds(settingsCatalog, {
      name: 'x',
      roleScopeTagIds: ['0', '7'],
      assignments: [
        { target: { groupId: G1, deviceAndAppManagementAssignmentFilterId: '00000000-0000-0000-0000-000000000000' } },
        { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } },
        { target: null },
        null,
        { target: { groupId: 5 } },
        { target: { groupId: G2, deviceAndAppManagementAssignmentFilterId: 'f1' } },
      ],
    });
    expect(ids).toEqual(
      new Map([
        ['groups', new Set([G1, G2])],
        ['assignmentFilters', new Set(['f1'])],
        ['roleScopeTags', new Set(['7'])],
      ]),
    );
    expect(collectReferencedIds(settingsCatalog, { name: 'x' })).toEqual(new Map());
    expect(collectReferencedIds(caPolicies, { conditions: { users: null } })).toEqual(new Map());
  });
});

describe('replaceIdsWithNames', () => {
  it('replaces ids by names, keeps keywords, never mutates the input', () => {
    const before = structuredClone(policy);
    const { object, unresolved } = replaceIdsWithNames(caPolicies, policy, nameOf);
    expect(policy).toEqual(before);
    expect(unresolved).toEqual([]);
    expect(object).toEqual({
      displayName: 'Require MFA',
      conditions: {
        users: { includeUsers: ['All', 'admin@contoso.com'], includeGroups: ['Admins', 'Break glass'], excludeGroups: ['Break glass'] },
        locations: { includeLocations: ['AllTrusted', 'Head office'] },
      },
    });
  });

  it('keeps an id without a name and reports where it is', () => {
    const { object, unresolved } = replaceIdsWithNames(caPolicies, policy, (t, id) => (id === G2 ? undefined : nameOf(t, id)));
    const users = (object.conditions as { users: { includeGroups: string[] } }).users;
    expect(users.includeGroups).toEqual(['Admins', G2]);
    expect(unresolved).toEqual([
      { path: 'conditions.users.includeGroups[1]', target: 'groups', id: G2 },
      { path: 'conditions.users.excludeGroups[0]', target: 'groups', id: G2 },
    ]);
  });

  it('replaces scalar paths through arrays', () => {
    const { object, unresolved } = replaceIdsWithNames(
      settingsCatalog,
      { assignments: [{ target: { groupId: G1 } }, { target: { groupId: 'gone' } }] },
      nameOf,
    );
    expect(object).toEqual({ assignments: [{ target: { groupId: 'Admins' } }, { target: { groupId: 'gone' } }] });
    expect(unresolved).toEqual([{ path: 'assignments[1].target.groupId', target: 'groups', id: 'gone' }]);
  });

  it('looks each place up once even when two references reach it', () => {
    const def = testDef({
      references: [
        { path: 'a[]', target: 'groups' },
        { path: 'a[]', target: 'groups' },
      ],
    });
    const { object } = replaceIdsWithNames(def, { a: [G1] }, nameOf);
    expect(object).toEqual({ a: ['Admins'] });
  });
});

describe('replaceNamesWithIds', () => {
  it('replaces names by ids, keeps keywords, reports names without an id', () => {
    const { object: named } = replaceIdsWithNames(caPolicies, policy, nameOf);
    const { object, unresolved } = replaceNamesWithIds(caPolicies, named, (t, n) => (n === 'Head office' ? undefined : idOf(t, n)));
    expect(unresolved).toEqual([{ path: 'conditions.locations.includeLocations[1]', target: 'namedLocations', name: 'Head office' }]);
    expect((object.conditions as { locations: unknown }).locations).toEqual({ includeLocations: ['AllTrusted', 'Head office'] });
    expect((object.conditions as { users: unknown }).users).toEqual(policy.conditions.users);
  });

  it('round-trips ids -> names -> ids when names are unique', () => {
    const id = fc.uuid();
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (groups, inc, asg, withKeyword) => {
          const groupNames = new Map(groups.map((g, i) => [g, `Group ${i}`]));
          const pick = (n: number): string => groups[n % groups.length]!;
          const original = {
            conditions: { users: { includeGroups: inc.map(pick), includeUsers: withKeyword ? ['All'] : [] } },
            assignments: asg.map((n) => ({ target: { groupId: pick(n) } })),
          };
          const def = testDef({
            references: [
              ...caPolicies.references,
              { path: 'assignments[].target.groupId', target: 'groups', keywords: [] },
            ],
          });
          const toNames = replaceIdsWithNames(def, original, (t, i) => (t === 'groups' ? groupNames.get(i) : undefined));
          expect(toNames.unresolved).toEqual([]);
          const back = replaceNamesWithIds(def, toNames.object, (t, n) =>
            t === 'groups' ? [...groupNames].find(([, name]) => name === n)?.[0] : undefined,
          );
          expect(back.unresolved).toEqual([]);
          expect(back.object).toEqual(original);
        },
      ),
    );
  });

  it('rejects what is not an object', () => {
    expect(() => replaceNamesWithIds(caPolicies, 'x', idOf)).toThrow(TypeError);
  });
});
