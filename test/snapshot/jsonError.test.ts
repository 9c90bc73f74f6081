import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonError, lineAndColumn, parseJsonText } from '../../src/snapshot/index.js';

describe('parseJsonText', () => {
  it('parses valid JSON, also after a byte order mark', () => {
    expect(parseJsonText('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonText('\ufeff[1]')).toEqual({ ok: true, value: [1] });
  });

  it.each([
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['{\n  "a": }', 2, 8],
    ['{\n  "a": tru\n}', 2, 11],
    ['{\n  "a": 1,\n}', 3, 1],
    ['{\n  "a": [1, 2\n', 3, 1],
    ['', 1, 1],
    ['{"a": "x\ny"}', 1, 9],
    ['\ufeff{\n  x', 2, 3],
    ['{"a":1} 2', 1, 9],
  ])('locates the error in %j at %i:%i', (text, line, column) => {
    const result = parseJsonText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect({ line: result.error.line, column: result.error.column }).toEqual({ line, column });
    expect(result.error.message).not.toMatch(/position|is not valid JSON/);
  });
});

describe('findJsonError', () => {
  it('agrees with V8 wherever V8 gives a position', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('', '}', ']', ',', ':', 'x', '"', '\n', '{', '-'), (json, at, junk) => {
        const cut = at % (json.length + 1);
        const text = json.slice(0, cut) + junk + json.slice(cut + (junk ? 1 : 0));
        let message: string | undefined;
        try {
          JSON.parse(text);
          return;
        } catch (error) {
          message = (error as Error).message;
        }
        const pos = /at position (\d+)/.exec(message)?.[1];
        const found = findJsonError(text);
        if (pos !== undefined) expect(found).toBe(Number(pos));
        else expect(found).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('lineAndColumn', () => {
  it('counts lines and columns from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 3)).toEqual({ line: 2, column: 1 });
    expect(lineAndColumn('ab\ncd', 99)).toEqual({ line: 2, column: 3 });
  });
});
