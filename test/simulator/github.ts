/**
 * A GitHub-Actions-like OIDC issuer on the login server (issuer `${loginUrl}/_github`):
 *
 *   GET /_github/idtoken?api-version=2.0[&audience=...]   Authorization: Bearer <request token>
 *       -> { "value": "<jwt>" }    (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN)
 *   GET /_github/.well-known/openid-configuration
 *   GET /_github/.well-known/jwks
 *
 * The token carries GitHub's claims (sub repo:OWNER/REPO:ref:REF or :environment:NAME, repository,
 * ref, ...); its default audience is the repository owner's URL, as on github.com.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from './core.js';
import { publicJwk, signJwt } from './jwt.js';
import { nowSeconds, sendJson } from './util.js';

export function githubSubject(github: Core['scenario']['github']): string {
  if (github.subject) return github.subject;
  if (github.environment) return `repo:${github.repository}:environment:${github.environment}`;
  return `repo:${github.repository}:ref:${github.ref}`;
}

export function mintGithubToken(core: Core, audience?: string): string {
  const g = core.scenario.github;
  const [owner = 'contoso'] = g.repository.split('/');
  const now = nowSeconds();
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    sub: githubSubject(g),
    aud: audience ?? `https://github.com/${owner}`,
    ref: g.ref,
    sha: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4',
    repository: g.repository,
    repository_owner: owner,
    repository_owner_id: '1000001',
    run_id: '7000000001',
    run_number: '42',
    run_attempt: '1',
    repository_visibility: 'private',
    repository_id: '2000002',
    actor_id: '3000003',
    actor: 'octocat',
    workflow: 'tenant-sync',
    head_ref: '',
    base_ref: '',
    event_name: 'schedule',
    ref_protected: 'true',
    ref_type: 'branch',
    workflow_ref: `${g.repository}/.github/workflows/tenant-sync.yml@${g.ref}`,
    job_workflow_ref: `${g.repository}/.github/workflows/tenant-sync.yml@${g.ref}`,
    runner_environment: 'github-hosted',
    iss: core.githubIssuer,
    nbf: now - 5,
    exp: now + 300,
    iat: now,
  };
  if (g.environment) claims['environment'] = g.environment;
  return signJwt({ alg: 'RS256', kid: core.github.kid, x5t: core.github.kid }, claims, core.github.privateKey);
}

export async function handleGithub(core: Core, req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]): Promise<void> {
  const path = segments.join('/');
  if (req.method === 'GET' && path === '.well-known/openid-configuration') {
    sendJson(res, 200, {
      issuer: core.githubIssuer,
      jwks_uri: `${core.githubIssuer}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_id', 'repository_owner', 'repository_owner_id', 'run_id', 'run_number', 'run_attempt', 'actor', 'actor_id', 'workflow', 'workflow_ref', 'head_ref', 'base_ref', 'event_name', 'ref_type', 'environment', 'job_workflow_ref', 'runner_environment'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    });
    return;
  }
  if (req.method === 'GET' && path === '.well-known/jwks') {
    sendJson(res, 200, { keys: [publicJwk(core.github.publicKey, core.github.kid, { x5t: core.github.kid, alg: 'RS256' })] });
    return;
  }
  if (req.method === 'GET' && path === 'idtoken') {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${core.github.requestToken}`) {
      sendJson(res, 401, { message: 'Bad credentials' });
      return;
    }
    const audience = url.searchParams.get('audience') ?? undefined;
    core.log(`github: OIDC token minted (aud ${audience ?? 'default'})`);
    sendJson(res, 200, { count: 1, value: mintGithubToken(core, audience) });
    return;
  }
  sendJson(res, 404, { message: 'Not Found' });
}
