/**
 * The tenant simulator: a Microsoft identity platform (login server) and Microsoft Graph (graph
 * server), two real HTTPS listeners on loopback that production code reaches through MSAL and its
 * own Graph client. See README.md in this folder for the API, the control routes and the time
 * semantics.
 */
import { createPublicKey, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lookups as catalogueLookups, resources as catalogueResources } from '../../src/resources/catalogue.js';
import type { LookupDefinition, ResourceDefinition } from '../../src/resources/definition.js';
import { createAppCertificate, ensureCaFiles, issueServerCert, thumbprints, trustedCaFromEnv, type CaFiles, type KeyAndCert } from './certs.js';
import { handleControl } from './control.js';
import { emptyCounters, GRAPH_RESOURCES, type AppRecord, type Core, type DeviceCodeRecord, type RefreshTokenRecord, type SigningKey } from './core.js';
import { Faults } from './faults.js';
import { FIXTURES_DIR, generateTenant, loadFixtures } from './fixtures.js';
import { githubSubject, mintGithubToken } from './github.js';
import { handleGraph } from './graph.js';
import { approveDeviceCode, findDeviceCode, handleLogin, issueDirectToken, refuseDeviceCode } from './identity.js';
import { Tenant, type TenantData } from './tenant.js';
import { DOCUMENTED_LIMITS, NO_LIMITS, Throttler, type ThrottlingConfig } from './throttle.js';
import type {
  ActiveFault,
  CertificateApp,
  Counters,
  DelegatedFailure,
  FaultSpec,
  PendingDeviceCode,
  Scenario,
  SecretApp,
  SignedInUser,
  SimulatorOptions,
  WriteRecord,
} from './types.js';
import { clone, Prng, randomToken, type Obj } from './util.js';

export const TENANT_ID = '3f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c';
export const TENANT_NAME = 'contoso';
export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';

const SECRET_APP_ID = '6e1d4c2b-8a7f-4b3e-9d5c-0f1e2a3b4c51';
const CERT_APP_ID = '6e1d4c2b-8a7f-4b3e-9d5c-0f1e2a3b4c52';

export const DEFAULT_USER: SignedInUser = {
  oid: '5d1e7c20-3a4b-4f6e-8d9c-2b1a0f9e8dad',
  upn: `admin@${TENANT_DOMAIN}`,
  name: 'Contoso Administrator',
};

/** Every permission the served definitions declare (read and write), app and delegated. */
function allPermissions(resources: readonly ResourceDefinition[], lookups: readonly LookupDefinition[]): { app: string[]; delegated: string[] } {
  const app = new Set<string>();
  const delegated = new Set<string>();
  for (const def of resources) {
    for (const p of [def.permissions.read, def.permissions.write]) {
      if (!p) continue;
      delegated.add(p);
      if (!def.delegatedOnly) app.add(p);
    }
  }
  for (const l of lookups) {
    app.add(l.permissions.read);
    delegated.add(l.permissions.read);
  }
  return { app: [...app].sort(), delegated: [...delegated].sort() };
}

function resolveThrottling(value: SimulatorOptions['throttling'], current: ThrottlingConfig = DOCUMENTED_LIMITS): ThrottlingConfig {
  if (value === false) return NO_LIMITS;
  if (value === true) return DOCUMENTED_LIMITS;
  if (value === undefined) return current;
  return { ...current, ...value };
}

// Certificates are costly to make (node-forge signs in JavaScript): one server certificate per CA
// and one default application certificate per process.
const serverCertCache = new Map<string, KeyAndCert>();
let appCertCache: KeyAndCert | undefined;

function serverCertFor(ca: CaFiles): KeyAndCert {
  let cert = serverCertCache.get(ca.certPem);
  if (!cert) {
    cert = issueServerCert(ca);
    serverCertCache.set(ca.certPem, cert);
  }
  return cert;
}

function signingKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey: createPublicKey(privateKey), kid: randomToken(20) };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on 127.0.0.1 and, when available, on ::1 with the same port (localhost may resolve to either). */
async function listenLoopback(tls: KeyAndCert, port: number, handler: Handler): Promise<{ port: number; servers: Server[] }> {
  const make = () => {
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, handler);
    server.keepAliveTimeout = 5_000;
    return server;
  };
  const v4 = make();
  await new Promise<void>((resolve, reject) => {
    v4.once('error', reject);
    v4.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (v4.address() as AddressInfo).port;
  const servers = [v4];
  const v6 = make();
  const ok = await new Promise<boolean>((resolve) => {
    v6.once('error', () => resolve(false));
    v6.listen(actual, '::1', () => resolve(true));
  });
  if (ok) servers.push(v6);
  return { port: actual, servers };
}

export interface SimulatorInfo {
  tenantId: string;
  tenantDomain: string;
  loginUrl: string;
  authority: string;
  graphUrl: string;
  caCertPath: string;
  apps: { secret: SecretApp; certificate: CertificateApp };
  github: { issuer: string; requestUrl: string; requestToken: string; subject: string };
  env: Record<string, string>;
}

/** The simulator's state (what the handlers see). */
class SimCore implements Core {
  scenario: Scenario;
  readonly tenantId = TENANT_ID;
  readonly tenantDomain = TENANT_DOMAIN;
  readonly tenantName = TENANT_NAME;
  loginUrl = '';
  graphUrl = '';
  githubIssuer = '';
  readonly apps: { secret: SecretApp; certificate: CertificateApp };
  readonly appRecords = new Map<string, AppRecord>();
  readonly sts: SigningKey;
  readonly github: SigningKey & { requestToken: string };
  readonly tenant: Tenant;
  readonly throttler: Throttler;
  readonly faults: Faults;
  readonly prng: Prng;
  counters: Counters = emptyCounters();
  writes: WriteRecord[] = [];
  readonly deviceCodes = new Map<string, DeviceCodeRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  revokedThroughSeq = 0;
  nextTokenSeq = 0;
  readonly tokenSeqByUti = new Map<string, number>();
  readonly events = new EventEmitter();
  readonly initialData: TenantData;
  servers: Server[] = [];
  private readonly logFn: (line: string) => void;
  readonly resources: readonly ResourceDefinition[];
  readonly lookupDefs: readonly LookupDefinition[];

  constructor(
    options: SimulatorOptions,
    readonly ca: CaFiles,
    readonly trusted: boolean,
  ) {
    this.resources = options.resources ?? catalogueResources;
    this.lookupDefs = options.lookups ?? catalogueLookups;
    this.logFn = options.log ?? (() => undefined);
    const perms = allPermissions(this.resources, this.lookupDefs);
    const deviceCode = { expiresInSeconds: 900, autoApprove: false as const, outcome: 'success' as const, ...options.deviceCode };
    this.scenario = {
      appRoles: options.appRoles ?? perms.app,
      appRolesByApp: options.appRolesByApp ?? {},
      delegatedScopes: options.delegatedScopes ?? perms.delegated,
      adminConsent: options.adminConsent ?? true,
      accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3599,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600,
      refreshTokenReuse: options.refreshTokenReuse ?? 'allow',
      refreshFailure: options.refreshFailure ?? null,
      deviceCode,
      user: options.user ?? DEFAULT_USER,
      throttling: resolveThrottling(options.throttling),
      timeScale: options.timeScale ?? 1,
      retryAfterMode: options.retryAfterMode ?? 'integer',
      pageSize: options.pageSize ?? 100,
      pageSizes: options.pageSizes ?? {},
      maxPageSize: options.maxPageSize ?? 999,
      github: { repository: 'contoso/tenant-config', ref: 'refs/heads/main', ...options.github },
    };
    if (!(this.scenario.timeScale > 0)) throw new Error('timeScale must be a positive number');
    this.prng = new Prng(options.seed ?? 1);
    this.faults = new Faults(this.prng);
    this.throttler = new Throttler(this.scenario.throttling, this.scenario.timeScale);
    this.sts = signingKey();
    this.github = { ...signingKey(), requestToken: randomToken(32) };

    appCertCache ??= createAppCertificate('tenant-sync test app');
    const appCert = appCertCache;
    const tp = thumbprints(appCert.certPem);
    this.apps = {
      secret: {
        clientId: SECRET_APP_ID,
        displayName: 'tenant-sync (secret)',
        servicePrincipalId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c51',
        clientSecret: `Sim8Q~${randomToken(30)}`,
      },
      certificate: {
        clientId: CERT_APP_ID,
        displayName: 'tenant-sync (certificate, federated)',
        servicePrincipalId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c52',
        privateKeyPem: appCert.keyPem,
        certPem: appCert.certPem,
        thumbprint: tp.sha1,
        thumbprintSha256: tp.sha256,
        federatedCredentials: [],
      },
    };
    this.tenant = new Tenant(this.resources, this.lookupDefs);
    this.initialData = this.initialTenant(options);
    this.tenant.load(this.initialData);
  }

  private initialTenant(options: SimulatorOptions): TenantData {
    const t = options.tenant;
    const defs = { resources: this.resources, lookups: this.lookupDefs };
    if (t === false) return {};
    if (t === undefined || t === true) return loadFixtures(FIXTURES_DIR, defs);
    if (typeof t === 'string') return loadFixtures(t, defs);
    if (typeof (t as { objects?: unknown }).objects === 'number' && typeof (t as { seed?: unknown }).seed === 'number') {
      const g = t as { objects: number; seed: number };
      return generateTenant({ objects: g.objects, seed: g.seed, ...defs });
    }
    return t as TenantData;
  }

  async listen(options: SimulatorOptions, facade: Simulator): Promise<void> {
    const tls = serverCertFor(this.ca);
    const onError = (res: ServerResponse, e: unknown) => {
      this.log(`internal error: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'generalException', message: (e as Error).message } }));
      } else res.destroy();
    };
    const login = await listenLoopback(tls, options.ports?.login ?? 0, (req, res) => {
      handleLogin(this, req, res).catch((e: unknown) => onError(res, e));
    });
    const graph = await listenLoopback(tls, options.ports?.graph ?? 0, (req, res) => {
      handleGraph(this, req, res, (rq, rs, url) => handleControl(facade, rq, rs, url)).catch((e: unknown) => onError(res, e));
    });
    this.servers = [...login.servers, ...graph.servers];
    this.loginUrl = `https://localhost:${login.port}`;
    this.graphUrl = `https://localhost:${graph.port}`;
    this.githubIssuer = `${this.loginUrl}/_github`;
    this.apps.certificate.federatedCredentials.push({
      name: 'github-main',
      issuer: this.githubIssuer,
      subject: githubSubject(this.scenario.github),
      audiences: ['api://AzureADTokenExchange'],
    });
    for (const app of [this.apps.secret, this.apps.certificate]) {
      this.appRecords.set(app.clientId.toLowerCase(), {
        clientId: app.clientId,
        displayName: app.displayName,
        servicePrincipalId: app.servicePrincipalId,
        secret: 'clientSecret' in app ? app.clientSecret : undefined,
        certificates:
          'certPem' in app
            ? [{ sha1: app.thumbprint, sha256: app.thumbprintSha256, publicKey: createPublicKey(createPrivateKey(app.privateKeyPem)) }]
            : [],
        federatedCredentials: 'federatedCredentials' in app ? app.federatedCredentials : [],
      });
    }
    this.log(`simulator: login ${this.loginUrl}, graph ${this.graphUrl}, CA ${this.ca.certPath}${this.trusted ? '' : ' (not trusted by this process)'}`);
  }

  log(line: string): void {
    this.logFn(line);
  }

  rolesFor(clientId: string): string[] {
    return this.scenario.appRolesByApp[clientId] ?? this.scenario.appRolesByApp[clientId.toLowerCase()] ?? this.scenario.appRoles;
  }

  isGraphResource(resource: string): boolean {
    const r = resource.replace(/\/+$/, '').toLowerCase();
    if (GRAPH_RESOURCES.includes(r)) return true;
    try {
      const u = new URL(r);
      const g = new URL(this.graphUrl);
      return u.protocol === 'https:' && u.port === g.port && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && (u.pathname === '/' || u.pathname === '');
    } catch {
      return false;
    }
  }
}

/**
 * A running simulator: its endpoints and credentials, and the control interface (the same
 * operations are served over HTTP at /_control/* on the Graph server, see control.ts).
 */
export class Simulator {
  /** @internal */
  readonly core: SimCore;

  /** @internal use startSimulator() */
  /** The scenario the simulator started with, which reset() puts back */
  private readonly initialScenario: Scenario;

  constructor(core: SimCore) {
    this.core = core;
    this.initialScenario = structuredClone(core.scenario);
  }

  // ----------------------------------------------------------------------------------- endpoints

  get tenantId(): string {
    return this.core.tenantId;
  }
  get tenantDomain(): string {
    return this.core.tenantDomain;
  }
  /** Authority host, e.g. https://localhost:41234 (TENANT_SYNC_AUTHORITY_HOST) */
  get loginUrl(): string {
    return this.core.loginUrl;
  }
  /** `${loginUrl}/${tenantId}` (MSAL auth.authority) */
  get authority(): string {
    return `${this.core.loginUrl}/${this.core.tenantId}`;
  }
  /** Graph root without version, e.g. https://localhost:41235 (TENANT_SYNC_GRAPH_ENDPOINT) */
  get graphUrl(): string {
    return this.core.graphUrl;
  }
  /** The CA certificate that signs the servers' certificate (NODE_EXTRA_CA_CERTS for children). */
  get caCertPath(): string {
    return this.core.ca.certPath;
  }
  /** Whether this process already trusts the CA (its NODE_EXTRA_CA_CERTS names it). */
  get trustedByThisProcess(): boolean {
    return this.core.trusted;
  }
  /** The registered apps: one with a client secret, one with a certificate and a federated credential. */
  get apps(): { secret: SecretApp; certificate: CertificateApp } {
    return this.core.apps;
  }
  /** The simulated GitHub Actions OIDC issuer (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN). */
  get github(): { issuer: string; requestUrl: string; requestToken: string } {
    return { issuer: this.core.githubIssuer, requestUrl: `${this.core.loginUrl}/_github/idtoken?api-version=2.0`, requestToken: this.core.github.requestToken };
  }

  /** Environment for a child process: trust, endpoints and the GitHub OIDC variables. */
  env(): Record<string, string> {
    return {
      NODE_EXTRA_CA_CERTS: this.caCertPath,
      TENANT_SYNC_AUTHORITY_HOST: this.loginUrl,
      TENANT_SYNC_GRAPH_ENDPOINT: this.graphUrl,
      ACTIONS_ID_TOKEN_REQUEST_URL: this.github.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.github.requestToken,
    };
  }

  info(): SimulatorInfo {
    return {
      tenantId: this.tenantId,
      tenantDomain: this.tenantDomain,
      loginUrl: this.loginUrl,
      authority: this.authority,
      graphUrl: this.graphUrl,
      caCertPath: this.caCertPath,
      apps: clone(this.apps),
      github: { ...this.github, subject: this.apps.certificate.federatedCredentials[0]?.subject ?? '' },
      env: this.env(),
    };
  }

  // ----------------------------------------------------------------------------------- scenario

  get scenario(): Readonly<Scenario> {
    return this.core.scenario;
  }

  /** Changes the scenario (permissions, throttling, token lifetimes, device code behaviour, ...). */
  setScenario(patch: Omit<SimulatorOptions, 'resources' | 'lookups' | 'tenant' | 'seed' | 'ports' | 'caDir' | 'log'>): void {
    const s = this.core.scenario;
    const p = patch;
    const next: Scenario = {
      ...s,
      ...(p as Partial<Scenario>),
      deviceCode: { ...s.deviceCode, ...p.deviceCode },
      github: { ...s.github, ...p.github },
      throttling: resolveThrottling(p.throttling, s.throttling),
      pageSizes: p.pageSizes ?? s.pageSizes,
    };
    if (!(next.timeScale > 0)) throw new Error('timeScale must be a positive number');
    this.core.scenario = next;
    this.core.throttler.configure(next.throttling, next.timeScale);
  }

  // ----------------------------------------------------------------------------------- faults

  readonly faults = {
    /** Adds a fault; see FaultSpec */
    add: (spec: FaultSpec): ActiveFault => this.core.faults.add(spec),
    remove: (id: number): boolean => this.core.faults.remove(id),
    clear: (): void => this.core.faults.clear(),
    list: (): ActiveFault[] => this.core.faults.list(),
  };

  // ----------------------------------------------------------------------------------- observation

  /** A copy of the counters (requests by method, path, type, status; 429s; batches; token requests). */
  counters(): Counters {
    return clone(this.core.counters);
  }

  resetCounters(): void {
    this.core.counters = emptyCounters();
  }

  /** Every write Graph received (method, path, type, id, body, status, time), oldest first. */
  writes(): WriteRecord[] {
    return clone(this.core.writes);
  }

  clearWrites(): void {
    this.core.writes = [];
  }

  /** The type's objects as stored (copies), relationships inline. */
  state(type: string): Obj[] {
    return clone(this.core.tenant.list(type));
  }

  /** The tenant itself: create/update/replace/remove/setAll change it directly, as the portal would (drift). */
  get tenant(): Tenant {
    return this.core.tenant;
  }

  /** Tenant back to its initial objects; counters, writes, faults and throttling windows cleared. */
  reset(): void {
    this.core.scenario = structuredClone(this.initialScenario);
    this.core.throttler.configure(this.core.scenario.throttling, this.core.scenario.timeScale);
    this.core.tenant.load(this.core.initialData);
    this.resetCounters();
    this.clearWrites();
    this.core.faults.clear();
    this.core.throttler.reset();
  }

  // ----------------------------------------------------------------------------------- tokens

  /** Access tokens issued so far are expired from now on (Graph answers 401 InvalidAuthenticationToken). */
  expireAccessTokens(): void {
    this.core.revokedThroughSeq = this.core.nextTokenSeq;
    this.core.log('simulator: access tokens expired');
  }

  /** Refresh tokens issued so far are expired (AADSTS70008 on redemption). */
  expireRefreshTokens(): void {
    for (const record of this.core.refreshTokens.values()) record.expiresAt = 0;
    this.core.log('simulator: refresh tokens expired');
  }

  /** An access token without a sign-in: app-only with roles (default: the scenario's), or delegated with scopes. */
  issueAccessToken(options: Parameters<typeof issueDirectToken>[1] = {}): string {
    return issueDirectToken(this.core, options);
  }

  /** A GitHub Actions OIDC token from the simulated issuer. */
  mintGithubToken(audience?: string): string {
    return mintGithubToken(this.core, audience);
  }

  // ----------------------------------------------------------------------------------- device code

  readonly deviceCodes: DeviceCodeControl = {
    pending: (): PendingDeviceCode[] =>
      [...this.core.deviceCodes.values()].filter((r) => r.state === 'pending' && Date.now() <= r.expiresAt).map(summary),
    approve: (options: { userCode?: string; user?: SignedInUser } = {}): PendingDeviceCode => summary(approveDeviceCode(this.core, options)),
    refuse: (options: { userCode?: string; error?: DelegatedFailure } = {}): PendingDeviceCode => summary(refuseDeviceCode(this.core, options)),
    waitForPending: (timeoutMs = 30_000): Promise<PendingDeviceCode> => {
      const existing = findDeviceCode(this.core);
      if (existing) return Promise.resolve(summary(existing));
      return new Promise((resolve, reject) => {
        const onCode = (record: DeviceCodeRecord) => {
          clearTimeout(timer);
          resolve(summary(record));
        };
        const timer = setTimeout(() => {
          this.core.events.off('deviceCode', onCode);
          reject(new Error(`No device code requested within ${timeoutMs} ms`));
        }, timeoutMs);
        this.core.events.once('deviceCode', onCode);
      });
    },
  };

  async close(): Promise<void> {
    await Promise.all(
      this.core.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.core.servers = [];
    this.core.events.removeAllListeners();
  }
}

export interface DeviceCodeControl {
  /** Device codes waiting for the user */
  pending(): PendingDeviceCode[];
  /** The user signs in (the latest pending code unless userCode names one) */
  approve(options?: { userCode?: string; user?: SignedInUser }): PendingDeviceCode;
  /** The sign-in ends with a failure: 'declined' (default), 53003, 50076, 50079, 65001 */
  refuse(options?: { userCode?: string; error?: DelegatedFailure }): PendingDeviceCode;
  /** Resolves when a device code is pending (at once if one is) */
  waitForPending(timeoutMs?: number): Promise<PendingDeviceCode>;
}

function summary(r: DeviceCodeRecord): PendingDeviceCode {
  return { userCode: r.userCode, clientId: r.clientId, scopes: [...r.scopes], expiresAt: new Date(r.expiresAt).toISOString(), polls: r.polls, state: r.state };
}

/**
 * Starts a simulator. Trust: when NODE_EXTRA_CA_CERTS names a CA with its key beside it
 * (ca-key.pem, as test/globalSetup.ts writes), the server certificate is issued by that CA, which
 * this process and its children already trust; otherwise the simulator makes its own CA
 * (options.caDir, or a temp dir) and callers pass `caCertPath` to child processes as
 * NODE_EXTRA_CA_CERTS.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const fromEnv = trustedCaFromEnv();
  const ca = fromEnv ?? ensureCaFiles(options.caDir ?? join(mkdtempSync(join(tmpdir(), 'tenant-sync-sim-')), 'ca'));
  const core = new SimCore(options, ca, fromEnv !== undefined);
  const sim = new Simulator(core);
  await core.listen(options, sim);
  return sim;
}
