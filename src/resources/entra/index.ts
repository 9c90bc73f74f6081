import type { ResourceDefinition } from '../definition.js';

export const entraResources: ResourceDefinition[] = [];
