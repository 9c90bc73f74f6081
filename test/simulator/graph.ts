/**
 * Microsoft Graph, served generically from the resource definitions (graph server).
 *
 * Every catalogue type under /{def.api}{def.path} (and the other version root too): list with
 * server-side paging (@odata.nextLink absolute, $skiptoken), $top, $skip, $filter, $select,
 * $expand (relationships: children, assignments and $expand'ed properties are only returned when
 * expanded), $count; GET by id; child collections {path}/{id}/{child.path}; POST create, PATCH
 * merge, PUT replace, DELETE; POST {id}/{assignments.action}; write.actions; singletons GET, PATCH,
 * PUT; lookups (groups, users). Bearer tokens are validated (signature, audience, lifetime),
 * permissions checked per request, Graph's throttling limits applied per logical request, and
 * POST /{version}/$batch dispatches up to 20 items through the same router.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDefinition, ThrottleBucket } from '../../src/resources/definition.js';
import { bump, type Core } from './core.js';
import { decodeJwt, verifyJwtSignature } from './jwt.js';
import { ODataError, decodeSkipToken, encodeSkipToken, parseExpand, parseSelect } from './odata.js';
import type { Store } from './tenant.js';
import { formatRetryAfter } from './throttle.js';
import { buildQuery, graphDate, isObj, newGuid, nowSeconds, readBody, sleep, type Obj } from './util.js';

export const GRAPH_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const MAX_BATCH = 20;
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export interface TokenInfo {
  appId: string;
  delegated: boolean;
  roles: string[];
  scopes: string[];
  oid: string;
}

export interface LogicalRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** JSON body (already parsed), undefined when none */
  body: unknown;
  /** the raw body text could not be parsed as JSON */
  bodyInvalid?: boolean;
  batched: boolean;
}

export interface LogicalResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

interface Ctx {
  core: Core;
  token: TokenInfo;
  requestId: string;
  clientRequestId: string;
  base: string;
}

// ---------------------------------------------------------------------------------------------
// errors

export function graphErrorBody(code: string, message: string, requestId: string, clientRequestId: string, inner: Obj = {}): Obj {
  return {
    error: {
      code,
      message,
      innerError: { ...inner, date: graphDate(), 'request-id': requestId, 'client-request-id': clientRequestId },
    },
  };
}

function err(ctx: { requestId: string; clientRequestId: string }, status: number, code: string, message: string, headers: Record<string, string> = {}, inner: Obj = {}): LogicalResponse {
  return { status, headers, body: graphErrorBody(code, message, ctx.requestId, ctx.clientRequestId, inner) };
}

