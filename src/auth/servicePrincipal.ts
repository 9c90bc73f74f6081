import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node';
import { TenantSyncError } from '../errors/index.js';
import type { TokenProvider } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import { authErrorFromMsal } from './errors.js';
import { federatedClientAssertion } from './federated.js';
import { SignInNetworkClient } from './network.js';

export type ServicePrincipalCredential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; privateKeyPem: string; certificatePem: string }
  /** Fetches a fresh assertion (GitHub OIDC token) for every token request: it lives ~5 minutes */
  | { kind: 'federated'; getAssertion: () => Promise<string> };

export interface ServicePrincipalOptions {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  graphEndpoint: string;
  credential: ServicePrincipalCredential;
  log: Logger;
  /** The admin consent link of the tenant's cloud, given with AADSTS65001 */
  adminConsentUrl?: string;
}

export interface CertificateParts {
  privateKey: string;
  thumbprintSha256: string;
  x5c: string;
}

/** Split a PEM bundle (private key + certificate, as Azure and openssl export it) into MSAL's parts */
export function parseCertificate(pem: string, source: string): CertificateParts {
  const certMatch = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  const keyMatch = pem.match(/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/);
  if (!certMatch || !keyMatch) {
    throw new TenantSyncError(
      'CREDENTIAL_INVALID',
      `${source} does not hold both a PEM certificate and its private key`,
      `Put the PEM private key (-----BEGIN PRIVATE KEY-----) and certificate (-----BEGIN CERTIFICATE-----) in ${source}, e.g. from "openssl pkcs12 -in cert.pfx -nodes".`,
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certMatch[0]);
    // Normalise to PKCS#8, which MSAL signs with.
    const key = createPrivateKey(keyMatch[0]);
    if (!cert.checkPrivateKey(key)) {
      throw new Error('the private key does not belong to the certificate');
    }
    return {
      privateKey: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
      thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
      x5c: certMatch[0],
    };
  } catch (e) {
    throw new TenantSyncError('CREDENTIAL_INVALID', `${source}: ${(e as Error).message}`, `Export the certificate and its matching private key again as PEM into ${source}.`, {
      cause: e,
    });
  }
}

/**
 * The application's own token for Graph (client credentials). Tokens are cached until five minutes
 * before they expire; forceRefresh (after a 401) asks the authority again.
 */
export function createServicePrincipalTokenProvider(options: ServicePrincipalOptions): TokenProvider & { roles(): Promise<string[]> } {
  const { log } = options;
  const auth: Configuration['auth'] = {
    clientId: options.clientId,
    authority: `${options.authorityHost}/${options.tenantId}`,
    // The authority's own metadata is used instead of instance discovery on the public cloud's host,
    // so that sovereign clouds and explicit overrides never reach another cloud.
    knownAuthorities: [new URL(options.authorityHost).host],
  };
  const credential = options.credential;
  if (credential.kind === 'secret') {
    log.secret(credential.secret);
    auth.clientSecret = credential.secret;
  } else if (credential.kind === 'certificate') {
    // The key as given (PKCS#1 or PKCS#8) and as MSAL gets it: neither may ever be printed.
    for (const block of credential.privateKeyPem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/g) ?? []) log.secret(block);
    const parts = parseCertificate(credential.privateKeyPem + '\n' + credential.certificatePem, 'the certificate');
    log.secret(parts.privateKey);
    auth.clientCertificate = parts;
  } else {
    auth.clientAssertion = federatedClientAssertion(credential.getAssertion, log);
  }
  const app = new ConfidentialClientApplication({
    auth,
    system: {
      networkClient: new SignInNetworkClient(log),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (_level, message) => log.debug(`msal: ${message}`),
      },
    },
  });
  const scopes = [`${options.graphEndpoint}/.default`];
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const acquire = async (forceRefresh: boolean): Promise<string> => {
    try {
      const result = await app.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh });
      if (!result?.accessToken) throw new Error('the token endpoint returned no access token');
      log.secret(result.accessToken);
      cached = { token: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + 30 * 60_000 };
      return result.accessToken;
    } catch (e) {
      throw authErrorFromMsal(e, {
        tenantId: options.tenantId,
        clientId: options.clientId,
        credential: credential.kind,
        authorityHost: options.authorityHost,
        adminConsentUrl: options.adminConsentUrl,
      });
    }
  };

  const provider = (async (opts?: { forceRefresh?: boolean }) => {
    const force = opts?.forceRefresh ?? false;
    if (!force && cached && cached.expiresAt - Date.now() > 5 * 60_000) return cached.token;
    if (!pending) {
      pending = acquire(force).finally(() => {
        pending = undefined;
      });
    }
    return pending;
  }) as TokenProvider & { roles(): Promise<string[]> };
  provider.roles = async () => rolesOf(await provider());
  return provider;
}

/** Application permissions (`roles`) or delegated scopes (`scp`) carried by an access token */
export function rolesOf(accessToken: string): string[] {
  const payload = accessToken.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: string[]; scp?: string };
    return claims.roles ?? (claims.scp ? claims.scp.split(' ') : []);
  } catch {
    return [];
  }
}
