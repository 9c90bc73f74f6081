import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/reconcile/index.js';
import { findResource } from '../../src/resources/catalogue.js';

const def = findResource('namedLocations')!;
const object = (type: string, extra: Record<string, unknown>) => ({ '@odata.type': type, displayName: 'HQ', ...extra });

describe('an update that changes @odata.type', () => {
  it('is a plan error (Graph keeps an object\'s kind for life), not a write', () => {
    const tenant = { namedLocations: [{ file: 'HQ', object: object('#microsoft.graph.ipNamedLocation', { ipRanges: [] }) }] };
    const desired = { namedLocations: [{ file: 'HQ', object: object('#microsoft.graph.countryNamedLocation', { countriesAndRegions: ['FR'] }) }] };
    const { plan } = reconcile({ tenantName: 'contoso', defs: [def], base: tenant, tenant, desired, idMap: { namedLocations: { HQ: 'loc-1' } } });
    expect(plan.items).toEqual([]);
    expect(plan.errors).toEqual([expect.objectContaining({ kind: 'type-changed', code: 'WRITE_NOT_SUPPORTED', name: 'HQ', params: expect.objectContaining({ from: '#microsoft.graph.ipNamedLocation', to: '#microsoft.graph.countryNamedLocation' }) })]);
  });

  it('the same kind with other changes is an ordinary update', () => {
    const tenant = { namedLocations: [{ file: 'HQ', object: object('#microsoft.graph.ipNamedLocation', { ipRanges: [] }) }] };
    const desired = { namedLocations: [{ file: 'HQ', object: object('#microsoft.graph.ipNamedLocation', { ipRanges: ['10.0.0.0/8'] }) }] };
    const { plan } = reconcile({ tenantName: 'contoso', defs: [def], base: tenant, tenant, desired, idMap: { namedLocations: { HQ: 'loc-1' } } });
    expect(plan.items.map((i) => i.action)).toEqual(['update']);
    expect(plan.errors).toEqual([]);
  });
});
