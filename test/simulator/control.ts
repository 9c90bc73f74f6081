/**
 * The control interface over HTTP JSON at /_control/* on the Graph server, for child processes
 * and the demo (the same operations as the Simulator object's members):
 *
 *   GET    /_control/info                      urls, tenant, apps (with their credentials), env
 *   GET    /_control/scenario                  PATCH /_control/scenario {partial scenario}
 *   GET    /_control/faults                    POST {FaultSpec} -> {id}; DELETE (all); DELETE /_control/faults/{id}
 *   GET    /_control/counters                  POST /_control/counters/reset
 *   GET    /_control/writes                    DELETE /_control/writes
 *   GET    /_control/state                     object counts per type
 *   GET    /_control/state/{type}              objects; POST {object} creates; PUT [objects] replaces all
 *   GET|PATCH|PUT|DELETE /_control/state/{type}/{id}   drift made "in the portal"
 *   GET    /_control/device-codes[?wait=ms]    pending device codes (long-polls up to wait ms for one)
 *   POST   /_control/device-codes/approve      {userCode?, user?}
 *   POST   /_control/device-codes/refuse       {userCode?, error?: 'declined'|53003|50076|50079|65001}
 *   POST   /_control/tokens/expire             {kind?: 'access'|'refresh'|'all'}
 *   POST   /_control/tokens/issue              {roles?|scopes?, clientId?, lifetimeSeconds?} -> {accessToken}
 *   POST   /_control/github/token              {audience?} -> {value}
 *   POST   /_control/reset                     tenant back to its initial objects; counters, writes, faults cleared
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Simulator } from './simulator.js';
import type { FaultSpec } from './types.js';
import { isObj, readBody, sendJson, type Obj } from './util.js';

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function needObj(body: unknown): Obj {
  if (!isObj(body)) throw new ControlError(400, 'A JSON object is required');
  return body;
}

export async function handleControl(sim: Simulator, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const segments = url.pathname.split('/').filter(Boolean).slice(1).map((s) => decodeURIComponent(s));
  const text = await readBody(req);
  let body: unknown;
  try {
    body = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    sendJson(res, 400, { error: 'body is not JSON' });
    return;
  }
  try {
    const result = await route(sim, method, segments, body, url);
    if (result === undefined) sendJson(res, 204, undefined);
    else sendJson(res, 200, result);
  } catch (e) {
    const status = e instanceof ControlError ? e.status : 400;
    sendJson(res, status, { error: (e as Error).message });
  }
}

async function route(sim: Simulator, method: string, segments: string[], body: unknown, url: URL): Promise<unknown> {
  const [area, a, b] = segments;
  switch (area) {
    case 'info':
      return sim.info();
    case 'scenario':
      if (method === 'GET') return sim.scenario;
      if (method === 'PATCH') {
        sim.setScenario(needObj(body) as Parameters<Simulator['setScenario']>[0]);
        return sim.scenario;
      }
      break;
    case 'faults':
      if (method === 'GET') return sim.faults.list();
      if (method === 'POST') return sim.faults.add(needObj(body) as unknown as FaultSpec);
      if (method === 'DELETE' && a) {
        if (!sim.faults.remove(Number(a))) throw new ControlError(404, `No fault ${a}`);
        return undefined;
      }
      if (method === 'DELETE') {
        sim.faults.clear();
        return undefined;
      }
      break;
    case 'counters':
      if (method === 'GET') return sim.counters();
      if (method === 'POST' && a === 'reset') {
        sim.resetCounters();
        return undefined;
      }
      break;
    case 'writes':
      if (method === 'GET') return sim.writes();
      if (method === 'DELETE') {
        sim.clearWrites();
        return undefined;
      }
      break;
    case 'state': {
      if (!a) {
        if (method === 'GET') return sim.tenant.counts();
        break;
      }
      if (!sim.tenant.has(a)) throw new ControlError(404, `Unknown type '${a}'`);
      if (b === undefined) {
        if (method === 'GET') return sim.state(a);
        if (method === 'POST') return sim.tenant.create(a, needObj(body));
        if (method === 'PUT') {
          if (!Array.isArray(body)) throw new ControlError(400, 'An array of objects is required');
          sim.tenant.setAll(a, body.filter(isObj));
          return sim.state(a);
        }
        // singletons: PATCH /_control/state/{type}
        if (method === 'PATCH') return sim.tenant.update(a, undefined, needObj(body));
        break;
      }
      const obj = sim.tenant.get(a, b);
      if (!obj) throw new ControlError(404, `No ${a} '${b}'`);
      if (method === 'GET') return structuredClone(obj);
      if (method === 'PATCH') return sim.tenant.update(a, b, needObj(body));
      if (method === 'PUT') return sim.tenant.replace(a, b, needObj(body));
      if (method === 'DELETE') {
        sim.tenant.remove(a, b);
        return undefined;
      }
      break;
    }
    case 'device-codes': {
      if (method === 'GET' && !a) {
        const wait = Number(url.searchParams.get('wait') ?? 0);
        if (wait > 0 && sim.deviceCodes.pending().length === 0) {
          await sim.deviceCodes.waitForPending(wait).catch(() => undefined);
        }
        return sim.deviceCodes.pending();
      }
      const options = isObj(body) ? body : {};
      if (method === 'POST' && a === 'approve') return sim.deviceCodes.approve(options as Parameters<Simulator['deviceCodes']['approve']>[0]);
      if (method === 'POST' && a === 'refuse') return sim.deviceCodes.refuse(options as Parameters<Simulator['deviceCodes']['refuse']>[0]);
      break;
    }
    case 'tokens':
      if (method === 'POST' && a === 'expire') {
        const kind = isObj(body) && typeof body['kind'] === 'string' ? body['kind'] : 'all';
        if (kind === 'access' || kind === 'all') sim.expireAccessTokens();
        if (kind === 'refresh' || kind === 'all') sim.expireRefreshTokens();
        return undefined;
      }
      if (method === 'POST' && a === 'issue') {
        return { accessToken: sim.issueAccessToken((isObj(body) ? body : {}) as Parameters<Simulator['issueAccessToken']>[0]) };
      }
      break;
    case 'github':
      if (method === 'POST' && a === 'token') {
        const audience = isObj(body) && typeof body['audience'] === 'string' ? body['audience'] : undefined;
        return { value: sim.mintGithubToken(audience) };
      }
      break;
    case 'reset':
      if (method === 'POST') {
        sim.reset();
        return undefined;
      }
      break;
  }
  throw new ControlError(404, `No control route ${method} /_control/${segments.join('/')}`);
}
