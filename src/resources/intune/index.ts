import type { ResourceDefinition } from '../definition.js';

export const intuneResources: ResourceDefinition[] = [];
