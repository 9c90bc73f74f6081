import { LogLevel, PublicClientApplication, type AccountInfo, type AuthenticationResult, type DeviceCodeRequest } from '@azure/msal-node';
import { TenantSyncError, type ErrorCode } from '../errors/index.js';
import type { TokenProvider } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import { errorDetails, type StatusListener } from '../status/index.js';
import { aadstsCode, authErrorFromMsal } from './errors.js';
import { aadstsOfBody, SignInNetworkClient } from './network.js';
import { rolesOf } from './servicePrincipal.js';
import type { EncryptedCachePlugin } from './tokenCache.js';

/**
 * Delegated (signed-in user) sign-in. The engine only sees the DelegatedSignIn interface; MSAL's
 * public-client flows stay behind it (they may change in a later major: msal-node is pinned ~7.2).
 */

export interface DeviceCodePrompt {
  /** The page the person opens */
  verificationUri: string;
  /** The code the person enters there; shown, not a secret */
  userCode: string;
  /** Microsoft's own one-line instruction */
  message: string;
  /** When the sync stops waiting (the earlier of the configured timeout and the code's expiry) */
  waitUntil: Date;
}

export interface DelegatedToken {
  accessToken: string;
  /** Epoch milliseconds */
  expiresAt: number;
  /** Delegated permissions of the token (`scp`) */
  scopes: string[];
  /** Who signed in */
  username?: string;
}

export interface DelegatedSignIn {
  /**
   * Signs in with the stored sign-in, without a prompt, redeeming (and so rotating) its refresh
   * token. Undefined when nothing usable is stored: none, unreadable, or expired or revoked
   * (AADSTS70008, 700082, 50173); the caller then asks the person to sign in. Throws for a refusal
   * that a new sign-in would not cure (Conditional Access, MFA, consent).
   */
  signInSilently(): Promise<DelegatedToken | undefined>;
  /**
   * Device code: onPrompt gets the URL and code to show, then this waits until the person
   * completes the sign-in or timeoutMs passes. Throws a TenantSyncError (AUTH_DEVICE_CODE_TIMEOUT,
   * AUTH_CONDITIONAL_ACCESS, AUTH_MFA_REQUIRED, AUTH_CONSENT_MISSING, ...).
   */
  signInWithDeviceCode(options: { timeoutMs: number; onPrompt: (prompt: DeviceCodePrompt) => void | Promise<void> }): Promise<DelegatedToken>;
  /** A new access token for the user signed in (after expiry or a 401) */
  refresh(): Promise<DelegatedToken>;
}

/** The product's wording for a failed user sign-in */
export const userAuthenticationMessages = {
  timeout:
    'User authentication failed - Authentication timed out waiting for delegated authentication to complete. Sync again and complete the steps for authentication. Configurations requiring user account authentication will not be backed up until the Sync authenticates successfully.',
  blocked:
    'User authentication failed - The user is blocked due to a Conditional Access or MFA policy in the tenant. Please exclude the user from the policy. Configurations requiring user account authentication will not be backed up until the Sync authenticates successfully.',
} as const;

export interface MsalDelegatedSignInOptions {
  tenantId: string;
  /** Public client application the user signs in to */
  clientId: string;
  authorityHost: string;
  graphEndpoint: string;
  /** The encrypted token cache; without it nothing is kept between runs */
  cache?: EncryptedCachePlugin;
  log: Logger;
  /** The admin consent link, for AADSTS65001 */
  adminConsentUrl?: string;
}

/** AADSTS numbers that mean "the stored sign-in is gone, sign in again" */
const expiredGrant = new Set(['70008', '700082', '50173', '70000', '9002313', '700084', '70043']);
/** AADSTS numbers a new sign-in would not cure */
const blocking = new Set(['53003', '50076', '50079', '65001', '50158', '53000', '53001', '50105', '50057', '50053', '50126']);

