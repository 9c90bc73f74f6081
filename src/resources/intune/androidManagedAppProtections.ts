import { defineResource } from '../definition.js';
import { appProtectionDefinition } from './common.js';

/** App protection policies for Android (androidManagedAppProtection). */
export const androidManagedAppProtections = defineResource(
  appProtectionDefinition({
    type: 'androidManagedAppProtections',
    title: 'App protection policies (Android)',
    docsPage: 'intune-mam-androidmanagedappprotection',
    graphType: 'microsoft.graph.androidManagedAppProtection',
  }),
);
