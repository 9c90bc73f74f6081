import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_BYTES, assignFileNames, isSafeFileName, safeFileName, type NamedObject } from '../../src/snapshot/index.js';

const h8 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** What every file system accepts, checked independently of the implementation. */
function assertSafe(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(name).not.toMatch(/[<>:"/\\|?*\u0000-\u001f\u007f-\u009f]/);
  expect(name).not.toMatch(/[. ]$/);
  expect(name.startsWith('.')).toBe(false);
  expect(name).not.toMatch(/^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\s*\..*)?$/i);
  expect(name).not.toMatch(/^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])\s*$/i);
  expect(bytes(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
  expect(name.normalize('NFC')).toBe(name);
  expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // no lone surrogates
}

const tricky = fc.constantFrom(
  '', ' ', '.', '..', '...', '. .', 'a.', 'a ', ' a', '.hidden', 'CON', 'con', 'Con.txt', 'nul', 'NUL.json', 'COM1',
  'com9.x', 'LPT1', 'lpt¹', 'CONSOLE', 'AUX .txt', 'a/b', 'a\\b', 'a:b', 'a?b', 'a*b', 'a|b', 'a"b', '<a>', 'tab\there',
  'line\nbreak', '\u0000', 'Policy', 'policy', 'POLICY', 'Pölicy', 'Po\u0308licy', 'Σ', 'σ', 'ς', 'K', '\u212a', 'ß',
  'SS', 'ss', 'İ', 'i\u0307', '😀', '\ud83d', 'x'.repeat(200), 'é'.repeat(80), '😀'.repeat(40), 'Policy~1234abcd',
);
const anyName = fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 140 }));

