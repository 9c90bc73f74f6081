import { TenantSyncError, type ErrorCode } from '../errors/index.js';

export interface SignInContext {
  tenantId: string;
  clientId: string;
  credential: 'secret' | 'certificate' | 'federated' | 'device-code';
  authorityHost: string;
  /** The admin consent link for this tenant's cloud (permissions.ts adminConsentUrl) */
  adminConsentUrl?: string;
}

interface AadstsMapping {
  code: ErrorCode;
  message: (c: SignInContext) => string;
  fix: (c: SignInContext) => string;
}

/** AADSTS codes from Microsoft Entra's error code reference, mapped to what the person should do */
const aadsts: Record<string, AadstsMapping> = {
  '7000215': {
    code: 'AUTH_BAD_SECRET',
    message: (c) => `the client secret of application ${c.clientId} was rejected (AADSTS7000215: invalid client secret)`,
    fix: () =>
      'Copy the secret\'s Value (not its Secret ID) from the app registration\'s "Certificates & secrets" page into the secret that tenant-sync.yml names, or switch to a federated credential.',
  },
  '7000222': {
    code: 'AUTH_SECRET_EXPIRED',
    message: (c) => `the client secret of application ${c.clientId} has expired (AADSTS7000222)`,
    fix: () => 'Create a new client secret in the app registration and update the repository secret, or switch to a federated credential so no secret expires.',
  },
  '700027': {
    code: 'AUTH_BAD_CERTIFICATE',
    message: (c) => `the certificate of application ${c.clientId} was rejected (AADSTS700027)`,
    fix: () => 'Upload the certificate (public part) to the app registration\'s "Certificates & secrets", and check that the private key in the secret matches it.',
  },
  '7000218': {
    code: 'AUTH_NO_CREDENTIAL',
    message: (c) => `the token request for application ${c.clientId} carried no credential (AADSTS7000218)`,
    fix: (c) =>
      c.credential === 'device-code'
        ? `Device-code sign-in needs a public client: in the app registration ${c.clientId}, Authentication > Advanced settings > "Allow public client flows" = Yes (or name another application in delegated.client-id).`
        : 'Set auth.method in tenant-sync.yml and provide the secret, certificate or federated credential it names.',
  },
  '700213': {
    code: 'AUTH_FEDERATION_MISMATCH',
    message: (c) => `no federated credential of application ${c.clientId} matches this workflow's token (AADSTS700213)`,
    fix: () =>
      'Add a federated credential to the app registration with issuer https://token.actions.githubusercontent.com and the subject this job presents (repo:<owner>/<repo>:ref:refs/heads/main, :environment:<name> or :pull_request); see the README set-up section.',
  },
  '700211': {
    code: 'AUTH_FEDERATION_MISMATCH',
    message: (c) => `no federated credential of application ${c.clientId} trusts the issuer of this workflow's token (AADSTS700211)`,
    fix: () => 'Add a federated credential with issuer https://token.actions.githubusercontent.com (GitHub Enterprise Server: its own issuer) to the app registration; see the README set-up section.',
  },
  '700212': {
    code: 'AUTH_FEDERATION_MISMATCH',
    message: (c) => `the federated credential of application ${c.clientId} does not accept this token's audience (AADSTS700212)`,
    fix: () =>
      'Set the federated credential\'s audience to the one of the tenant\'s cloud: api://AzureADTokenExchange (public), api://AzureADTokenExchangeUSGov (usgov, usgov-dod), api://AzureADTokenExchangeChina (china); check cloud in tenant-sync.yml.',
  },
  '70021': {
    code: 'AUTH_FEDERATION_MISMATCH',
    message: (c) => `application ${c.clientId} has no federated credential that matches this workflow's token (AADSTS70021)`,
    fix: () =>
      'Add a federated credential for GitHub Actions to the app registration, with the subject this job presents (repo:<owner>/<repo>:ref:refs/heads/main, :environment:<name> or :pull_request); see the README set-up section.',
  },
  '700016': {
    code: 'AUTH_UNKNOWN_APP',
    message: (c) => `application ${c.clientId} was not found in tenant ${c.tenantId} (AADSTS700016)`,
    fix: () => 'Check client-id in tenant-sync.yml, and that the application is consented in this tenant (multi-tenant apps need admin consent in each tenant).',
  },
  '90002': {
    code: 'AUTH_UNKNOWN_TENANT',
    message: (c) => `tenant ${c.tenantId} was not found (AADSTS90002)`,
    fix: () => 'Check tenant-id in tenant-sync.yml and the cloud: a GCC High tenant needs cloud: usgov.',
  },
  '65001': {
    code: 'AUTH_CONSENT_MISSING',
    message: (c) => `application ${c.clientId} has not been granted admin consent in tenant ${c.tenantId} (AADSTS65001)`,
    fix: (c) =>
      `An administrator grants consent at ${c.adminConsentUrl ?? `${c.authorityHost}/${c.tenantId}/v2.0/adminconsent?client_id=${c.clientId}`} (or API permissions > Grant admin consent in the app registration).`,
  },
  '53003': {
    code: 'AUTH_CONDITIONAL_ACCESS',
    message: () => 'The user is blocked due to a Conditional Access or MFA policy in the tenant (AADSTS53003)',
    fix: () => 'Please exclude the user from the policy.',
  },
  '50076': {
    code: 'AUTH_MFA_REQUIRED',
    message: () => 'The user is blocked due to a Conditional Access or MFA policy in the tenant (AADSTS50076)',
    fix: () => 'Please exclude the user from the policy.',
  },
  '50079': {
    code: 'AUTH_MFA_REQUIRED',
    message: () => 'The user is blocked due to a Conditional Access or MFA policy in the tenant (AADSTS50079)',
    fix: () => 'Please exclude the user from the policy.',
  },
  '65004': {
    code: 'AUTH_FAILED',
    message: () => 'the person signing in declined to consent to the application (AADSTS65004)',
    fix: () => 'Sync again and accept the permissions when signing in, or have an administrator grant admin consent.',
  },
  '70019': {
    code: 'AUTH_DEVICE_CODE_TIMEOUT',
    message: () => 'the device code expired before the sign-in was completed (AADSTS70019)',
    fix: () => 'Sync again and complete the device-code sign-in within the time shown.',
  },
  '70008': {
    code: 'AUTH_REFRESH_EXPIRED',
    message: () => 'the stored sign-in has expired (AADSTS70008)',
    fix: () => 'Sync again and complete the device-code sign-in.',
  },
  '700082': {
    code: 'AUTH_REFRESH_EXPIRED',
    message: () => 'the stored sign-in has expired after inactivity (AADSTS700082)',
    fix: () => 'Sync again and complete the device-code sign-in.',
  },
  '50173': {
    code: 'AUTH_REFRESH_EXPIRED',
    message: () => 'the stored sign-in was revoked, for example by a password change (AADSTS50173)',
    fix: () => 'Sync again and complete the device-code sign-in.',
  },
};