function forbidden(ctx: Ctx): LogicalResponse {
  return err(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function notFound(ctx: Ctx, store: Store, def: ResourceDefinition | undefined, id: string): LogicalResponse {
  if (def?.workload === 'intune') {
    return err(ctx, 404, 'ResourceNotFound', `{\r\n  "_version": 3,\r\n  "Message": "An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${ctx.requestId} - Url: ${ctx.base}${store.path}('${id}')",\r\n  "CustomApiErrorPhrase": "",\r\n  "RetryAfter": null,\r\n  "ErrorSourceService": "",\r\n  "HttpHeaders": "{}"\r\n}`);
  }
  return err(ctx, 404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function badRequest(ctx: { requestId: string; clientRequestId: string }, message: string, code = 'BadRequest'): LogicalResponse {
  return err(ctx, 400, code, message);
}

function methodNotAllowed(ctx: Ctx): LogicalResponse {
  return err(ctx, 405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request uri.');
}

function faultResponse(ctx: Ctx, status: number, retryAfterSeconds: number | undefined): LogicalResponse {
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) {
    headers['Retry-After'] = formatRetryAfter((retryAfterSeconds * 1000) / ctx.core.scenario.timeScale, ctx.core.scenario.retryAfterMode);
  }
  switch (status) {
    case 403:
      return { ...forbidden(ctx), headers };
    case 503:
      return err(ctx, 503, 'serviceNotAvailable', 'Service Unavailable', headers);
    case 504:
      return err(ctx, 504, 'GatewayTimeout', 'The gateway did not receive a response in time.', headers);
    case 502:
      return err(ctx, 502, 'BadGateway', 'Bad Gateway', headers);
    case 429:
      return err(ctx, 429, 'TooManyRequests', 'Please retry again later.', headers, { code: '429', message: 'Please retry after', status: '429' });
    default:
      return err(ctx, status, status >= 500 ? 'generalException' : 'BadRequest', status >= 500 ? 'General exception while processing.' : 'Bad request.', headers);
  }
}

// ---------------------------------------------------------------------------------------------
// authentication and permissions

export function authenticate(core: Core, header: string | undefined): { ok: true; token: TokenInfo } | { ok: false; message: string } {
  if (!header || !/^bearer\s+\S/i.test(header)) return { ok: false, message: 'Access token is empty.' };
  const raw = header.replace(/^bearer\s+/i, '').trim();
  const jwt = decodeJwt(raw);
  if (!jwt) return { ok: false, message: 'IDX14100: JWT is not well formed, there are no dots (.).' };
  if (jwt.header['kid'] !== core.sts.kid || !verifyJwtSignature(jwt, core.sts.publicKey)) {
    return { ok: false, message: 'Access token validation failure.' };
  }
  const p = jwt.payload;
  if (typeof p['aud'] !== 'string' || !core.isGraphResource(p['aud'])) {
    return { ok: false, message: 'Access token validation failure. Invalid audience.' };
  }
  if (p['tid'] !== core.tenantId) return { ok: false, message: 'Access token validation failure.' };
  const now = nowSeconds();
  const seq = typeof p['uti'] === 'string' ? core.tokenSeqByUti.get(p['uti']) : undefined;
  if (typeof p['exp'] !== 'number' || p['exp'] <= now || (seq !== undefined && seq <= core.revokedThroughSeq)) {
    return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
  }
  if (typeof p['nbf'] === 'number' && p['nbf'] > now + 300) {
    return { ok: false, message: 'Lifetime validation failed, the token is not yet valid.' };
  }
  const scp = typeof p['scp'] === 'string' ? p['scp'].split(' ').filter(Boolean) : [];
  return {
    ok: true,
    token: {
      appId: String(p['appid'] ?? ''),
      delegated: p['idtyp'] === 'user' || scp.length > 0,
      roles: Array.isArray(p['roles']) ? p['roles'].map(String) : [],
      scopes: scp,
      oid: String(p['oid'] ?? ''),
    },
  };
}

/** Permissions that include another (documented supersets; a ReadWrite grants its Read). */
const SUPERSETS: Record<string, string[]> = {
  'user.read.all': ['directory.read.all', 'directory.readwrite.all', 'user.readwrite.all'],
  'group.read.all': ['directory.read.all', 'directory.readwrite.all', 'group.readwrite.all'],
  'groupmember.read.all': ['group.read.all', 'group.readwrite.all', 'directory.read.all', 'directory.readwrite.all', 'groupmember.readwrite.all'],
  'directory.read.all': ['directory.readwrite.all'],
};

export function grants(granted: readonly string[], required: string): boolean {
  const have = new Set(granted.map((g) => g.toLowerCase()));
  const req = required.toLowerCase();
  if (have.has(req)) return true;
  if (req.includes('.read.') && have.has(req.replace('.read.', '.readwrite.'))) return true;
  if (req.endsWith('.read') && have.has(`${req}write`)) return true;
  return (SUPERSETS[req] ?? []).some((s) => have.has(s));
}

function permitted(ctx: Ctx, required: string | undefined, delegatedOnly: boolean): boolean {
  if (!required) return false;
  if (delegatedOnly && !ctx.token.delegated) return false;
  return grants(ctx.token.delegated ? ctx.token.scopes : ctx.token.roles, required);
}

// ---------------------------------------------------------------------------------------------
// routing

interface Route {
  store: Store;
  version: string;
  id?: string;
  sub: string[];
}

function resolveRoute(core: Core, pathname: string): Route | { status: number; message: string } {
  const m = /^\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m) return { status: 400, message: 'Invalid request.' };
  const version = m[1] ?? '';
  if (version !== 'v1.0' && version !== 'beta') return { status: 400, message: `Invalid version: ${version}` };
  const rest = m[2] ?? '';
  const lower = rest.toLowerCase();
  for (const store of core.tenant.stores) {
    const p = store.path.toLowerCase();
    if (lower !== p && !lower.startsWith(`${p}/`) && !lower.startsWith(`${p}(`)) continue;
    let remainder = rest.slice(store.path.length);
    let id: string | undefined;
    if (remainder.startsWith('(')) {
      const close = remainder.indexOf(')');
      if (close < 0) return { status: 400, message: 'Bad Request - Error in query syntax.' };
      id = remainder.slice(1, close).replace(/^'(.*)'$/, '$1');
      remainder = remainder.slice(close + 1);
    }
    const segments = remainder.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    if (id === undefined && store.kind === 'collection') id = segments.shift();
    return { store, version, id, sub: segments };
  }
  const segment = rest.split('/').filter(Boolean)[0] ?? '';
  return { status: 400, message: `Resource not found for the segment '${segment}'.` };
}

function defForList(store: Store, url: URL): ResourceDefinition | undefined {
  if (store.defs.length <= 1) return store.defs[0];
  const filter = url.searchParams.get('$filter');
  return store.defs.find((d) => d.listQuery['$filter'] === filter) ?? store.defs[0];
}

function typeOf(store: Store, def: ResourceDefinition | undefined): string | undefined {
  return def?.type ?? store.lookup?.type;
}

function bucketOf(store: Store, def: ResourceDefinition | undefined): ThrottleBucket {
  return def?.throttle ?? store.lookup?.throttle ?? 'default';
}

/** child path segment -> stored property */
function navPropertyFor(store: Store, def: ResourceDefinition | undefined, segment: string): { property: string; paged: boolean; childPath: string } | undefined {
  const child = def?.children.find((c) => c.path.toLowerCase() === segment.toLowerCase());
  if (child) return { property: child.property, paged: child.paged, childPath: child.path };
  for (const nav of store.navProps) if (nav.toLowerCase() === segment.toLowerCase()) return { property: nav, paged: true, childPath: nav };
  return undefined;
}

function pageSizeFor(core: Core, url: URL, key: string | undefined): { size: number; error?: string } {
  const top = url.searchParams.get('$top');
  if (top !== null) {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 0) return { size: 0, error: `Invalid value '${top}' for $top query option found.` };
    return { size: Math.min(Math.max(n, 1), core.scenario.maxPageSize) };
  }
  return { size: (key ? core.scenario.pageSizes[key] : undefined) ?? core.scenario.pageSize };
}

function offsetOf(url: URL): number | undefined {
  const token = url.searchParams.get('$skiptoken');
  if (token !== null) return decodeSkipToken(token);
  const skip = url.searchParams.get('$skip');
  if (skip !== null) {
    const n = Number(skip);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  }
  return 0;
}

/** Which type / page a request touches (fault matching). */
export function describeRequest(core: Core, method: string, url: URL): { type?: string; isRead: boolean; page?: number; child?: string } {
  const route = resolveRoute(core, url.pathname);
  const isRead = method === 'GET';
  if (!('store' in route)) return { isRead };
  const { store } = route;
  const def = route.id ? store.defFor(store.get(route.id)) : defForList(store, url);
  const type = typeOf(store, def);
  if (!isRead) return { type, isRead };
  let child: string | undefined;
  let key = type;
  if (route.id !== undefined && route.sub.length === 1) {
    const nav = navPropertyFor(store, def, route.sub[0] ?? '');
    if (!nav) return { type, isRead };
    child = nav.childPath;
    key = `${type}/${nav.childPath}`;
  } else if (route.id !== undefined || store.kind === 'singleton') {
    return { type, isRead };
  }
  const { size } = pageSizeFor(core, url, key);
  const offset = offsetOf(url) ?? 0;
  return { type, isRead, page: Math.floor(offset / Math.max(size, 1)) + 1, child };
}

// ---------------------------------------------------------------------------------------------
// projection

function project(store: Store, obj: Obj, select: string[] | undefined, expand: string[]): Obj {
  const out: Obj = {};
  const selected = select ? new Set(select.map((s) => s.toLowerCase())) : undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (store.navProps.has(k)) {
      if (expand.includes(k)) out[k] = v;
      continue;
    }
    if (selected && !selected.has(k.toLowerCase()) && k !== store.key && k !== '@odata.type' && !k.startsWith('@')) continue;
    out[k] = v;
  }
  for (const e of expand) if (!(e in out)) out[e] = [];
  return out;
}

function checkExpand(ctx: Ctx, store: Store, expand: string[]): LogicalResponse | undefined {
  for (const name of expand) {
    if (!store.navProps.has(name)) {
      return badRequest(ctx, `Could not find a property named '${name}' on type '${store.defs[0]?.type ?? store.lookup?.type ?? 'entity'}'.`);
    }
  }
  return undefined;
}

function listPage(ctx: Ctx, url: URL, version: string, items: Obj[], map: (o: Obj) => Obj, pageKey: string | undefined, paged: boolean, contextPath: string): LogicalResponse {
  const { core } = ctx;
  const { size, error } = pageSizeFor(core, url, pageKey);
  if (error) return badRequest(ctx, error);
  const offset = offsetOf(url);
  if (offset === undefined) return badRequest(ctx, 'Invalid $skiptoken or $skip value.');
  const pageSize = paged ? size : Number.MAX_SAFE_INTEGER;
  const page = items.slice(offset, offset + pageSize).map(map);
  const body: Obj = { '@odata.context': `${ctx.base}/${version}/$metadata#${contextPath}` };
  if (url.searchParams.get('$count') === 'true') body['@odata.count'] = items.length;
  if (offset + pageSize < items.length) {
    const params: [string, string][] = [];
    for (const [k, v] of url.searchParams) if (k !== '$skiptoken' && k !== '$skip') params.push([k, v]);
    params.push(['$skiptoken', encodeSkipToken(offset + pageSize)]);
    body['@odata.nextLink'] = `${ctx.base}${url.pathname}?${buildQuery(params)}`;
  }
  body['value'] = page;
  return { status: 200, headers: {}, body };
}

// ---------------------------------------------------------------------------------------------
// handlers

function handleGet(ctx: Ctx, route: Route, url: URL, def: ResourceDefinition | undefined): LogicalResponse {
  const { store, version, id, sub } = route;
  const select = parseSelect(url.searchParams.get('$select'));
  const expand = parseExpand(url.searchParams.get('$expand'));
  const bad = checkExpand(ctx, store, expand);
  if (bad) return bad;
  const type = typeOf(store, def);
  if (store.kind === 'singleton') {
    if (sub.length > 0) return badRequest(ctx, `Resource not found for the segment '${sub[0]}'.`);
    if (!store.singleton) return notFound(ctx, store, def, store.path);
    return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/${version}/$metadata#${store.path.slice(1)}/$entity`, ...project(store, store.singleton, select, expand) } };
  }
  if (id === undefined) {
    let items: Obj[];
    try {
      items = store.filtered(url.searchParams.get('$filter') ?? undefined);
    } catch (e) {
      if (e instanceof ODataError) return badRequest(ctx, `Invalid filter clause: ${e.message}`);
      throw e;
    }
    return listPage(ctx, url, version, items, (o) => project(store, o, select, expand), type, true, store.path.slice(1));
  }
  const obj = store.get(id);
  if (!obj) return notFound(ctx, store, def, id);
  if (sub.length === 0) {
    return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/${version}/$metadata#${store.path.slice(1)}/$entity`, ...project(store, obj, select, expand) } };
  }
  if (sub.length === 1) {
    const nav = navPropertyFor(store, def, sub[0] ?? '');
    if (nav) {
      const value = obj[nav.property];
      const items = Array.isArray(value) ? (value.filter(isObj) as Obj[]) : [];
      return listPage(ctx, url, version, items, (o) => o, `${type}/${nav.childPath}`, nav.paged, `${store.path.slice(1)}('${id}')/${nav.childPath}`);
    }
  }
  return badRequest(ctx, `Resource not found for the segment '${sub[0]}'.`);
}

class BodyError {
  constructor(readonly response: LogicalResponse) {}
}

function requireBody(ctx: Ctx, req: LogicalRequest): Obj | BodyError {
  if (req.bodyInvalid) {
    return new BodyError(badRequest(ctx, 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'));
  }
  if (!isObj(req.body)) return new BodyError(badRequest(ctx, 'Empty Payload. JSON content expected.'));
  return req.body;
}

function entityBody(ctx: Ctx, route: Route, store: Store, obj: Obj): Obj {
  return { '@odata.context': `${ctx.base}/${route.version}/$metadata#${store.path.slice(1)}/$entity`, ...project(store, obj, undefined, []) };
}

/**
 * PUT replaces the entity's properties, but not what a body cannot change: its type (an entity is
 * never turned into another derived type) and the relationships (navigation properties such as
 * assignments) that the body does not carry.
 */
function keptByPut(store: Store, existing: Obj, body: Obj): Obj {
  const out: Obj = { ...body };
  if (typeof existing['@odata.type'] === 'string' && out['@odata.type'] === undefined) out['@odata.type'] = existing['@odata.type'];
  for (const nav of store.navProps) if (!(nav in out) && nav in existing) out[nav] = existing[nav];
  return out;
}

function handleWrite(ctx: Ctx, route: Route, req: LogicalRequest, def: ResourceDefinition | undefined): { response: LogicalResponse; id?: string } {
  const { core } = ctx;
  const { store, id, sub } = route;
  const method = req.method;
  const write = def?.write;
  if (!def || !write) return { response: methodNotAllowed(ctx) };
  const type = def.type;
  const intune = def.workload === 'intune';

  // singletons
  if (store.kind === 'singleton') {
    if (sub.length > 0 || (method !== 'PATCH' && method !== 'PUT')) return { response: methodNotAllowed(ctx) };
    const body = requireBody(ctx, req);
    if (body instanceof BodyError) return { response: body.response };
    if (!store.singleton) return { response: notFound(ctx, store, def, store.path) };
    if (method === 'PATCH') core.tenant.update(type, undefined, body);
    else core.tenant.replace(type, undefined, keptByPut(store, store.singleton, body));
    return { response: { status: 204, headers: {} } };
  }

  // create
  const createPath = write.create?.path;
  if (method === 'POST' && write.create && ((id === undefined && !createPath) || (createPath && id === createPath && sub.length === 0))) {
    const body = requireBody(ctx, req);
    if (body instanceof BodyError) return { response: body.response };
    const input: Obj = { ...body };
    if (store.key === 'id') {
      input['id'] = newGuid();
    } else if (input[store.key] === undefined || input[store.key] === null || input[store.key] === '') {
      return { response: badRequest(ctx, `Property '${store.key}' is required.`, 'Request_BadRequest') };
    } else if (store.get(String(input[store.key]))) {
      return { response: err(ctx, 409, 'Request_MultipleObjectsWithSameKeyValue', `An object with the same ${store.key} '${String(input[store.key])}' already exists.`) };
    }
    const created = core.tenant.create(type, input);
    const newId = store.keyOf(created);
    return { response: { status: 201, headers: { Location: `${ctx.base}/${route.version}${store.path}/${newId ?? ''}` }, body: entityBody(ctx, route, store, created) }, id: newId };
  }
  if (id === undefined) return { response: methodNotAllowed(ctx) };
  const existing = store.get(id);
  if (!existing) return { response: notFound(ctx, store, def, id) };
  const key = store.keyOf(existing) ?? id;

  // delete
  if (method === 'DELETE' && sub.length === 0) {
    if (!write.delete) return { response: methodNotAllowed(ctx), id: key };
    core.tenant.remove(type, key);
    return { response: { status: 204, headers: {} }, id: key };
  }

  // update (the object itself, or update.path below it)
  const updatePath = write.update.path;
  const isUpdate =
    (sub.length === 0 && (method === 'PATCH' || method === 'PUT')) ||
    (updatePath !== undefined && sub.length === 1 && sub[0] === updatePath && method === write.update.method);
  if (isUpdate) {
    const body = requireBody(ctx, req);
    if (body instanceof BodyError) return { response: body.response, id: key };
    if (write.update.includeODataType && typeof existing['@odata.type'] === 'string') {
      if (typeof body['@odata.type'] !== 'string') {
        return { response: badRequest(ctx, `The request body must carry '@odata.type' ('${existing['@odata.type']}') to update this object.`), id: key };
      }
      if (body['@odata.type'].replace(/^#/, '').toLowerCase() !== existing['@odata.type'].replace(/^#/, '').toLowerCase()) {
        return { response: badRequest(ctx, `The type of an object cannot be changed from '${existing['@odata.type']}' to '${body['@odata.type']}'.`), id: key };
      }
    }
    const replace = method === 'PUT';
    const updated = replace ? core.tenant.replace(type, key, keptByPut(store, existing, body)) : core.tenant.update(type, key, body);
    return { response: intune ? { status: 200, headers: {}, body: entityBody(ctx, route, store, updated) } : { status: 204, headers: {} }, id: key };
  }

  if (sub.length === 1) {
    const action = sub[0] ?? '';
    // assignments
    if (write.assignments && method === 'POST' && action === write.assignments.action) {
      const body = requireBody(ctx, req);
      if (body instanceof BodyError) return { response: body.response, id: key };
      const list = body[write.assignments.bodyProperty];
      if (!Array.isArray(list)) {
        return { response: badRequest(ctx, `The request body must contain '${write.assignments.bodyProperty}' (an array).`), id: key };
      }
      const assignments = list.filter(isObj).map((a) => {
        const target = isObj(a['target']) ? a['target'] : {};
        const groupId = typeof target['groupId'] === 'string' ? target['groupId'] : newGuid();
        return { ...a, id: `${key}_${groupId}` };
      });
      const patch: Obj = { [write.assignments.property]: assignments };
      if ('isAssigned' in existing) patch['isAssigned'] = assignments.length > 0;
      core.tenant.update(type, key, patch);
      return {
        response: { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/${route.version}/$metadata#Collection(microsoft.graph.deviceAndAppManagementAssignment)`, value: assignments } },
        id: key,
      };
    }
    const act = write.actions.find((a) => a.path === action && a.method === method);
    if (act) {
      const body = requireBody(ctx, req);
      if (body instanceof BodyError) return { response: body.response, id: key };
      if (!(act.bodyProperty in body)) {
        return { response: badRequest(ctx, `The request body must contain '${act.bodyProperty}'.`), id: key };
      }
      core.tenant.update(type, key, { [act.property]: body[act.bodyProperty] });
      return { response: { status: 204, headers: {} }, id: key };
    }
  }
  return { response: methodNotAllowed(ctx), id: key };
}

// ---------------------------------------------------------------------------------------------
// dispatch (one logical request: plain, or one $batch item)

export function dispatch(core: Core, req: LogicalRequest, token: TokenInfo, ids: { requestId: string; clientRequestId: string }, base: string): LogicalResponse & { type?: string } {
  const ctx: Ctx = { core, token, requestId: ids.requestId, clientRequestId: ids.clientRequestId, base };
  const { method, url } = req;
  const c = core.counters;
  c.requests++;
  bump(c.byMethod, method);
  bump(c.byPath, `${method} ${url.pathname}`);
  const isWrite = WRITE_METHODS.has(method);
  let type: string | undefined;
  let recordId: string | undefined;
  let response: LogicalResponse;
  const route = resolveRoute(core, url.pathname);
  if (!('store' in route)) {
    response = badRequest(ctx, route.message);
  } else {
    const { store } = route;
    const obj = route.id !== undefined ? store.get(route.id) : undefined;
    const def = route.id !== undefined ? store.defFor(obj) : defForList(store, url);
    type = typeOf(store, def);
    if (type) bump(c.byType, type);
    const probe = describeRequest(core, method, url);
    const fault = core.faults.status({ method, path: url.pathname, type, isRead: !isWrite, page: probe.page, child: probe.child });
    const throttled = fault ? undefined : core.throttler.check(bucketOf(store, def), token.appId, isWrite);
    if (fault && fault.kind === 'status') {
      c.faultsInjected++;
      response = faultResponse(ctx, fault.status, fault.retryAfterSeconds);
    } else if (throttled) {
      c.throttled++;
      bump(c.throttledByBucket, bucketOf(store, def));
      const headers: Record<string, string> = {};
      if (throttled.retryAfter) {
        const waitMs = throttled.retryAfterSeconds !== undefined ? (throttled.retryAfterSeconds * 1000) / core.scenario.timeScale : throttled.waitMs;
        headers['Retry-After'] = formatRetryAfter(waitMs, core.scenario.retryAfterMode);
        headers['x-ms-throttle-scope'] = `${throttled.scope}/${token.appId}/${core.tenantId}`;
      }
      response = err(ctx, 429, 'TooManyRequests', 'Please retry again later.', headers, { code: '429', message: 'Please retry after', status: '429' });
    } else if (!def && !store.lookup) {
      response = badRequest(ctx, `Resource not found for the segment '${url.pathname}'.`);
    } else if (!isWrite) {
      const required = def ? def.permissions.read : store.lookup?.permissions.read;
      response = permitted(ctx, required, def?.delegatedOnly ?? false) ? handleGet(ctx, route, url, def) : forbidden(ctx);
    } else if (!def || !def.write || !def.permissions.write) {
      response = methodNotAllowed(ctx);
    } else if (!permitted(ctx, def.permissions.write, def.delegatedOnly)) {
      response = forbidden(ctx);
    } else {
      const result = handleWrite(ctx, route, req, def);
      response = result.response;
      recordId = result.id;
    }
    if (isWrite && recordId === undefined && route.id !== undefined) recordId = route.id;
  }
  bump(c.byStatus, String(response.status));
  if (isWrite) {
    core.writes.push({
      method,
      path: `${url.pathname}${url.search}`,
      type,
      id: recordId,
      body: req.body,
      status: response.status,
      time: new Date().toISOString(),
      batched: req.batched,
      requestId: ids.requestId,
      clientRequestId: ids.clientRequestId,
    });
  }
  return { ...response, type };
}

// ---------------------------------------------------------------------------------------------
// $batch

async function handleBatch(core: Core, bodyText: string, token: TokenInfo, ids: { requestId: string; clientRequestId: string }, base: string, version: string): Promise<LogicalResponse> {
  core.counters.batches++;
  const invalid = (detail: string) => {
    core.log(`graph: $batch rejected: ${detail}`);
    return badRequest(ids, 'Invalid batch payload format.');
  };
  let payload: unknown;
  try {
    payload = JSON.parse(bodyText);
  } catch {
    return invalid('body is not JSON');
  }
  if (!isObj(payload) || !Array.isArray(payload['requests'])) return invalid('no requests array');
  const items = payload['requests'];
  if (items.length > MAX_BATCH) {
    core.log(`graph: $batch rejected: ${items.length} requests`);
    return badRequest(ids, 'Number of requests inside batch exceeds the limit.');
  }
  if (items.length === 0) return invalid('empty requests array');
  const seen = new Set<string>();
  const parsed: { id: string; method: string; url: URL; headers: Record<string, string>; body: unknown; dependsOn: string[] }[] = [];
  for (const item of items) {
    if (!isObj(item)) return invalid('a request is not an object');
    const id = item['id'];
    if (typeof id !== 'string' || id === '') return invalid('a request has no id');
    if (seen.has(id)) return invalid(`duplicate id ${id}`);
    const method = typeof item['method'] === 'string' ? item['method'].toUpperCase() : '';
    if (!['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(method)) return invalid(`request ${id} has no valid method`);
    const rel = item['url'];
    if (typeof rel !== 'string' || rel === '' || /^[a-z]+:\/\//i.test(rel)) return invalid(`request ${id} url must be relative`);
    const headers: Record<string, string> = {};
    if (isObj(item['headers'])) for (const [k, v] of Object.entries(item['headers'])) headers[k.toLowerCase()] = String(v);
    const body = item['body'];
    // A body needs its Content-Type (actions without a body are allowed).
    if (body !== undefined && method !== 'GET' && method !== 'DELETE' && !headers['content-type']) {
      return badRequest(ids, `Write request id : ${id} does not contain Content-Type header or body.`);
    }
    const dependsOn = Array.isArray(item['dependsOn']) ? item['dependsOn'].map(String) : [];
    for (const dep of dependsOn) if (!seen.has(dep)) return invalid(`request ${id} depends on unknown ${dep}`);
    seen.add(id);
    parsed.push({ id, method, url: new URL(`${base}/${version}${rel.startsWith('/') ? '' : '/'}${rel}`), headers, body, dependsOn });
  }
  core.counters.batchItems += parsed.length;
  const statusById = new Map<string, number>();
  const responses: Obj[] = [];
  for (const item of parsed) {
    const itemIds = { requestId: randomUUID(), clientRequestId: item.headers['client-request-id'] ?? ids.clientRequestId };
    let result: LogicalResponse;
    if (item.dependsOn.some((d) => (statusById.get(d) ?? 0) >= 400)) {
      result = err(itemIds, 424, 'FailedDependency', 'A dependent request failed.');
    } else {
      result = dispatch(core, { method: item.method, url: item.url, headers: item.headers, body: item.body, batched: true }, token, itemIds, base);
    }
    statusById.set(item.id, result.status);
    const headers: Record<string, string> = { ...result.headers };
    const out: Obj = { id: item.id, status: result.status, headers };
    if (result.body !== undefined && result.status !== 204) {
      headers['Content-Type'] = GRAPH_CONTENT_TYPE;
      out['body'] = result.body;
    }
    responses.push(out);
  }
  // Graph answers batch items in any order.
  core.prng.shuffle(responses);
  return { status: 200, headers: {}, body: { responses } };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export async function handleGraph(core: Core, req: IncomingMessage, res: ServerResponse, control: ControlHandler): Promise<void> {
  const base = `https://${req.headers.host ?? new URL(core.graphUrl).host}`;
  const url = new URL(req.url ?? '/', base);
  if (url.pathname === '/_control' || url.pathname.startsWith('/_control/')) {
    await control(req, res, url);
    return;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const requestId = randomUUID();
  const clientRequestIdHeader = req.headers['client-request-id'];
  const clientRequestId = typeof clientRequestIdHeader === 'string' && clientRequestIdHeader ? clientRequestIdHeader : requestId;
  const ids = { requestId, clientRequestId };
  core.counters.httpRequests++;
  const bodyText = await readBody(req);
  const probe = describeRequest(core, method, url);
  const faultReq = { method, path: url.pathname, type: probe.type, isRead: method === 'GET', page: probe.page, child: probe.child };
  const latency = core.faults.latency(faultReq);
  if (latency > 0) await sleep(latency / core.scenario.timeScale);
  const drop = core.faults.drop(faultReq);
  if (drop && drop.kind === 'drop' && drop.phase === 'before') {
    core.counters.droppedConnections++;
    core.log(`graph: dropped connection before ${method} ${url.pathname}`);
    req.socket.destroy();
    return;
  }

  let result: LogicalResponse;
  const auth = authenticate(core, req.headers.authorization);
  const batchMatch = /^\/(v1\.0|beta)\/\$batch$/.exec(url.pathname);
  if (!auth.ok) {
    core.counters.requests++;
    bump(core.counters.byStatus, '401');
    result = err(ids, 401, 'InvalidAuthenticationToken', auth.message, {
      'WWW-Authenticate': `Bearer realm="", authorization_uri="${core.loginUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
  } else if (batchMatch && method === 'POST') {
    result = await handleBatch(core, bodyText, auth.token, ids, base, batchMatch[1] ?? 'v1.0');
  } else {
    let body: unknown;
    let bodyInvalid = false;
    if (bodyText.trim() !== '') {
      try {
        body = JSON.parse(bodyText);
      } catch {
        bodyInvalid = true;
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    result = dispatch(core, { method, url, headers, body, bodyInvalid, batched: false }, auth.token, ids, base);
  }

  const headers: Record<string, string> = {
    ...result.headers,
    'request-id': requestId,
    'client-request-id': clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Simulated', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'SIM', ADSiteName: 'SIM' } }),
    'Cache-Control': 'no-cache',
  };
  const hasBody = result.body !== undefined && result.status !== 204;
  const text = hasBody ? JSON.stringify(result.body) : '';
  if (hasBody) {
    headers['Content-Type'] = GRAPH_CONTENT_TYPE;
    headers['Content-Length'] = String(Buffer.byteLength(text));
  }
  if (drop) {
    core.counters.droppedConnections++;
    core.log(`graph: dropped connection during ${method} ${url.pathname}`);
    res.writeHead(result.status, headers);
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setImmediate(() => req.socket.destroy());
    return;
  }
  res.writeHead(result.status, headers);
  res.end(text);
}
