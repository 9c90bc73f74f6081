import type { LookupDefinition, ResourceDefinition } from './definition.js';
import { entraResources } from './entra/index.js';
import { intuneResources } from './intune/index.js';
import { sharepointResources } from './sharepoint/index.js';
import { teamsResources } from './teams/index.js';
import { lookups } from './lookups.js';

export const resources: readonly ResourceDefinition[] = [...entraResources, ...intuneResources, ...sharepointResources, ...teamsResources];

const byType = new Map(resources.map((r) => [r.type, r]));
const lookupByType = new Map(lookups.map((l) => [l.type, l]));

export function findResource(type: string): ResourceDefinition | undefined {
  return byType.get(type);
}

export function findLookup(type: string): LookupDefinition | undefined {
  return lookupByType.get(type);
}

export { lookups };