describe('safeFileName', () => {
  it('handles the awkward cases', () => {
    expect(safeFileName('Block legacy authentication')).toBe('Block legacy authentication');
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(safeFileName('tab\there\u0007')).toBe('tab_here_');
    expect(safeFileName('Policy. . ')).toBe('Policy');
    expect(safeFileName('.hidden')).toBe('_hidden');
    expect(safeFileName('...')).toBe('_');
    expect(safeFileName('')).toBe('_');
    expect(safeFileName('CON')).toBe('CON_');
    expect(safeFileName('con.txt')).toBe('con_.txt');
    expect(safeFileName('Com1')).toBe('Com1_');
    expect(safeFileName('LPT²')).toBe('LPT²_');
    expect(safeFileName('CONSOLE')).toBe('CONSOLE');
    expect(safeFileName('CON.')).toBe('CON_');
    expect(safeFileName('Po\u0308licy')).toBe('Pölicy');
    expect(safeFileName('a\ud800b')).toBe('a_b');
  });

  it('cuts long names on a code point boundary and adds a hash of the whole name', () => {
    const long = '😀'.repeat(40); // 160 bytes
    const safe = safeFileName(long);
    expect(bytes(safe)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(safe).toBe(`${'😀'.repeat(27)}~${h8(long)}`);
    const a = safeFileName(`${'x'.repeat(130)}a`);
    const b = safeFileName(`${'x'.repeat(130)}b`);
    expect(a).not.toBe(b);
    expect(bytes(a)).toBe(MAX_FILE_NAME_BYTES);
    expect(bytes(safeFileName('x'.repeat(120)))).toBe(120);
    expect(safeFileName('x'.repeat(120))).toBe('x'.repeat(120));
  });

  it('is safe and idempotent for any input', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const safe = safeFileName(name);
        assertSafe(safe);
        expect(safeFileName(safe)).toBe(safe);
        expect(isSafeFileName(safe)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

/** Objects with unique ids and names drawn to collide often. */
const objectsArb = fc
  .uniqueArray(fc.record({ id: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 6 })), name: anyName }), {
    selector: (o) => o.id,
    maxLength: 30,
  })
  .chain((objects) => fc.tuple(fc.constant(objects), fc.shuffledSubarray(objects, { minLength: objects.length })));

function caseInsensitiveKeys(name: string): string[] {
  const nfc = name.normalize('NFC');
  return [nfc.toLowerCase(), nfc.toUpperCase(), nfc.toLowerCase().toUpperCase()];
}

describe('assignFileNames', () => {
  it('gives every object a unique, safe file name, whatever the input order', () => {
    fc.assert(
      fc.property(objectsArb, ([objects, shuffled]) => {
        const result = assignFileNames(objects);
        expect(result.fileNames.size).toBe(objects.length);
        for (const kind of [0, 1, 2]) {
          const seen = new Set<string>();
          for (const name of result.fileNames.values()) {
            const key = caseInsensitiveKeys(name)[kind]!;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
        for (const name of result.fileNames.values()) assertSafe(name);

        const again = assignFileNames(shuffled);
        expect(new Map([...again.fileNames].sort())).toEqual(new Map([...result.fileNames].sort()));
        expect(again.duplicates).toEqual(result.duplicates);
      }),
      { numRuns: 500 },
    );
  });

  it('reports exactly the objects that share a name as duplicates', () => {
    fc.assert(
      fc.property(objectsArb, ([objects]) => {
        const { duplicates } = assignFileNames(objects);
        const counts = new Map<string, string[]>();
        for (const o of objects) counts.set(o.name, [...(counts.get(o.name) ?? []), o.id]);
        const expected = [...counts].filter(([, ids]) => ids.length > 1).map(([name, ids]) => ({ name, ids: ids.sort() }));
        expect(new Set(duplicates.map((d) => JSON.stringify(d)))).toEqual(
          new Set(expected.map((d) => JSON.stringify({ name: d.name, ids: [...d.ids].sort(cp) }))),
        );
      }),
    );
  });

  it('resolves case collisions from the names, so every tenant gets the same files', () => {
    const tenantA: NamedObject[] = [
      { id: 'a-1', name: 'policy' },
      { id: 'a-2', name: 'Policy' },
      { id: 'a-3', name: 'POLICY' },
      { id: 'a-4', name: 'Other' },
    ];
    const tenantB = tenantA.map((o, i) => ({ ...o, id: `b-${9 - i}` }));
    const a = assignFileNames(tenantA).fileNames;
    const b = assignFileNames(tenantB).fileNames;
    // code-point order: 'POLICY' < 'Policy' < 'policy'
    expect(a.get('a-3')).toBe('POLICY');
    expect(a.get('a-2')).toBe(`Policy~${h8('Policy')}`);
    expect(a.get('a-1')).toBe(`policy~${h8('policy')}`);
    expect(a.get('a-4')).toBe('Other');
    expect([...a.values()].sort()).toEqual([...b.values()].sort());
  });

  it('treats names that become the same safe name as a collision', () => {
    const { fileNames, duplicates } = assignFileNames([
      { id: '1', name: 'a?b' },
      { id: '2', name: 'a:b' },
      { id: '3', name: 'Pölicy' },
      { id: '4', name: 'Po\u0308licy' },
    ]);
    expect(duplicates).toEqual([]);
    expect(fileNames.get('2')).toBe('a_b'); // ':' < '?'
    expect(fileNames.get('1')).toBe(`a_b~${h8('a?b')}`);
    // NFD 'o\u0308' sorts before NFC 'ö'
    expect(fileNames.get('4')).toBe('Pölicy');
    expect(fileNames.get('3')).toBe(`Pölicy~${h8('Pölicy')}`);
  });

  it('never merges objects with the same name: each is named by its id and reported', () => {
    const { fileNames, duplicates } = assignFileNames([
      { id: 'id-2', name: 'Same' },
      { id: 'id-1', name: 'Same' },
      { id: 'id-3', name: 'same' },
    ]);
    expect(fileNames.get('id-1')).toBe(`Same~${h8('id-1')}`);
    expect(fileNames.get('id-2')).toBe(`Same~${h8('id-2')}`);
    expect(fileNames.get('id-3')).toBe(`same~${h8('same')}`);
    expect(duplicates).toEqual([{ name: 'Same', ids: ['id-1', 'id-2'] }]);
  });

  it('keeps names unique when a real name looks like a suffixed one', () => {
    const lookalike = `x~${h8('x')}`;
    const { fileNames } = assignFileNames([
      { id: '1', name: 'X' },
      { id: '2', name: 'x' },
      { id: '3', name: lookalike },
    ]);
    const names = [...fileNames.values()].map((n) => n.toLowerCase());
    expect(new Set(names).size).toBe(3);
    expect(fileNames.get('1')).toBe('X');
  });

  it('keeps suffixed long names within the byte limit', () => {
    const long = 'é'.repeat(100);
    const { fileNames } = assignFileNames([
      { id: '1', name: long },
      { id: '2', name: long.toUpperCase() },
    ]);
    for (const name of fileNames.values()) expect(bytes(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(new Set(fileNames.values()).size).toBe(2);
  });

  it('refuses two objects with one id', () => {
    expect(() => assignFileNames([{ id: '1', name: 'a' }, { id: '1', name: 'b' }])).toThrow(/appears twice/);
  });
});

function cp(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
