import { createHash } from 'node:crypto';
import { compareCodePoints } from './util.js';

/**
 * File names from display names. A name must be usable as a file name on Windows, macOS and
 * Linux, and in git on all three, whatever the tenant's administrators typed. Files end in
 * '.json', which the caller appends.
 */

/** Longest file name (without '.json') in UTF-8 bytes. File systems allow 255; paths get long. */
export const MAX_FILE_NAME_BYTES = 120;
/** '~' + 8 hex characters */
const SUFFIX_BYTES = 9;

// Control characters: C0, DEL and C1.
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/**
 * Windows device names, alone or followed by an extension ('CON', 'nul.txt', 'COM1.json'), in any
 * case, also with spaces before the extension, and COM/LPT with superscript digits, which Windows
 * treats as devices too.
 */
const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])(?=$|[ .])/i;

/** First 8 hex digits of the SHA-256 of the string's UTF-8 bytes. */
export function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
}

/**
 * A file name (without extension) for `name` that every common file system accepts:
 * - NFC-normalised (macOS would otherwise store composed and decomposed forms differently);
 * - `< > : " / \ | ? *`, control characters and unpaired surrogates become '_';
 * - no trailing dots or spaces (Windows drops them), no leading dot (hidden files, '.', '..');
 * - Windows device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also with an extension) get '_'
 *   after the device name: 'CON' -> 'CON_', 'nul.txt' -> 'nul_.txt';
 * - at most 120 UTF-8 bytes: a longer name is cut on a code point boundary and ends in '~' and
 *   8 hex digits of the SHA-256 of the whole name, so two long names with the same start differ;
 * - an empty result becomes '_'.
 * Idempotent: a safe name maps to itself.
 */
export function safeFileName(name: string): string {
  let safe = name.replace(LONE_SURROGATE, '_').normalize('NFC').replace(FORBIDDEN, '_');
  safe = safe.replace(/[. ]+$/, '');
  if (safe.startsWith('.')) safe = `_${safe.slice(1)}`;
  if (safe === '') safe = '_';
  safe = safe.replace(RESERVED, '$1_');
  if (Buffer.byteLength(safe, 'utf8') > MAX_FILE_NAME_BYTES) {
    safe = `${truncateUtf8(safe, MAX_FILE_NAME_BYTES - SUFFIX_BYTES)}~${shortHash(name)}`;
  }
  return safe;
}

/** True when `name` is what safeFileName makes of it, i.e. usable as a file name everywhere. */
export function isSafeFileName(name: string): boolean {
  return name !== '' && safeFileName(name) === name;
}

/**
 * Why `name` (a file name without '.json') cannot be used on Windows, or is one tenant-sync never
 * writes because Windows would not keep it as it is; undefined when it is fine there. Only the
 * rules of safeFileName that come from Windows are checked (not its length limit or the Unicode
 * form), so a name written by hand in another form is not refused for that.
 */
