import { defineResource } from '../definition.js';
import { appProtectionDefinition } from './common.js';

/** App protection policies for iOS/iPadOS (iosManagedAppProtection). */
export const iosManagedAppProtections = defineResource(
  appProtectionDefinition({
    type: 'iosManagedAppProtections',
    title: 'App protection policies (iOS/iPadOS)',
    docsPage: 'intune-mam-iosmanagedappprotection',
    graphType: 'microsoft.graph.iosManagedAppProtection',
  }),
);