/** The AADSTS number of an MSAL error: errorNo for server errors, else the first AADSTS in the text */
export function aadstsCode(error: unknown): string | undefined {
  const e = error as { errorNo?: string; errorMessage?: string; message?: string };
  if (e?.errorNo) return String(e.errorNo);
  const text = `${e?.errorMessage ?? ''} ${e?.message ?? ''}`;
  return text.match(/AADSTS(\d+)/)?.[1];
}

export function authErrorFromMsal(error: unknown, context: SignInContext): TenantSyncError {
  if (error instanceof TenantSyncError) return error;
  const number = aadstsCode(error);
  const mapping = number ? aadsts[number] : undefined;
  if (mapping) return new TenantSyncError(mapping.code, mapping.message(context), mapping.fix(context), { cause: error });
  const e = error as { errorCode?: string; errorMessage?: string; message?: string };
  const detail = (e?.errorMessage || e?.message || String(error)).split('\n')[0];
  const network = /network|ENOTFOUND|ECONNREFUSED|certificate|self[- ]signed|endpoints_resolution/i.test(`${e?.errorCode} ${detail}`);
  return new TenantSyncError(
    'AUTH_FAILED',
    `sign-in for application ${context.clientId} in tenant ${context.tenantId} failed: ${e?.errorCode ? `${e.errorCode}: ` : ''}${detail}`,
    network
      ? 'Check the cloud and authority-host in tenant-sync.yml and that the runner reaches the sign-in host over HTTPS (a private CA must be trusted through NODE_EXTRA_CA_CERTS).'
      : 'Check the application (client) id, the tenant id and the credential; the AADSTS code in the message is explained in Microsoft Entra\'s error reference.',
    { cause: error },
  );
}
