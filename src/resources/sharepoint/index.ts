import type { ResourceDefinition } from '../definition.js';

export const sharepointResources: ResourceDefinition[] = [];
