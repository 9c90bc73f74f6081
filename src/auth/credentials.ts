import { TenantSyncError } from '../errors/index.js';
import type { TenantConfig } from '../config/load.js';
import type { ServicePrincipalCredential } from './servicePrincipal.js';

export interface CredentialSources {
  env: Record<string, string | undefined>;
  /** GitHub's OIDC token for an audience (core.getIDToken in Actions); absent outside a workflow */
  getIdToken?: (audience: string) => Promise<string>;
}

/** The service principal's credential, from the environment variables tenant-sync.yml names */
export function servicePrincipalCredential(tenant: TenantConfig, sources: CredentialSources): ServicePrincipalCredential {
  const { auth } = tenant;
  switch (auth.method) {
    case 'secret': {
      const secret = sources.env[auth['secret-env']];
      if (!secret) throw missing(tenant, auth['secret-env'], 'the client secret');
      return { kind: 'secret', secret };
    }
    case 'certificate': {
      const pem = sources.env[auth['certificate-env']];
      if (!pem) throw missing(tenant, auth['certificate-env'], 'the PEM private key and certificate');
      return { kind: 'certificate', privateKeyPem: pem, certificatePem: pem };
    }
    case 'federated': {
      const getIdToken = sources.getIdToken;
      if (!getIdToken) {
        throw new TenantSyncError(
          'CREDENTIAL_MISSING',
          `tenant "${tenant.name}" signs in with a federated credential, which needs a GitHub Actions OIDC token`,
          'Run it in a workflow with "permissions: id-token: write", or use auth.method secret or certificate on the command line.',
        );
      }
      return { kind: 'federated', getAssertion: () => getIdToken(tenant.federationAudience) };
    }
  }
}

function missing(tenant: TenantConfig, variable: string, what: string): TenantSyncError {
  return new TenantSyncError(
    'CREDENTIAL_MISSING',
    `${variable} is not set: tenant "${tenant.name}" needs ${what} in it`,
    `Set the environment variable ${variable} (in a workflow: env: ${variable}: \${{ secrets.${variable} }}), or change auth in tenant-sync.yml.`,
  );
}
