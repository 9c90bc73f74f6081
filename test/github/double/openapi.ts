/**
 * GitHub's published OpenAPI description (@octokit/openapi, api.github.com.json): loaded lazily,
 * once per process, indexed by method + path template. Requests are checked against it (path and
 * query parameters, JSON body) and responses are completed and checked against it.
 *
 * The description is OpenAPI 3.0: `nullable: true` is rewritten to JSON Schema (`type: [t, 'null']`
 * or `anyOf [null, …]`) once, when the description is loaded; `#/components/…` references resolve
 * against one schema registered in Ajv as `gh`, so a validator compiles only what it reaches.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Obj;
  'x-multi-segment'?: boolean;
}

export interface Operation {
  operationId: string;
  method: string;
  /** The path template, e.g. /repos/{owner}/{repo}/pulls/{pull_number} */
  path: string;
  parameters: Parameter[];
  /** The JSON request body schema, if the operation takes one. */
  requestBody?: { required: boolean; schema: Obj | undefined; contentTypes: string[] };
  /** Responses by status code ('200', '201', …, 'default'). */
  responses: Record<string, Obj>;
  segments: string[];
  literalCount: number;
  /** The operation's page on docs.github.com (documentation_url of error bodies). */
  docsUrl: string;
}

export interface Spec {
  operations: Operation[];
  byId: Map<string, Operation>;
  /** components, with nullable rewritten */
  components: Obj;
}

export interface MatchedOperation {
  operation: Operation;
  /** Decoded path parameters (multi-segment ones such as {ref} keep their slashes). */
  params: Record<string, string>;
}

const require = createRequire(import.meta.url);
let spec: Spec | undefined;

/** Rewrites OpenAPI 3.0 `nullable: true` to JSON Schema, in place, depth first. */
function denullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) denullable(item);
    return;
  }
  if (!isObj(node)) return;
  for (const value of Object.values(node)) denullable(value);
  if (node['nullable'] !== true) return;
  delete node['nullable'];
  const type = node['type'];
  if (typeof type === 'string') {
    node['type'] = [type, 'null'];
    if (Array.isArray(node['enum']) && !node['enum'].includes(null)) node['enum'] = [...(node['enum'] as unknown[]), null];
  } else if (type === undefined) {
    const rest: Obj = { ...node };
    for (const k of Object.keys(node)) delete node[k];
    node['anyOf'] = [{ type: 'null' }, rest];
  }
}

export function loadSpec(): Spec {
  if (spec) return spec;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Obj>>; components: Obj };
  const components = raw.components;
  // Keep what requests and responses need; drop examples (most of the file's weight) at once.
  const kept: Obj = { schemas: components['schemas'], parameters: components['parameters'], responses: components['responses'], headers: components['headers'] };
  denullable(kept['schemas']);
  denullable(kept['parameters']);
  denullable(kept['responses']);
  const resolveRef = (value: unknown): Obj => {
    let v = value;
    for (let i = 0; i < 10 && isObj(v) && typeof v['$ref'] === 'string'; i++) {
      const parts = (v['$ref'] as string).replace(/^#\//, '').split('/');
      let cur: unknown = raw;
      for (const p of parts) cur = isObj(cur) ? cur[p] : undefined;
      v = cur;
    }
    return isObj(v) ? v : {};
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(raw.paths)) {
    const shared = Array.isArray(item['parameters']) ? (item['parameters'] as unknown[]) : [];
    for (const method of ['get', 'post', 'put', 'patch', 'delete', 'head']) {
      const op = item[method];
      if (!isObj(op) || typeof op['operationId'] !== 'string') continue;
      const parameters = [...shared, ...(Array.isArray(op['parameters']) ? (op['parameters'] as unknown[]) : [])].map((p) => resolveRef(p) as unknown as Parameter);
      let requestBody: Operation['requestBody'];
      if (isObj(op['requestBody'])) {
        const rb = resolveRef(op['requestBody']);
        const content = isObj(rb['content']) ? rb['content'] : {};
        const json = Object.entries(content).find(([ct]) => ct.includes('json'));
        const schema = json && isObj(json[1]) && isObj(json[1]['schema']) ? (json[1]['schema'] as Obj) : undefined;
        if (schema) denullable(schema);
        requestBody = { required: rb['required'] === true, schema, contentTypes: Object.keys(content) };
      }
      const responses: Record<string, Obj> = {};
      for (const [code, r] of Object.entries(isObj(op['responses']) ? op['responses'] : {})) {
        const resolved = resolveRef(r);
        denullable(resolved);
        responses[code] = resolved;
      }
      const segments = path.split('/').slice(1);
      operations.push({
        operationId: op['operationId'] as string,
        method: method.toUpperCase(),
        path,
        parameters,
        requestBody,
        responses,
        segments,
        literalCount: segments.filter((s) => !s.includes('{')).length,
        docsUrl: isObj(op['externalDocs']) && typeof op['externalDocs']['url'] === 'string' ? op['externalDocs']['url'] : 'https://docs.github.com/rest',
      });
    }
  }
  // More literal segments first: /repos/{o}/{r}/pulls/{n}/merge before /repos/{o}/{r}/{x}/...
  operations.sort((a, b) => b.literalCount - a.literalCount || a.segments.length - b.segments.length);
  spec = { operations, byId: new Map(operations.map((o) => [o.operationId, o])), components: kept };
  return spec;
}

