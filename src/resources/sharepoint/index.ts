import type { ResourceDefinition } from '../definition.js';
import { sharePointSettings } from './sharePointSettings.js';

export const sharepointResources: ResourceDefinition[] = [sharePointSettings];

export { sharePointSettings };
