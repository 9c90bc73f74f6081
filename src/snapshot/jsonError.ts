/**
 * Where a JSON text is broken, as a person fixing it in an editor wants it: line and column
 * (1-based) and a reason without the echo of the text that V8 adds to some messages.
 */

export interface JsonParseFailure {
  /** Offset in UTF-16 code units into the text */
  offset: number;
  line: number;
  column: number;
  message: string;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: JsonParseFailure };

/** JSON.parse that reports where the text is broken instead of throwing. A leading BOM is ignored. */
export function parseJsonText(text: string): JsonParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const skipped = text.length - body.length;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    // V8 gives 'at position N' for most errors; for unexpected tokens (Node 20) and the end of the
    // input it does not, so find the place with a small scanner then.
    const match = /at position (\d+)/.exec(raw);
    const offset = (match ? Number(match[1]) : findJsonError(body)) + skipped;
    const { line, column } = lineAndColumn(text, offset);
    return { ok: false, error: { offset, line, column, message: cleanMessage(raw) } };
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function cleanMessage(message: string): string {
  return (
    message
      .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/ at position \d+.*$/s, '')
      .replace(/^JSON\.parse: /, '')
      .trim() || 'Invalid JSON'
  );
}

/**
 * Offset of the first character where `text` stops being JSON (RFC 8259), or text.length when the
 * text ends too early. Only called on text that JSON.parse rejected.
 */
export function findJsonError(text: string): number {
  let i = 0;
  const n = text.length;
  class Stop {
    constructor(readonly at: number) {}
  }
  const fail = (at: number): never => {
    throw new Stop(at);
  };
  const ws = (): void => {
    while (i < n && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) fail(i);
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail(n);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail(i);
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === undefined) fail(n);
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail(Math.min(i + k, n));
          i += 5;
        } else if ('"\\/bfnrt'.includes(e!)) i++;
        else fail(i);
      } else i++;
    }
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (/[1-9]/.test(text[i] ?? '')) while (/[0-9]/.test(text[i] ?? '')) i++;
    else fail(i);
    if (text[i] === '.') {
      i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail(i);
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail(i);
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
  };
  const value = (): void => {
    ws();
    if (i >= n) fail(n);
    const c = text[i]!;
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    return i < n ? i : n;
  } catch (stop) {
    if (stop instanceof Stop) return Math.min(stop.at, n);
    throw stop;
  }
}
