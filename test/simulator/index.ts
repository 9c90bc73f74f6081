/** The tenant simulator (Microsoft identity platform + Microsoft Graph test double). */
export { startSimulator, Simulator, TENANT_ID, TENANT_NAME, TENANT_DOMAIN, DEFAULT_USER } from './simulator.js';
export type { SimulatorInfo, DeviceCodeControl } from './simulator.js';
export { loadFixtures, generateTenant, FIXTURES_DIR } from './fixtures.js';
export { Tenant } from './tenant.js';
export { DOCUMENTED_LIMITS, NO_LIMITS, formatRetryAfter } from './throttle.js';
export { ensureCaFiles, trustedCaFromEnv, CA_CERT_FILE, CA_KEY_FILE } from './certs.js';
export * from './types.js';
