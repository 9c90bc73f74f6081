import { describe, expect, it } from 'vitest';
import { applyOrder, createWrite, updateWrite } from '../../src/deploy/index.js';
import { findResource } from '../../src/resources/catalogue.js';
import { defineResource } from '../../src/resources/definition.js';
import { createItem } from './helpers.js';

const def = (type: string) => findResource(type)!;

describe('request bodies from the definitions', () => {
  it('create: the whole object, assignments and actions after it, createOnly properties in it', () => {
    const compliance = createWrite(def('deviceCompliancePolicies'), {
      '@odata.type': '#microsoft.graph.iosCompliancePolicy',
      displayName: 'x',
      scheduledActionsForRule: [{ ruleName: 'PasswordRequired' }],
      assignments: [{ target: { groupId: 'g' } }],
    });
    expect(compliance.main).toEqual({
      method: 'POST',
      body: { '@odata.type': '#microsoft.graph.iosCompliancePolicy', displayName: 'x', scheduledActionsForRule: [{ ruleName: 'PasswordRequired' }] },
    });
    expect(compliance.followUps).toEqual([{ suffix: 'assign', method: 'POST', body: { assignments: [{ target: { groupId: 'g' } }] }, property: 'assignments' }]);

    const enrollment = createWrite(def('deviceEnrollmentConfigurations'), { displayName: 'x', priority: 2, assignments: [] });
    expect(enrollment.main!.body).toEqual({ displayName: 'x' });
    expect(enrollment.followUps).toEqual([{ suffix: 'setPriority', method: 'POST', body: { priority: 2 }, property: 'priority' }]);

    // Authentication strengths take allowedCombinations in the create body.
    const strength = createWrite(def('authenticationStrengthPolicies'), { displayName: 'x', allowedCombinations: ['fido2'] });
    expect(strength.main!.body).toEqual({ displayName: 'x', allowedCombinations: ['fido2'] });
    expect(strength.followUps).toEqual([]);
  });

  it('update: PATCH of what changes, null for what the file dropped, never immutable properties', () => {
    const ca = def('conditionalAccessPolicies');
    const before = { displayName: 'p', state: 'enabled', sessionControls: { x: 1 }, templateId: 'a' };
    const after = { displayName: 'p', state: 'disabled', templateId: 'b' };
    const write = updateWrite(ca, before, after, after);
    expect(write.main).toEqual({ method: 'PATCH', body: { state: 'disabled', sessionControls: null } });
    expect(write.notWritable).toEqual(['templateId']);
    expect(write.followUps).toEqual([]);

    const nothing = updateWrite(ca, before, before, before);
    expect(nothing.main).toBeUndefined();
  });

  it('update: PUT carries the whole object (settings included), without assignments', () => {
    const policy = def('configurationPolicies');
    const before = { '@odata.type': '#t', name: 'p', settings: [{ a: 1 }], assignments: [{ target: {} }] };
    const after = { '@odata.type': '#t', name: 'p', settings: [{ a: 2 }], assignments: [{ target: {} }] };
    expect(updateWrite(policy, before, after, after)).toMatchObject({ main: { method: 'PUT', body: { name: 'p', settings: [{ a: 2 }] } }, followUps: [] });
  });

  it('redacted values are dropped only where their condition holds', () => {
    const profiles = def('deviceConfigurations');
    const settings = (third: unknown) => [
      { omaUri: 'a', isEncrypted: false, value: 1 },
      { omaUri: 'b', isEncrypted: true, value: third },
    ];
    const before = { '@odata.type': '#c', displayName: 'd', omaSettings: settings('cipher'), description: 'x' };
    const write = updateWrite(profiles, before, { ...before, description: 'y' }, { ...before, description: 'y' });
    // The settings did not change: not sent at all, so the encrypted value stays as it is.
    expect(write.main!.body).toEqual({ '@odata.type': '#c', description: 'y' });
    expect(write.dropped).toEqual([]);
    const created = createWrite(profiles, before);
    expect(created.main!.body.omaSettings).toEqual([{ omaUri: 'a', isEncrypted: false, value: 1 }, { omaUri: 'b', isEncrypted: true }]);
    expect(created.dropped).toEqual(['omaSettings[1].value']);
  });

  it('a plain redacted path drops every value it reaches', () => {
    const withSecret = defineResource({
      type: 'things',
      workload: 'entra',
      title: 'Things',
      docs: 'https://example.com/things',
      api: 'v1.0',
      path: '/things',
      kind: 'collection',
      permissions: { read: 'Things.Read.All', write: 'Things.ReadWrite.All' },
      write: { create: {}, update: {}, redacted: ['secret', 'keys[].value'] },
    });
    const before = { displayName: 't', secret: null, keys: [{ name: 'a', value: null }] };
    const after = { displayName: 't', keys: [{ name: 'a', value: null }, { name: 'b', value: 'x' }] };
    const write = updateWrite(withSecret, before, after, after);
    // 'secret' is not cleared although the file lacks it: a redacted value is never sent, not even as null.
    expect(write.main!.body).toEqual({ keys: [{ name: 'a' }, { name: 'b' }] });
    expect(write.dropped).toEqual(['keys[0].value', 'keys[1].value']);
  });
});

describe('apply order', () => {
  it('creates and updates in dependency order, deletes in reverse', () => {
    const item = (type: string, action: 'create' | 'delete') => {
      const created = createItem(type, { displayName: `${type} ${action}`, name: `${type} ${action}` });
      return action === 'create'
        ? created
        : { ...created, action: 'delete' as const, id: 'x', tenantFile: 'f', tenantHash: '0'.repeat(64), before: {}, after: null };
    };
    const order = applyOrder([
      item('namedLocations', 'delete'),
      item('conditionalAccessPolicies', 'delete'),
      item('configurationPolicies', 'create'),
      item('conditionalAccessPolicies', 'create'),
      item('roleScopeTags', 'create'),
      item('namedLocations', 'create'),
      item('roleScopeTags', 'delete'),
      item('configurationPolicies', 'delete'),
    ]);
    expect(order.map((i) => `${i.action} ${i.type}`)).toEqual([
      'create namedLocations',
      'create conditionalAccessPolicies',
      'create roleScopeTags',
      'create configurationPolicies',
      'delete configurationPolicies',
      'delete roleScopeTags',
      'delete conditionalAccessPolicies',
      'delete namedLocations',
    ]);
  });
});