export function createMsalDelegatedSignIn(options: MsalDelegatedSignInOptions): DelegatedSignIn {
  const { log } = options;
  const network = new SignInNetworkClient(log);
  const app = new PublicClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost}/${options.tenantId}`,
      knownAuthorities: [new URL(options.authorityHost).host],
    },
    cache: options.cache ? { cachePlugin: options.cache } : undefined,
    system: {
      networkClient: network,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (_level, message) => log.debug(`msal: ${message}`),
      },
    },
  });
  const scopes = [`${options.graphEndpoint}/.default`];
  const context = {
    tenantId: options.tenantId,
    clientId: options.clientId,
    credential: 'device-code' as const,
    authorityHost: options.authorityHost,
    adminConsentUrl: options.adminConsentUrl,
  };
  let account: AccountInfo | undefined;

  const toToken = (result: AuthenticationResult | null): DelegatedToken => {
    if (!result?.accessToken) throw new TenantSyncError('AUTH_FAILED', 'the sign-in returned no access token', 'Sync again; if it persists, see the sign-in logs of the sync account.');
    log.secret(result.accessToken);
    if (result.account) account = result.account;
    return {
      accessToken: result.accessToken,
      expiresAt: result.expiresOn?.getTime() ?? Date.now() + 30 * 60_000,
      scopes: rolesOf(result.accessToken),
      username: result.account?.username,
    };
  };

  /** The AADSTS number of a failure: MSAL's, or the body the network client kept */
  const failureCode = (e: unknown): string | undefined => aadstsCode(e) ?? aadstsOfBody(network.lastError?.body);

  const findAccount = async (): Promise<AccountInfo | undefined> => {
    const accounts = await app.getTokenCache().getAllAccounts();
    return accounts.find((a) => a.tenantId?.toLowerCase() === options.tenantId.toLowerCase()) ?? accounts[0];
  };

  const silent = async (forceRefresh: boolean): Promise<DelegatedToken | undefined> => {
    const current = account ?? (await findAccount());
    if (!current) return undefined;
    network.reset();
    try {
      return toToken(await app.acquireTokenSilent({ account: current, scopes, forceRefresh }));
    } catch (e) {
      const code = failureCode(e);
      if (code && blocking.has(code)) throw delegatedError(e, code, context);
      const name = (e as { name?: string; errorCode?: string })?.name;
      const errorCode = (e as { errorCode?: string })?.errorCode;
      if ((code && expiredGrant.has(code)) || name === 'InteractionRequiredAuthError' || errorCode === 'invalid_grant' || errorCode === 'no_tokens_found') {
        const why = code ? authErrorFromMsal(e, context).message : 'the stored sign-in can no longer be used';
        log.info(`${why}: a new sign-in is needed`);
        account = undefined;
        return undefined;
      }
      throw delegatedError(e, code, context);
    }
  };

  return {
    async signInSilently() {
      const token = await silent(true);
      const problem = options.cache?.loadProblem;
      if (!token && problem) log.warn(`${problem.message} (${problem.code}, see ${problem.docs})`);
      return token;
    },

    async signInWithDeviceCode({ timeoutMs, onPrompt }) {
      network.reset();
      let timer: NodeJS.Timeout | undefined;
      let prompted: (() => void) | undefined;
      const promptShown = new Promise<void>((r) => (prompted = r));
      let promptError: unknown;
      const request: DeviceCodeRequest = {
        scopes,
        deviceCodeCallback: (response) => {
          // The device code is a session handle: whoever holds it gets the user's tokens.
          log.secret(response.deviceCode);
          const waitUntil = new Date(Date.now() + Math.min(timeoutMs, response.expiresIn * 1000));
          Promise.resolve()
            .then(() => onPrompt({ verificationUri: response.verificationUri, userCode: response.userCode, message: response.message, waitUntil }))
            .catch((e: unknown) => (promptError = e))
            .finally(() => prompted?.());
        },
      };
      const acquired = app.acquireTokenByDeviceCode(request);
      // MSAL keeps polling until its next interval after a cancel; nobody waits for that.
      acquired.catch(() => undefined);
      const timedOut = new Promise<'timeout'>((resolveTimeout) => {
        void promptShown.then(() => {
          timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
        });
      });
      try {
        const winner = await Promise.race([acquired, timedOut]);
        if (promptError) throw promptError;
        if (winner === 'timeout') {
          request.cancel = true;
          throw new TenantSyncError(
            'AUTH_DEVICE_CODE_TIMEOUT',
            userAuthenticationMessages.timeout,
            `Nobody completed the device-code sign-in within ${formatMinutes(timeoutMs)}. Start a sync again, open the URL shown in the job summary, enter the code and sign in as the sync account (delegated.timeout-minutes sets how long a sync waits).`,
          );
        }
        return toToken(winner);
      } catch (e) {
        request.cancel = true;
        if (e instanceof TenantSyncError) throw e;
        throw delegatedError(e, failureCode(e), context);
      } finally {
        if (timer) clearTimeout(timer);
      }
    },

    async refresh() {
      const token = await silent(true);
      if (!token) {
        throw new TenantSyncError('AUTH_REFRESH_EXPIRED', 'the delegated sign-in ended during the sync', 'Sync again and complete the device-code sign-in.');
      }
      return token;
    },
  };
}

function formatMinutes(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} seconds`;
}