/** Finds the operation for a request path (below the API root, no query string). */
export function matchOperation(method: string, rawPath: string): MatchedOperation | { methodNotAllowed: true } | undefined {
  const s = loadSpec();
  const segments = rawPath.replace(/\/+$/, '').split('/').slice(1);
  let pathMatched = false;
  for (const operation of s.operations) {
    const params = matchSegments(operation, segments);
    if (!params) continue;
    if (operation.method !== method && !(method === 'HEAD' && operation.method === 'GET')) {
      pathMatched = true;
      continue;
    }
    return { operation, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

/** Path parameters that may hold slashes when a client does not encode them. */
const MULTI_SEGMENT = ['ref', 'branch', 'commit_sha', 'basehead', 'path', 'head'];

const segmentRegexes = new Map<string, { re: RegExp; names: string[] }>();

/** A template segment as a regular expression: `{base}...{head}` → /^(.+?)\.\.\.(.+)$/ */
function segmentRegex(segment: string): { re: RegExp; names: string[] } {
  let r = segmentRegexes.get(segment);
  if (!r) {
    const names: string[] = [];
    const source = segment.replace(/\{([^}]+)\}|([^{]+)/g, (_m, name: string | undefined, literal: string | undefined) => {
      if (name) {
        names.push(name);
        return '(.+?)';
      }
      return (literal ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
    r = { re: new RegExp(`^${source}$`), names };
    segmentRegexes.set(segment, r);
  }
  return r;
}

function matchSegments(op: Operation, segments: string[]): Record<string, string> | undefined {
  const t = op.segments;
  const params: Record<string, string> = {};
  const last = t[t.length - 1] ?? '';
  const lastNames = last.includes('{') ? segmentRegex(last).names : [];
  const multi = lastNames.some((n) => MULTI_SEGMENT.includes(n) || op.parameters.some((p) => p.in === 'path' && p.name === n && p['x-multi-segment'] === true));
  if (segments.length !== t.length && !(multi && segments.length > t.length)) return undefined;
  for (let i = 0; i < t.length; i++) {
    const ts = t[i] as string;
    const isLast = i === t.length - 1;
    const seg = isLast && multi ? segments.slice(i).join('/') : segments[i];
    if (seg === undefined || seg === '') return undefined;
    if (!ts.includes('{')) {
      if (ts !== seg) return undefined;
      continue;
    }
    const { re, names } = segmentRegex(ts);
    const m = re.exec(seg);
    if (!m) return undefined;
    for (let j = 0; j < names.length; j++) {
      try {
        params[names[j] as string] = decodeURIComponent(m[j + 1] ?? '');
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

// ------------------------------------------------------------------------------------------ Ajv

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function getAjv(): Ajv {
  if (ajv) return ajv;
  const a = new Ajv({ strict: false, allErrors: true, validateFormats: true, coerceTypes: false });
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
  addFormats(a);
  // GitHub's own format for "owner/name" (head_repo in pulls/create)
  a.addFormat('repo.nwo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
  a.addSchema({ $id: 'gh', components: loadSpec().components });
  ajv = a;
  return a;
}

/** Points `#/components/…` references of an inline schema at the registered `gh` document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `gh${v}` : rebase(v);
  return out;
}

export function validatorFor(key: string, schema: Obj): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = getAjv().compile(rebase(schema) as Obj);
    validators.set(key, v);
  }
  return v;
}

/** GitHub's style: "For 'properties/title', 123 is not a string." */
export function describeErrors(errors: ErrorObject[] | null | undefined, data: unknown): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const path = e.instancePath ? e.instancePath.slice(1).split('/').map((p) => `properties/${p}`).join('/') : '';
    let value: unknown = data;
    for (const p of e.instancePath.split('/').slice(1)) value = isObj(value) || Array.isArray(value) ? (value as Record<string, unknown>)[p] : undefined;
    const shown = JSON.stringify(value);
    let text: string;
    if (e.keyword === 'type') text = `${shown} is not ${String(e.params['type']).startsWith('a') || String(e.params['type']).startsWith('i') || String(e.params['type']).startsWith('o') ? 'an' : 'a'} ${String(e.params['type'])}.`;
    else if (e.keyword === 'required') text = `"${String(e.params['missingProperty'])}" wasn't supplied.`;
    else if (e.keyword === 'enum') text = `${shown} is not a member of ${JSON.stringify(e.params['allowedValues'])}.`;
    else if (e.keyword === 'maxLength' || e.keyword === 'maxItems') text = `${e.keyword === 'maxItems' ? (Array.isArray(value) ? value.length : '?') + ' items are' : 'the value is'} more than the allowed maximum of ${String(e.params['limit'])} (${e.message ?? ''}).`;
    else if (e.keyword === 'additionalProperties') text = `"${String(e.params['additionalProperty'])}" is not a permitted key.`;
    else text = `${shown} ${e.message ?? 'is invalid'}.`;
    out.push(path ? `For '${path}', ${text}` : text);
  }
  return [...new Set(out)];
}

export interface RequestCheck {
  errors: string[];
  /** Query parameters with declared types applied (integers, booleans). */
  query: Record<string, unknown>;
}

function coerce(value: string, schema: Obj | undefined): unknown {
  const type = schema?.['type'];
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('integer') || types.includes('number')) {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  if (types.includes('boolean')) return value === 'true' ? true : value === 'false' ? false : value;
  if (types.includes('array')) return value.split(',');
  return value;
}

/** Checks path parameters, query parameters and the JSON body against the operation. */
export function checkRequest(op: Operation, params: Record<string, string>, search: URLSearchParams, body: unknown, hasBody: boolean): RequestCheck {
  const errors: string[] = [];
  const query: Record<string, unknown> = {};
  const declared = new Map(op.parameters.map((p) => [`${p.in}:${p.name}`, p]));
  for (const [name, value] of Object.entries(params)) {
    const p = declared.get(`path:${name}`);
    if (!p?.schema) continue;
    const v = validatorFor(`param:${op.operationId}:${name}`, p.schema);
    const coerced = coerce(value, p.schema);
    if (!v(coerced)) errors.push(...describeErrors(v.errors, coerced).map((e) => `Path parameter '${name}': ${e}`));
  }
  for (const [name, value] of search.entries()) {
    const p = declared.get(`query:${name}`);
    if (!p) {
      errors.push(`Query parameter '${name}' is not a parameter of ${op.operationId}.`);
      continue;
    }
    const coerced = coerce(value, p.schema);
    query[name] = coerced;
    if (p.schema) {
      const v = validatorFor(`query:${op.operationId}:${name}`, p.schema);
      if (!v(coerced)) errors.push(...describeErrors(v.errors, coerced).map((e) => `Query parameter '${name}': ${e}`));
    }
  }
  for (const p of op.parameters) if (p.in === 'query' && p.required && !search.has(p.name)) errors.push(`Query parameter '${p.name}' is required.`);
  if (op.requestBody?.schema && (hasBody || op.requestBody.required)) {
    const v = validatorFor(`body:${op.operationId}`, op.requestBody.schema);
    if (!v(body)) errors.push(...describeErrors(v.errors, body));
  } else if (!op.requestBody && hasBody && !(isObj(body) && Object.keys(body).length === 0)) {
    errors.push(`${op.operationId} takes no request body.`);
  }
  return { errors, query };
}

/** The JSON schema of a response status (undefined when the description has none). */
export function responseSchema(op: Operation, status: number): Obj | undefined {
  const r = op.responses[String(status)];
  if (!r) return undefined;
  const content = isObj(r['content']) ? r['content'] : undefined;
  const json = content ? Object.entries(content).find(([ct]) => ct.includes('json')) : undefined;
  const schema = json && isObj(json[1]) ? json[1]['schema'] : undefined;
  return isObj(schema) ? schema : undefined;
}

export function checkResponse(op: Operation, status: number, body: unknown): string[] {
  const schema = responseSchema(op, status);
  if (!schema) return op.responses[String(status)] || status >= 400 ? [] : [`${op.operationId} has no ${status} response in the description.`];
  const v = validatorFor(`response:${op.operationId}:${status}`, schema);
  return v(body) ? [] : describeErrors(v.errors, body);
}

// ------------------------------------------------------------------------------ completing bodies

function deref(schema: unknown): Obj {
  let s = schema;
  for (let i = 0; i < 20 && isObj(s) && typeof s['$ref'] === 'string'; i++) {
    const parts = (s['$ref'] as string).replace(/^(gh)?#\//, '').split('/');
    let cur: unknown = { components: loadSpec().components };
    for (const p of parts) cur = isObj(cur) ? cur[p.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    s = cur;
  }
  return isObj(s) ? s : {};
}

function typesOf(schema: Obj): string[] {
  const t = schema['type'];
  if (Array.isArray(t)) return t as string[];
  if (typeof t === 'string') return [t];
  if (isObj(schema['properties'])) return ['object'];
  return [];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

export interface FillContext {
  /** Base for placeholder URLs (format uri). */
  urlBase: string;
  now: string;
}

/**
 * Completes `value` so that it has every property the schema requires: the double builds the
 * fields that carry meaning and this fills the rest (null where allowed, empty strings, zero,
 * false, [], placeholder URLs and times), so that responses validate against the description.
 */
export function fill(schema: unknown, value: unknown, ctx: FillContext, name = '', depth = 0): unknown {
  const s = deref(schema);
  if (depth > 12) return value ?? null;
  if (Array.isArray(s['allOf'])) {
    let v = value;
    for (const part of s['allOf'] as unknown[]) v = fill(part, v, ctx, name, depth + 1);
    const { allOf: _allOf, ...rest } = s;
    return Object.keys(rest).length ? fill(rest, v, ctx, name, depth + 1) : v;
  }
  const alternatives = (s['anyOf'] ?? s['oneOf']) as unknown[] | undefined;
  if (Array.isArray(alternatives)) {
    const options = alternatives.map(deref);
    if (value === undefined) {
      if (options.some((o) => typesOf(o).includes('null'))) return null;
      return fill(options[0], undefined, ctx, name, depth + 1);
    }
    const k = kindOf(value);
    const fit = options.find((o) => typesOf(o).includes(k) || (k === 'integer' && typesOf(o).includes('number'))) ?? options.find((o) => typesOf(o).length === 0);
    return fit ? fill(fit, value, ctx, name, depth + 1) : value;
  }
  const types = typesOf(s);
  if (value === undefined) {
    if (s['default'] !== undefined) return s['default'];
    if (types.includes('null')) return null;
    if (Array.isArray(s['enum']) && s['enum'].length) return s['enum'][0];
    const t = types[0];
    if (t === 'object') return fill(s, {}, ctx, name, depth + 1);
    if (t === 'array') return [];
    if (t === 'integer' || t === 'number') return 0;
    if (t === 'boolean') return false;
    if (t === 'string') {
      const format = s['format'];
      if (format === 'date-time') return ctx.now;
      if (format === 'uri' || format === 'uri-template' || name.endsWith('_url') || name === 'url') return `${ctx.urlBase}/${name || 'x'}`;
      if (format === 'email') return 'noreply@github.com';
      return '';
    }
    return null;
  }
  if (isObj(value) && (types.includes('object') || isObj(s['properties']))) {
    const props = isObj(s['properties']) ? s['properties'] : {};
    const out: Obj = { ...value };
    for (const req of Array.isArray(s['required']) ? (s['required'] as string[]) : []) {
      if (!(req in out)) out[req] = fill(props[req] ?? {}, undefined, ctx, req, depth + 1);
    }
    for (const [k, v] of Object.entries(out)) if (props[k] && v !== undefined) out[k] = fill(props[k], v, ctx, k, depth + 1);
    return out;
  }
  if (Array.isArray(value) && types.includes('array') && s['items']) return value.map((item) => fill(s['items'], item, ctx, name, depth + 1));
  return value;
}
