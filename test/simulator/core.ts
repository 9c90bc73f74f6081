/** The simulator's shared state, as the login, Graph and control handlers see it. */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { Tenant } from './tenant.js';
import type { Throttler } from './throttle.js';
import type { Faults } from './faults.js';
import type {
  CertificateApp,
  Counters,
  DelegatedFailure,
  FederatedCredential,
  Scenario,
  SecretApp,
  SignedInUser,
  WriteRecord,
} from './types.js';
import type { Prng } from './util.js';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Public Graph resource identifiers (every cloud) accepted as token audiences besides the simulator's own URL. */
export const GRAPH_RESOURCES = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
  GRAPH_APP_ID,
];

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

export interface AppRecord {
  clientId: string;
  displayName: string;
  servicePrincipalId: string;
  secret?: string;
  certificates: { sha1: string; sha256: string; publicKey: KeyObject }[];
  federatedCredentials: FederatedCredential[];
}

export interface DeviceCodeRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  polls: number;
  state: 'pending' | 'approved' | 'refused' | 'redeemed' | 'expired';
  user?: SignedInUser;
  outcome?: 'success' | DelegatedFailure;
}

export interface RefreshTokenRecord {
  clientId: string;
  user: SignedInUser;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  used: boolean;
}

export interface Core {
  scenario: Scenario;
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly tenantName: string;
  readonly loginUrl: string;
  readonly graphUrl: string;
  readonly githubIssuer: string;
  readonly apps: { secret: SecretApp; certificate: CertificateApp };
  readonly appRecords: Map<string, AppRecord>;
  readonly sts: SigningKey;
  readonly github: SigningKey & { requestToken: string };
  readonly tenant: Tenant;
  readonly throttler: Throttler;
  readonly faults: Faults;
  readonly prng: Prng;
  counters: Counters;
  writes: WriteRecord[];
  readonly deviceCodes: Map<string, DeviceCodeRecord>;
  readonly refreshTokens: Map<string, RefreshTokenRecord>;
  /** Access tokens whose uti sequence is at or below this are treated as expired. */
  revokedThroughSeq: number;
  nextTokenSeq: number;
  readonly tokenSeqByUti: Map<string, number>;
  readonly events: EventEmitter;
  log(line: string): void;
  /** Roles granted to an app under the current scenario. */
  rolesFor(clientId: string): string[];
  /** Graph resources (token audiences) the simulator accepts. */
  isGraphResource(resource: string): boolean;
}

export function emptyCounters(): Counters {
  return {
    requests: 0,
    byMethod: {},
    byPath: {},
    byType: {},
    byStatus: {},
    httpRequests: 0,
    batches: 0,
    batchItems: 0,
    throttled: 0,
    throttledByBucket: {},
    faultsInjected: 0,
    droppedConnections: 0,
    tokenRequests: {},
    tokenErrors: {},
  };
}

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}
