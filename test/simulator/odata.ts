/**
 * The part of OData that Graph list requests use here: $filter (comparisons, and/or/not,
 * startswith/endswith/contains/isof, `in`), $select, $expand, $top, $skip, $skiptoken.
 */
import { isObj, type Obj } from './util.js';

export class ODataError extends Error {}

type Literal = string | number | boolean | null;
type Node =
  | { kind: 'lit'; value: Literal }
  | { kind: 'path'; segments: string[] }
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; left: Node; right: Node }
  | { kind: 'in'; left: Node; values: Node[] }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'fn'; name: string; args: Node[] };

interface Token {
  type: 'str' | 'num' | 'word' | 'guid' | '(' | ')' | ',';
  value: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, value: c });
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ODataError('Unterminated string literal in $filter');
        const d = text[i] as string;
        if (d === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ type: 'str', value });
    } else {
      const guid = GUID.exec(text.slice(i));
      if (guid) {
        tokens.push({ type: 'guid', value: guid[0] });
        i += guid[0].length;
        continue;
      }
      const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (num && !/[A-Za-z_]/.test(text[i + num[0].length] ?? '')) {
        tokens.push({ type: 'num', value: num[0] });
        i += num[0].length;
        continue;
      }
      const word = /^[A-Za-z_@#$][\w@#.$/:]*/.exec(text.slice(i));
      if (!word) throw new ODataError(`Syntax error at position ${i} in $filter`);
      tokens.push({ type: 'word', value: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    if (this.pos < this.tokens.length) throw new ODataError(`Syntax error: unexpected '${this.peek()?.value}' in $filter`);
    return node;
  }
  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private take(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new ODataError('Syntax error: unexpected end of $filter');
    return t;
  }
  private isWord(value: string): boolean {
    const t = this.peek();
    return t?.type === 'word' && t.value.toLowerCase() === value;
  }
  private expect(type: Token['type']): void {
    const t = this.take();
    if (t.type !== type) throw new ODataError(`Syntax error: expected '${type}' in $filter`);
  }
  private or(): Node {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): Node {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }
  private unary(): Node {
    if (this.isWord('not')) {
      this.pos++;
      return { kind: 'not', operand: this.unary() };
    }
    return this.comparison();
  }
  private comparison(): Node {
    const left = this.operand();
    const t = this.peek();
    if (t?.type === 'word') {
      const op = t.value.toLowerCase();
      if (op === 'eq' || op === 'ne' || op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') {
        this.pos++;
        return { kind: 'cmp', op, left, right: this.operand() };
      }
      if (op === 'in') {
        this.pos++;
        this.expect('(');
        const values: Node[] = [];
        if (this.peek()?.type !== ')') {
          values.push(this.operand());
          while (this.peek()?.type === ',') {
            this.pos++;
            values.push(this.operand());
          }
        }
        this.expect(')');
        return { kind: 'in', left, values };
      }
    }
    return left;
  }
  private operand(): Node {
    const t = this.take();
    switch (t.type) {
      case '(': {
        const inner = this.or();
        this.expect(')');
        return inner;
      }
      case 'str':
      case 'guid':
        return { kind: 'lit', value: t.value };
      case 'num':
        return { kind: 'lit', value: Number(t.value) };
      case 'word': {
        const lower = t.value.toLowerCase();
        if (lower === 'true' || lower === 'false') return { kind: 'lit', value: lower === 'true' };
        if (lower === 'null') return { kind: 'lit', value: null };
        if (this.peek()?.type === '(') {
          if (t.value.includes('/')) throw new ODataError(`Lambda operators are not supported: ${t.value}`);
          this.pos++;
          const args: Node[] = [];
          if (this.peek()?.type !== ')') {
            args.push(this.or());
            while (this.peek()?.type === ',') {
              this.pos++;
              args.push(this.or());
            }
          }
          this.expect(')');
          const name = lower;
          if (!['startswith', 'endswith', 'contains', 'isof', 'tolower', 'toupper'].includes(name)) {
            throw new ODataError(`Unsupported function in $filter: ${t.value}`);
          }
          return { kind: 'fn', name, args };
        }
        return { kind: 'path', segments: t.value.split('/') };
      }
      default:
        throw new ODataError(`Syntax error: unexpected '${t.value}' in $filter`);
    }
  }
}

export type FilterFn = (obj: Obj) => boolean;

const filterCache = new Map<string, FilterFn>();

/** Compiles a $filter expression; throws ODataError when it is not understood. */
export function compileFilter(expression: string): FilterFn {
  const cached = filterCache.get(expression);
  if (cached) return cached;
  const ast = new Parser(tokenize(expression)).parse();
  const fn: FilterFn = (obj) => truthy(evaluate(ast, obj));
  if (filterCache.size > 1000) filterCache.clear();
  filterCache.set(expression, fn);
  return fn;
}

function truthy(value: unknown): boolean {
  return value === true;
}

function resolvePath(obj: Obj, segments: string[]): unknown {
  let current: unknown = obj;
  for (const segment of segments) {
    if (!isObj(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function normalize(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  // Directory string comparisons are case-insensitive.
  const x = normalize(a);
  const y = normalize(b);
  switch (op) {
    case 'eq':
      return (x ?? null) === (y ?? null);
    case 'ne':
      return (x ?? null) !== (y ?? null);
  }
  if (x === undefined || x === null || y === undefined || y === null) return false;
  switch (op) {
    case 'gt':
      return (x as number) > (y as number);
    case 'ge':
      return (x as number) >= (y as number);
    case 'lt':
      return (x as number) < (y as number);
    case 'le':
      return (x as number) <= (y as number);
  }
  return false;
}

function evaluate(node: Node, obj: Obj): unknown {
  switch (node.kind) {
    case 'lit':
      return node.value;
    case 'path':
      return resolvePath(obj, node.segments);
    case 'cmp':
      return compare(node.op, evaluate(node.left, obj), evaluate(node.right, obj));
    case 'in': {
      const left = evaluate(node.left, obj);
      return node.values.some((v) => compare('eq', left, evaluate(v, obj)));
    }
    case 'and':
      return truthy(evaluate(node.left, obj)) && truthy(evaluate(node.right, obj));
    case 'or':
      return truthy(evaluate(node.left, obj)) || truthy(evaluate(node.right, obj));
    case 'not':
      return !truthy(evaluate(node.operand, obj));
    case 'fn': {
      const args = node.args.map((a) => evaluate(a, obj));
      const [a, b] = args;
      switch (node.name) {
        case 'startswith':
          return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().startsWith(b.toLowerCase());
        case 'endswith':
          return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().endsWith(b.toLowerCase());
        case 'contains':
          return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().includes(b.toLowerCase());
        case 'tolower':
          return typeof a === 'string' ? a.toLowerCase() : a;
        case 'toupper':
          return typeof a === 'string' ? a.toUpperCase() : a;
        case 'isof': {
          // isof('microsoft.graph.x') on the current object, or isof(path, 'microsoft.graph.x')
          const typeName = node.args.length === 1 ? a : b;
          const target = node.args.length === 1 ? obj : a;
          if (typeof typeName !== 'string' || !isObj(target)) return false;
          const actual = String(target['@odata.type'] ?? '').replace(/^#/, '').toLowerCase();
          return actual === typeName.replace(/^#/, '').toLowerCase();
        }
      }
      return false;
    }
  }
}

/** Top-level items of $select ('a,b') */
export function parseSelect(value: string | null): string[] | undefined {
  if (!value) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Top-level names of $expand ('assignments,scheduledActionsForRule($expand=x)' -> both names) */
export function parseExpand(value: string | null | undefined): string[] {
  if (!value) return [];
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of value) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      names.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  names.push(current);
  return names.map((n) => n.split('(')[0]?.trim() ?? '').filter(Boolean);
}

export function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, s: 'tenant-sync-simulator' })).toString('base64url');
}

export function decodeSkipToken(token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObj(parsed) && typeof parsed['o'] === 'number' && parsed['o'] >= 0) return parsed['o'];
  } catch {
    /* fall through */
  }
  return undefined;
}
