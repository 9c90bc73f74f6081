/** Public types of the tenant simulator. */
import type { LookupDefinition, ResourceDefinition } from '../../src/resources/definition.js';
import type { TenantData } from './tenant.js';
import type { ThrottlingConfig } from './throttle.js';

export type { TenantData } from './tenant.js';
export type { ThrottlingConfig, Limit } from './throttle.js';

/** Failures a delegated sign-in can end with (AADSTS codes). */
export type DelegatedFailure = 53003 | 50076 | 50079 | 65001 | 'declined';

export interface SignedInUser {
  oid: string;
  upn: string;
  name: string;
}

export interface DeviceCodeScenario {
  /** Seconds until the code expires (real seconds; MSAL checks them with its own clock). Default 900. */
  expiresInSeconds: number;
  /** Polling interval the server asks for, seconds (MSAL waits interval*1000 ms). Default max(1, round(5/timeScale)). */
  intervalSeconds?: number;
  /** Approve automatically after this many polls (demo); false waits for approve()/refuse(). */
  autoApprove: false | { afterPolls: number; user?: SignedInUser };
  /** What an approval ends with: tokens, or an AADSTS failure (Conditional Access, MFA, consent, declined). */
  outcome: 'success' | DelegatedFailure;
}

export interface Scenario {
  /** Application permissions (roles) granted with admin consent to every registered app. */
  appRoles: string[];
  /** Per-app override of appRoles, by client id. */
  appRolesByApp: Record<string, string[]>;
  /** Delegated permissions consented for users (scp). */
  delegatedScopes: string[];
  /** false: client-credential requests fail with AADSTS65001 (no admin consent). */
  adminConsent: boolean;
  /** Access token lifetime in real seconds (expires_in and exp). Default 3599. */
  accessTokenLifetimeSeconds: number;
  /** Refresh token lifetime in real seconds; past it AADSTS70008. Default 90 days. */
  refreshTokenLifetimeSeconds: number;
  /** 'allow' (Entra's behaviour): a refresh token stays valid after use; 'reject': single use. */
  refreshTokenReuse: 'allow' | 'reject';
  /** Failure returned when a refresh token is redeemed (a policy that now blocks the user). */
  refreshFailure: DelegatedFailure | 70008 | null;
  deviceCode: DeviceCodeScenario;
  /** The user who completes device-code sign-in unless approve() names another. */
  user: SignedInUser;
  /** Graph throttling (documented limits by default); false disables all. */
  throttling: ThrottlingConfig;
  /** Speeds the simulator's clock: throttling windows, Retry-After values and latency are divided by it. */
  timeScale: number;
  /** Retry-After format: whole seconds (default) or decimals like Graph's documented "2.128". */
  retryAfterMode: 'integer' | 'decimal';
  /** Default page size of lists. Default 100. */
  pageSize: number;
  /** Page size per type ('configurationPolicies') or child collection ('configurationPolicies/settings'). */
  pageSizes: Record<string, number>;
  /** Largest $top honoured. Default 999. */
  maxPageSize: number;
  /** The GitHub Actions run whose OIDC token the simulated issuer mints. */
  github: { repository: string; ref: string; environment?: string; subject?: string };
}

export interface SimulatorOptions extends Partial<Omit<Scenario, 'deviceCode' | 'throttling' | 'github'>> {
  deviceCode?: Partial<DeviceCodeScenario>;
  /** false: no throttling; true/undefined: documented limits; or explicit limits per bucket. */
  throttling?: boolean | Partial<ThrottlingConfig>;
  github?: Partial<Scenario['github']>;
  /** Resource definitions served (default: the catalogue). */
  resources?: readonly ResourceDefinition[];
  /** Lookup definitions served (default: the catalogue's lookups). */
  lookups?: readonly LookupDefinition[];
  /**
   * The tenant's objects: true/undefined loads fixtures (test/simulator/fixtures), a directory path
   * loads fixtures from there, false starts empty, { objects, seed } generates a tenant,
   * or the objects themselves.
   */
  tenant?: boolean | string | { objects: number; seed: number } | TenantData;
  /** Seed of the random faults and generated ids. Default 1. */
  seed?: number;
  /** Ports to listen on (default: ephemeral). */
  ports?: { login?: number; graph?: number };
  /** Where the simulator's own CA goes when NODE_EXTRA_CA_CERTS names none (default: a temp dir). */
  caDir?: string;
  /** Receives one line per notable event (never tokens or secrets). */
  log?: (line: string) => void;
}

