/** The OpenAPI index, request checks and response completion of the GitHub double. */
import { describe, expect, it } from 'vitest';
import { checkRequest, checkResponse, fill, loadSpec, matchOperation, responseSchema } from './double/openapi.js';

function op(method: string, path: string) {
  const m = matchOperation(method, path);
  if (!m || 'methodNotAllowed' in m) throw new Error(`no operation for ${method} ${path}`);
  return m;
}

describe('OpenAPI index', () => {
  it('matches paths to operations, literal segments first, encoded and multi-segment parameters decoded', () => {
    expect(op('PUT', '/repos/o/r/pulls/3/merge').operation.operationId).toBe('pulls/merge');
    expect(op('GET', '/repos/o/r/git/ref/heads%2Ftenant-sync%2Fstate%2Fx').params['ref']).toBe('heads/tenant-sync/state/x');
    expect(op('GET', '/repos/o/r/git/ref/heads/tenant-sync/state/x').params['ref']).toBe('heads/tenant-sync/state/x');
    expect(op('GET', '/repos/o/r/commits/main/check-runs').operation.operationId).toBe('checks/list-for-ref');
    expect(op('GET', '/repos/o/r/collaborators/alice/permission').operation.operationId).toBe('repos/get-collaborator-permission-level');
    expect(matchOperation('PUT', '/repos/o/r/pulls')).toEqual({ methodNotAllowed: true });
    expect(matchOperation('GET', '/nope')).toBeUndefined();
    expect(loadSpec()).toBe(loadSpec());
  });

  it('checks bodies and query parameters (types, limits, unknown parameters)', () => {
    const create = op('POST', '/repos/o/r/check-runs');
    const body = { name: 'n', head_sha: 'a', actions: [1, 2, 3, 4].map((i) => ({ label: `l${i}`, description: 'd', identifier: `i${i}` })) };
    expect(checkRequest(create.operation, create.params, new URLSearchParams(), body, true).errors.join()).toContain("'properties/actions'");
    expect(checkRequest(create.operation, create.params, new URLSearchParams(), { name: 'n', head_sha: 'a' }, true).errors).toEqual([]);
    const list = op('GET', '/repos/o/r/pulls');
    expect(checkRequest(list.operation, list.params, new URLSearchParams('state=open&per_page=50'), undefined, false)).toEqual({ errors: [], query: { state: 'open', per_page: 50 } });
    expect(checkRequest(list.operation, list.params, new URLSearchParams('state=merged'), undefined, false).errors[0]).toContain('is not a member of');
  });

  it('completes a partial body into one that validates, and flags a body that does not', () => {
    const get = op('GET', '/repos/o/r/pulls/1').operation;
    const schema = responseSchema(get, 200);
    const filled = fill(schema, { number: 1, state: 'open' }, { urlBase: 'http://github.localhost/_', now: '2024-01-01T00:00:00Z' });
    expect(checkResponse(get, 200, filled)).toEqual([]);
    const { number: _n, ...broken } = filled as Record<string, unknown>;
    expect(checkResponse(get, 200, broken).join()).toContain('"number" wasn\'t supplied');
  });
});
