import type { ResourceDefinition } from '../definition.js';
import { teamsAppSettings } from './teamsAppSettings.js';

export const teamsResources: ResourceDefinition[] = [teamsAppSettings];

export { teamsAppSettings };