/** A delegated sign-in failure as the person reads it: the product's wording where there is one */
export function delegatedError(error: unknown, code: string | undefined, context: Parameters<typeof authErrorFromMsal>[1]): TenantSyncError {
  if (error instanceof TenantSyncError) return error;
  const msalCode = (error as { errorCode?: string })?.errorCode;
  if (code === '70019' || msalCode === 'device_code_expired' || msalCode === 'user_timeout_reached') {
    return new TenantSyncError(
      'AUTH_DEVICE_CODE_TIMEOUT',
      userAuthenticationMessages.timeout,
      'The device code expired before the sign-in was completed. Start a sync again, open the URL shown in the job summary, enter the code and sign in as the sync account.',
      { cause: error },
    );
  }
  if (code === '53003' || code === '50076' || code === '50079') {
    const errorCode: ErrorCode = code === '53003' ? 'AUTH_CONDITIONAL_ACCESS' : 'AUTH_MFA_REQUIRED';
    return new TenantSyncError(
      errorCode,
      userAuthenticationMessages.blocked,
      `Microsoft Entra refused the sync account's sign-in with AADSTS${code}. In the sign-in logs, open that sign-in, find the policy on its Conditional Access tab, and exclude the sync account from it.`,
      { cause: error },
    );
  }
  if (code && !aadstsCode(error)) {
    // MSAL's device-code polling kept only the OAuth error: map the AADSTS number the body carried.
    const e = error as { errorCode?: string; errorMessage?: string; message?: string };
    return authErrorFromMsal({ errorNo: code, errorCode: e?.errorCode, errorMessage: e?.errorMessage ?? e?.message }, context);
  }
  return authErrorFromMsal(error, context);
}

// ------------------------------------------------------------------------------------------------
// The sign-in as a step of a sync: stored sign-in first, else device code under Pending authentication

export type DelegatedOutcome =
  | { status: 'signed-in'; token: DelegatedToken; prompted: boolean }
  | { status: 'failed'; error: TenantSyncError; prompted: boolean };

export interface SignInDelegatedOptions {
  signIn: DelegatedSignIn;
  timeoutMs: number;
  log: Logger;
  onStatus?: StatusListener;
  /** For messages: the tenant's name */
  tenant?: string;
}

/**
 * A stored sign-in is used without a prompt. Without one (or when it expired), the sync moves to
 * Pending authentication: the URL and code go to the log and to onStatus (job summary, check run,
 * dashboard), and the sync waits. Completed in time, the sync moves back to In progress; not
 * completed or refused, it moves back to In progress too (the application's part goes on) and the
 * outcome carries the error the delegated types fail with.
 */
export async function signInDelegated(options: SignInDelegatedOptions): Promise<DelegatedOutcome> {
  const { signIn, log } = options;
  const who = options.tenant ? `${options.tenant}: ` : '';
  try {
    const stored = await signIn.signInSilently();
    if (stored) {
      log.info(`${who}signed in as ${stored.username ?? 'the sync account'} with the stored sign-in`);
      return { status: 'signed-in', token: stored, prompted: false };
    }
  } catch (e) {
    const error = asTenantSyncError(e);
    log.warn(`${who}${error.describe()}`);
    return { status: 'failed', error, prompted: false };
  }
  let prompted = false;
  try {
    const token = await signIn.signInWithDeviceCode({
      timeoutMs: options.timeoutMs,
      onPrompt: async (prompt) => {
        prompted = true;
        const minutes = formatMinutes(prompt.waitUntil.getTime() - Date.now());
        const message = `Sign-in needed for the configuration only a user can read: open ${prompt.verificationUri} and enter the code ${prompt.userCode} (waiting up to ${minutes}).`;
        log.info(`${who}${message}`);
        await options.onStatus?.('Pending authentication', {
          message,
          deviceCode: { verificationUri: prompt.verificationUri, userCode: prompt.userCode, waitUntil: prompt.waitUntil.toISOString() },
        });
      },
    });
    log.info(`${who}signed in as ${token.username ?? 'the sync account'}`);
    if (prompted) await options.onStatus?.('In progress', { message: `Signed in as ${token.username ?? 'the sync account'}.` });
    return { status: 'signed-in', token, prompted };
  } catch (e) {
    const error = asTenantSyncError(e);
    log.warn(`${who}${error.describe()}`);
    if (prompted) await options.onStatus?.('In progress', { message: error.message, error: errorDetails(error) });
    return { status: 'failed', error, prompted };
  }
}

function asTenantSyncError(e: unknown): TenantSyncError {
  if (e instanceof TenantSyncError) return e;
  return new TenantSyncError('AUTH_FAILED', `the delegated sign-in failed: ${(e as Error)?.message ?? String(e)}`, 'Sync again; if it persists, see the sign-in logs of the sync account.', {
    cause: e,
  });
}

/** Graph's token provider over a delegated sign-in: the token until 5 minutes before expiry, then a refresh */
export function delegatedTokenProvider(signIn: DelegatedSignIn, first: DelegatedToken): TokenProvider {
  let current = first;
  let pending: Promise<string> | undefined;
  return async (opts) => {
    if (!opts?.forceRefresh && current.expiresAt - Date.now() > 5 * 60_000) return current.accessToken;
    pending ??= signIn
      .refresh()
      .then((t) => {
        current = t;
        return t.accessToken;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