export function windowsNameProblem(name: string): string | undefined {
  const forbidden = [...new Set(name.match(FORBIDDEN) ?? [])];
  if (forbidden.length > 0) {
    const shown = forbidden.map((c) => (/^[\u0000-\u001f\u007f-\u009f]$/.test(c) ? `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : `"${c}"`));
    return `it contains ${shown.join(', ')}, which Windows does not allow in file names`;
  }
  if (/[. ]$/.test(name)) return `"${name}" ends in a ${name.endsWith('.') ? 'dot' : 'space'}, which Windows drops from names`;
  const device = RESERVED.exec(name);
  if (device) return `"${device[1]}" is a device name on Windows, which no file can have`;
  return undefined;
}

/** The longest prefix of `value` that fits in `maxBytes` UTF-8 bytes, cut between code points. */
export function truncateUtf8(value: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}

/** `safe` + '~' + hash, still within MAX_FILE_NAME_BYTES. */
function withSuffix(safe: string, hash: string): string {
  return `${truncateUtf8(safe, MAX_FILE_NAME_BYTES - SUFFIX_BYTES)}~${hash}`;
}

/**
 * The key under which two file names are the same file on a case-insensitive file system
 * (Windows, macOS by default): NFC-normalised, and both case mappings applied so that every
 * character that folds to another one ('K' and the Kelvin sign, 'Σ', 'σ' and 'ς') lands on the
 * same key. It errs on the side of calling names equal ('ß' and 'ss'): a name that did not need a
 * suffix may get one, but two names that share a file never both keep it.
 */
export function fileNameFoldKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** Several keys: names that agree on any of them are treated as the same file. */
function foldKeys(name: string): string[] {
  const nfc = name.normalize('NFC');
  return [fileNameFoldKey(nfc), nfc.toLowerCase(), nfc.toUpperCase()];
}

export interface NamedObject {
  /** The object's id in the tenant */
  id: string;
  /** Its display name (def.nameField) */
  name: string;
}

export interface DuplicateName {
  name: string;
  /** Sorted */
  ids: string[];
}

export interface FileNameAssignment {
  /** id -> file name without '.json' */
  fileNames: Map<string, string>;
  /**
   * Objects that share their exact display name. Each got a file named after its id's hash so
   * nothing is merged or lost, but references by name to them are ambiguous: the caller reports
   * this as an error naming the objects. Sorted by name.
   */
  duplicates: DuplicateName[];
}

/**
 * File names for a type's objects, unique even on case-insensitive file systems, and the same
 * whatever order the objects come in:
 * - each object starts from safeFileName(name);
 * - objects whose safe names collide (case-insensitively, NFC-normalised) but whose exact names
 *   differ ('Policy' and 'policy', 'a:b' and 'a?b'): the names are sorted by code point, the first
 *   keeps the plain safe name, each other one gets '~' + 8 hex of the SHA-256 of its exact name.
 *   The suffix comes from the name, not the tenant's id, so the same object gets the same file
 *   name in every tenant;
 * - objects with the same exact name are duplicates: each gets '~' + 8 hex of the SHA-256 of its
 *   id, and they are reported in `duplicates`; they are never merged into one file;
 * - should a suffixed name meet another object's name (only a name chosen to look like a suffix
 *   can), the names that meet are sorted and all but the first get a further suffix, until every
 *   name is unique.
 * Throws when two objects have the same id (a programming error: ids are unique in a tenant).
 */
export function assignFileNames(objects: readonly NamedObject[]): FileNameAssignment {
  const byId = new Map<string, NamedObject>();
  for (const object of objects) {
    if (byId.has(object.id)) throw new Error(`assignFileNames: the id ${object.id} appears twice`);
    byId.set(object.id, object);
  }
  const sorted = [...byId.values()].sort((a, b) => compareCodePoints(a.id, b.id));
  const safeOf = new Map(sorted.map((o) => [o.id, safeFileName(o.name)]));

  const fileNames = new Map<string, string>();
  const duplicates: DuplicateName[] = [];

  for (const group of collidingGroups(sorted, (o) => safeOf.get(o.id)!)) {
    const byName = new Map<string, NamedObject[]>();
    for (const o of group) {
      const same = byName.get(o.name);
      if (same) same.push(o);
      else byName.set(o.name, [o]);
    }
    const names = [...byName.keys()].sort(compareCodePoints);
    names.forEach((name, index) => {
      const members = byName.get(name)!;
      const safe = safeOf.get(members[0]!.id)!;
      if (members.length > 1) {
        const ids = members.map((m) => m.id).sort(compareCodePoints);
        duplicates.push({ name, ids });
        for (const id of ids) fileNames.set(id, withSuffix(safe, shortHash(id)));
      } else {
        fileNames.set(members[0]!.id, index === 0 ? safe : withSuffix(safe, shortHash(name)));
      }
    });
  }

  // A suffixed name can only meet another object's name if that name looks like a suffixed one.
  for (let round = 0; ; round++) {
    const groups = collidingGroups(sorted, (o) => fileNames.get(o.id)!).filter((g) => g.length > 1);
    if (groups.length === 0) break;
    if (round >= 16) throw new Error('assignFileNames: could not make the file names unique');
    for (const group of groups) {
      const ordered = [...group].sort(
        (a, b) =>
          compareCodePoints(fileNames.get(a.id)!, fileNames.get(b.id)!) ||
          compareCodePoints(a.name, b.name) ||
          compareCodePoints(a.id, b.id),
      );
      for (const o of ordered.slice(1)) {
        fileNames.set(o.id, withSuffix(fileNames.get(o.id)!, shortHash(`${o.name}\n${o.id}\n${round}`)));
      }
    }
  }

  duplicates.sort((a, b) => compareCodePoints(a.name, b.name));
  return { fileNames, duplicates };
}

/**
 * Groups of objects whose file names are the same file somewhere: connected through any fold key.
 * Objects must come sorted by id; groups keep that order.
 */
function collidingGroups(objects: readonly NamedObject[], fileName: (o: NamedObject) => string): NamedObject[][] {
  const parent = objects.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const owner = new Map<string, number>();
  objects.forEach((o, i) => {
    for (const key of foldKeys(fileName(o))) {
      const other = owner.get(key);
      if (other === undefined) owner.set(key, i);
      else {
        const a = find(i);
        const b = find(other);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  const groups = new Map<number, NamedObject[]>();
  objects.forEach((o, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(o);
    else groups.set(root, [o]);
  });
  return [...groups.values()];
}
