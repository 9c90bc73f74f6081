import * as core from '@actions/core';
import type { ClientAssertionCallback } from '@azure/msal-node';
import { TenantSyncError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/**
 * Workload identity federation with GitHub Actions: the application signs in with the job's OIDC
 * token instead of a stored secret. The token lives about five minutes, so MSAL gets a callback
 * that fetches a fresh one for every token request; its audience is the one of the tenant's cloud
 * (api://AzureADTokenExchange, api://AzureADTokenExchangeUSGov, api://AzureADTokenExchangeChina:
 * TenantConfig.federationAudience), which the app registration's federated credential must list.
 */

/** A source of GitHub OIDC tokens for an audience (core.getIDToken in Actions) */
export type IdTokenSource = (audience: string) => Promise<string>;

/** MSAL's clientAssertion: a fresh OIDC token per token request, masked before anything can print it */
export function federatedClientAssertion(getAssertion: () => Promise<string>, log: Logger): ClientAssertionCallback {
  return async () => {
    const assertion = await getAssertion();
    log.secret(assertion);
    return assertion;
  };
}

/**
 * GitHub's OIDC token through the Actions toolkit (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, set
 * when the job has "permissions: id-token: write").
 */
export function githubIdTokenSource(env: Record<string, string | undefined> = process.env, log?: Logger): IdTokenSource {
  return async (audience) => {
    if (!env['ACTIONS_ID_TOKEN_REQUEST_URL'] || !env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']) {
      throw new TenantSyncError(
        'CREDENTIAL_MISSING',
        'this job cannot request a GitHub OIDC token for the federated credential',
        'Add "permissions: id-token: write" to the job (or workflow), or use auth.method certificate or secret.',
      );
    }
    // The request token lets anyone mint OIDC tokens for this job while it runs.
    log?.secret(env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
    const token = await core.getIDToken(audience);
    log?.secret(token);
    return token;
  };
}