export interface RegisteredApp {
  clientId: string;
  displayName: string;
  /** Service principal object id (oid of app tokens). */
  servicePrincipalId: string;
}

export interface SecretApp extends RegisteredApp {
  clientSecret: string;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface CertificateApp extends RegisteredApp {
  privateKeyPem: string;
  certPem: string;
  /** SHA-1 thumbprint, upper-case hex (MSAL clientCertificate.thumbprint) */
  thumbprint: string;
  /** SHA-256 thumbprint, upper-case hex (MSAL clientCertificate.thumbprintSha256) */
  thumbprintSha256: string;
  federatedCredentials: FederatedCredential[];
}

export interface WriteRecord {
  method: string;
  /** Path and query as requested, e.g. /beta/deviceManagement/configurationPolicies/{id}/assign */
  path: string;
  type?: string;
  id?: string;
  body: unknown;
  status: number;
  /** ISO time */
  time: string;
  batched: boolean;
  requestId: string;
  /** The client-request-id the request carried (the simulator's request-id when it carried none) */
  clientRequestId: string;
}

export interface Counters {
  /** Logical Graph requests (plain requests and $batch items, not the envelopes) */
  requests: number;
  byMethod: Record<string, number>;
  /** 'GET /v1.0/identity/conditionalAccess/policies' */
  byPath: Record<string, number>;
  byType: Record<string, number>;
  byStatus: Record<string, number>;
  /** HTTP requests to Graph (a $batch counts once) */
  httpRequests: number;
  batches: number;
  batchItems: number;
  /** 429 answers (plain or per batch item) */
  throttled: number;
  throttledByBucket: Record<string, number>;
  faultsInjected: number;
  droppedConnections: number;
  /** Token endpoint requests by grant type, and their failures by AADSTS code */
  tokenRequests: Record<string, number>;
  tokenErrors: Record<string, number>;
}

export interface FaultMatch {
  method?: string;
  /** Substring of the request path */
  pathIncludes?: string;
  /** Catalogue type */
  type?: string;
}

export type FaultSpec =
  /** Answer the next `count` matching requests (or a `rate` fraction, seeded) with a status (503/504/500...) */
  | { kind: 'status'; status: number; count?: number; rate?: number; match?: FaultMatch; retryAfterSeconds?: number }
  /** Destroy the connection mid-response ('after': the request was processed; 'before': it was not) */
  | { kind: 'drop'; count?: number; rate?: number; match?: FaultMatch; phase?: 'before' | 'after' }
  /** Delay responses (simulated ms, divided by timeScale) */
  | { kind: 'latency'; fixedMs: number; jitterMs?: number; match?: FaultMatch }
  /** Every read of a type fails with 500 or 403 */
  | { kind: 'failType'; type: string; status: 500 | 403 | number }
  /** The Nth page (1-based) of a type's list (or of its child collection) fails */
  | { kind: 'failPage'; type: string; page: number; child?: string; status?: number; count?: number };

export interface ActiveFault {
  id: number;
  spec: FaultSpec;
  /** How many times it fired */
  fired: number;
  /** Remaining firings when count-limited */
  remaining?: number;
}

export interface PendingDeviceCode {
  userCode: string;
  clientId: string;
  scopes: string[];
  /** ISO time */
  expiresAt: string;
  polls: number;
  state: 'pending' | 'approved' | 'refused' | 'redeemed' | 'expired';
}
