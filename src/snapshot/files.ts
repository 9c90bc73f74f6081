import { randomBytes } from 'node:crypto';
import { constants, mkdirSync, readdirSync, readFileSync, writeFile as writeFileCallback, type Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { Semaphore } from '../graph/concurrency.js';
import * as path from 'node:path';
import type { ErrorCode } from '../errors/index.js';
import type { ResourceDefinition, Workload } from '../resources/definition.js';
import { findJsonError, lineAndColumn, parseJsonText, type JsonParseFailure, type JsonParseResult } from './jsonError.js';
import { FILE_EXTENSION, TENANTS_FOLDER, isValidTenantFolder, objectName, singletonFileName } from './layout.js';
import { fileNameFoldKey, safeFileName, windowsNameProblem } from './naming.js';
import { compareCodePoints, isPlainObject } from './util.js';

/**
 * The tenant folder on disk. The only file in the snapshot module that does I/O.
 */

/** Temporary files are hidden, in the folder they are renamed into, and never end in '.json'. */
const TEMP_PREFIX = '.tenant-sync-';
const TEMP_PATTERN = /^\.tenant-sync-[0-9a-f]+\.tmp$/;

export interface WriteTypeFolderResult {
  /** Files created or changed, sorted */
  written: string[];
  /** .json files removed, sorted */
  deleted: string[];
  /** Files whose bytes were already right and were not touched */
  unchanged: number;
}

function isJsonName(name: string): boolean {
  return name.toLowerCase().endsWith(FILE_EXTENSION);
}

function checkFileName(name: string): void {
  const base = name.slice(0, -FILE_EXTENSION.length);
  if (!name.endsWith(FILE_EXTENSION) || base === '' || /[/\\\0]/.test(name) || base === '.' || base === '..') {
    throw new Error(`writeTypeFolder: '${name}' is not a file name ending in '${FILE_EXTENSION}'`);
  }
}

/** Files read or written at once in one folder */
const FILE_CONCURRENCY = 16;

/**
 * Makes the folder of one type hold exactly `files` (file name with '.json' -> content):
 * - a file whose bytes are already right is not touched (no write, mtime unchanged), so backing up
 *   an unchanged tenant changes nothing on disk;
 * - other files are written to a temporary file in the same folder, flushed, and renamed over the
 *   target: a reader (or a crash) never sees a half-written file;
 * - .json files in the folder that are not in `files` are deleted; other files (README.md) and
 *   subfolders are left alone; temporary files a crashed run left behind are removed;
 * - a file whose name differs only in case from the wanted one (an object renamed 'policy' ->
 *   'Policy') is replaced so that case-insensitive file systems show the new name too;
 * - the folder is created when it does not exist and there is something to write.
 *
 * CONTRACT: call this only for a type that was read successfully (found, even if empty). A type
 * whose read failed (403, faults past retries, a delegated sign-in that did not happen) must not
 * be passed, not even with an empty map: that would delete its files. Its folder stays as it was.
 *
 * Throws on I/O errors (after removing its temporary file) and when `files` holds a name that is
 * not a plain '<name>.json' or two names that are the same file on a case-insensitive system.
 */
export async function writeTypeFolder(dir: string, files: ReadonlyMap<string, string>): Promise<WriteTypeFolderResult> {
  return syncTypeFolder(dir, [...files.keys()], (name) => {
    const data = Buffer.from(files.get(name)!, 'utf8');
    return {
      matches: async (target) => (await readIfExists(target))?.equals(data) ?? false,
      install: (target) => writeAtomically(dir, target, data),
    };
  });
}

/** Where one wanted file's bytes come from */
interface FileSource {
  /** True when the regular file at `target` (path) already holds the wanted bytes */
  matches(target: string): Promise<boolean>;
  /** Puts the bytes at `name` in the folder, atomically and flushed */
  install(name: string): Promise<void>;
}

/** writeTypeFolder's work, whatever holds the wanted bytes (a string, a staged file) */
async function syncTypeFolder(dir: string, names: readonly string[], sourceOf: (name: string) => FileSource): Promise<WriteTypeFolderResult> {
  const wanted = [...names].sort(compareCodePoints);
  const folded = new Map<string, string>();
  for (const name of wanted) {
    checkFileName(name);
    const key = fileNameFoldKey(name);
    const other = folded.get(key);
    if (other !== undefined) {
      throw new Error(`writeTypeFolder: '${other}' and '${name}' would be the same file on Windows and macOS`);
    }
    folded.set(key, name);
  }

  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    entries = [];
  }
  if (entries.length === 0 && wanted.length > 0) await mkdir(dir, { recursive: true });

  for (const entry of entries) {
    if (TEMP_PATTERN.test(entry.name) && entry.isFile()) await rm(path.join(dir, entry.name), { force: true });
  }
  // .json entries on disk (regular files and links; a folder named x.json is not ours to delete)
  const onDisk = new Set(
    entries.filter((e) => isJsonName(e.name) && (e.isFile() || e.isSymbolicLink())).map((e) => e.name),
  );
  const regular = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));

  // Names on disk by their case-folded key, built once: a lookup per wanted file, not a scan.
  const byFold = new Map<string, string[]>();
  for (const n of onDisk) {
    const key = fileNameFoldKey(n);
    const list = byFold.get(key);
    if (list) list.push(n);
    else byFold.set(key, [n]);
  }

  const result: WriteTypeFolderResult = { written: [], deleted: [], unchanged: 0 };
  // Wanted names have distinct fold keys, so each one's work touches its own files only and
  // several can go at once; each file is still written through a temp file, fsync and rename.
  const one = async (name: string): Promise<void> => {
    const target = path.join(dir, name);
    let exact = regular.has(name);
    for (const variant of (byFold.get(fileNameFoldKey(name)) ?? []).filter((n) => n !== name)) {
      onDisk.delete(variant);
      if (variant.normalize('NFC') === name.normalize('NFC') && (await sameFile(path.join(dir, variant), target))) {
        // A file system that stores names in another Unicode form (HFS+ keeps NFD): same name.
        exact = true;
        continue;
      }
      await unlink(path.join(dir, variant));
      result.deleted.push(variant);
    }
    onDisk.delete(name);
    const source = sourceOf(name);
    if (exact && (await source.matches(target))) {
      result.unchanged++;
      return;
    }
    await source.install(name);
    result.written.push(name);
  };
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < wanted.length) {
      try {
        await one(wanted[next++]!);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  // Every write in flight ends (and removes its temporary file) before a failure is thrown.
  await Promise.all(Array.from({ length: Math.min(FILE_CONCURRENCY, wanted.length) }, worker));
  if (failed) throw failed.error;
  result.written.sort(compareCodePoints);
  for (const stale of onDisk) {
    await rm(path.join(dir, stale), { force: true });
    result.deleted.push(stale);
  }
  result.deleted.sort(compareCodePoints);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Staging: a type's files written as they are rendered, named and moved into place at the end

/** Staging folders are hidden, named so that a run can tell its own from a crashed run's */
const STAGING_PREFIX = '.staging-';
const STAGING_PATTERN = /^\.staging-[0-9a-f]+$/;

/** Staged files written at once, all types together (the others wait with their bytes) */
const stagingSlots = new Semaphore(64);

/** Writes a new staged file and flushes it: its bytes are on disk before it is renamed into place */
async function writeStaged(file: string, data: Buffer): Promise<void> {
  const release = await stagingSlots.acquire();
  try {
    await writeNewFile(file, data);
  } finally {
    release();
  }
}

/**
 * Creates `file` (it must not exist) with `data` and flushes it (fsync). One call of the thread
 * pool's (open, write, fsync, close), so the event loop only sees its answer; a file the write
 * failed on is removed.
 */
async function writeNewFile(file: string, data: Buffer): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      writeFileCallback(file, data, { flag: 'wx', flush: true }, (error) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    await rm(file, { force: true }).catch(() => undefined);
    throw error;
  }
}

function readIfExistsSync(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The staging area of one backup: a hidden folder (in the repository's temp area, on the same file
 * system as the tenant folder) holding a folder per type. Staging folders a crashed run left behind
 * are removed when the next one opens. `close` removes the area (and the folders it created).
 */
export class StagingArea {
  private constructor(
    readonly dir: string,
    /** The first folder `open` created (removed again by `close` when empty), if any */
    private readonly created: string | undefined,
    private readonly parent: string,
  ) {}

  static async open(parent: string): Promise<StagingArea> {
    const created = await mkdir(parent, { recursive: true });
    for (const entry of await readdir(parent, { withFileTypes: true })) {
      if (STAGING_PATTERN.test(entry.name) && entry.isDirectory()) await rm(path.join(parent, entry.name), { recursive: true, force: true });
    }
    const dir = path.join(parent, `${STAGING_PREFIX}${randomBytes(8).toString('hex')}`);
    await mkdir(dir);
    return new StagingArea(dir, created, parent);
  }

  private types = 0;

  /** A staged folder for one type whose files go to `dir` */
  type(dir: string): StagedTypeFolder {
    return new StagedTypeFolder(dir, path.join(this.dir, String(this.types++)));
  }

  /** Removes every staged file left and the area itself; never throws */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
    if (this.created === undefined) return;
    // Folders open() created, deepest first, as long as they are empty.
    for (let d = this.parent; d.length >= this.created.length; d = path.dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        break;
      }
    }
  }
}

/** What is known of one object's file before its name is */
type StagedEntry =
  /** Its bytes are those of `file` in the type folder already (compared when it was rendered) */
  | { kind: 'same'; file: string }
  /** Its bytes are in the staged file `path` (written and flushed) */
  | { kind: 'staged'; path: string; size: number };

/**
 * One type's files written as soon as each object is rendered, so that no rendered text is held in
 * memory until the type's file names are known (they depend on every object of the type). An object
 * whose bytes are already those of the file its name would usually get is not written at all; the
 * others go to a staged file, flushed. `commit` then makes the type folder hold exactly the named
 * files, as writeTypeFolder does: an unchanged file is never touched (no write, mtime kept), a changed
 * one is renamed into place from its staged file. A type that fails is `discard`ed: its folder stays
 * as it was. Staged files never sit in the type folder itself.
 */
export class StagedTypeFolder {
  private readonly entries = new Map<string, StagedEntry>();
  private readonly pending = new Set<Promise<void>>();
  private made = false;
  private count = 0;
  private failure: { error: unknown } | undefined;
  /** Set once the type is committed or discarded: no file is staged any more */
  private closed = false;
  /** Set while commit stages the bytes of unchanged objects that move to another file */
  private committing = false;

  constructor(
    /** The type folder */
    readonly dir: string,
    /** Its staging folder (created on the first staged file) */
    private readonly staging: string,
  ) {}

  /**
   * The rendered text of the object `key` (its id), whose file will most likely be
   * `<safeFileName(name)>.json`. When that file holds these bytes already, nothing is written;
   * otherwise the text goes to a staged file. The returned promise resolves once the staged file
   * is written and flushed; a failure is thrown by `commit` as well.
   */
  put(key: string, name: string, text: string): Promise<void> {
    try {
      if (this.closed) throw new Error(`StagedTypeFolder: ${this.dir} is already committed or discarded`);
      if (this.entries.has(key)) throw new Error(`StagedTypeFolder: '${key}' was staged twice`);
      const data = Buffer.from(text, 'utf8');
      const likely = `${safeFileName(name)}${FILE_EXTENSION}`;
      // Only a shortcut: a file that cannot be read here (a folder in its place) is staged, and
      // commit meets the problem as writeTypeFolder would.
      if (this.existing().has(likely) && readIfExistsSync(path.join(this.dir, likely))?.equals(data)) {
        this.entries.set(key, { kind: 'same', file: likely });
        return Promise.resolve();
      }
      const file = this.stagedPath();
      this.entries.set(key, { kind: 'staged', path: file, size: data.length });
      return this.track(writeStaged(file, data));
    } catch (error) {
      this.failure ??= { error };
      return Promise.reject(error);
    }
  }

  /** Names in the type folder when the type began to be staged (read once: a fresh folder has none) */
  private listing: Set<string> | undefined;
  private existing(): Set<string> {
    if (!this.listing) {
      try {
        this.listing = new Set(readdirSync(this.dir));
      } catch {
        this.listing = new Set();
      }
    }
    return this.listing;
  }

  /** Work on staged files that discard waits for before it removes them */
  private track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
    return work;
  }

  /** A new staged file's path (its folder made on the first) */
  private stagedPath(): string {
    if (this.closed) throw new Error(`StagedTypeFolder: ${this.dir} is already discarded`);
    if (!this.made) {
      mkdirSync(this.staging, { recursive: true });
      this.made = true;
    }
    return path.join(this.staging, `${this.count++}.tmp`);
  }

  /**
   * Makes the type folder hold exactly the files `names` (file name with '.json' -> key given to
   * `put`), as writeTypeFolder would with their texts. The staging folder is removed, whatever happens.
   */
  async commit(names: ReadonlyMap<string, string>): Promise<WriteTypeFolderResult> {
    try {
      await this.settled();
      if (this.failure) throw this.failure.error;
      const entryOf = (name: string): StagedEntry => {
        const entry = this.entries.get(names.get(name)!);
        if (!entry) throw new Error(`StagedTypeFolder: nothing was staged for '${name}'`);
        return entry;
      };
      // An unchanged object that gets another file (a name now shared, a case change) needs its
      // bytes staged before the folder is touched: they are read from the file that holds them.
      let regular: Set<string>;
      try {
        regular = new Set((await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        regular = new Set();
      }
      const copies: Promise<void>[] = [];
      this.committing = true;
      for (const [name, key] of names) {
        const entry = entryOf(name);
        if (entry.kind !== 'same' || (entry.file === name && regular.has(name))) continue;
        copies.push(
          this.track((async () => {
            const data = await readFile(path.join(this.dir, entry.file));
            const file = this.stagedPath();
            this.entries.set(key, { kind: 'staged', path: file, size: data.length });
            await writeStaged(file, data);
          })()),
        );
      }
      const copied = await Promise.allSettled(copies);
      const copyFailure = copied.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      if (copyFailure) throw copyFailure.reason;

      return await syncTypeFolder(this.dir, [...names.keys()], (name) => {
        const entry = entryOf(name);
        if (entry.kind === 'same') {
          return { matches: async () => entry.file === name, install: () => Promise.reject(new Error(`StagedTypeFolder: '${name}' has no staged bytes`)) };
        }
        return {
          matches: async (target) => {
            const info = await stat(target).catch(() => undefined);
            if (!info?.isFile() || info.size !== entry.size) return false;
            const [a, b] = await Promise.all([readFile(target), readFile(entry.path)]);
            return a.equals(b);
          },
          install: async (target) => {
            try {
              await renameWithRetry(entry.path, path.join(this.dir, target));
            } catch (error) {
              // Another file system after all: written the ordinary way.
              if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
              await writeAtomically(this.dir, target, await readFile(entry.path));
            }
          },
        };
      });
    } finally {
      this.committing = false;
      await this.discard();
    }
  }

  /** Drops every staged file (the type failed, or is committed); the type folder is not touched */
  async discard(): Promise<void> {
    if (!this.committing) this.closed = true;
    await this.settled();
    this.closed = true;
    await rm(this.staging, { recursive: true, force: true }).catch(() => undefined);
  }

  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

async function writeAtomically(dir: string, name: string, data: Buffer): Promise<void> {
  const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}.tmp`);
  await writeNewFile(temp, data);
  try {
    await renameWithRetry(temp, path.join(dir, name));
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Windows refuses a rename for a moment while a scanner or indexer holds the target open. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 5 || !['EPERM', 'EACCES', 'EBUSY'].includes(code ?? '')) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

// ---------------------------------------------------------------------------------------------
// Reading the desired tree back

export type TreeIssueKind =
  | 'invalid-tenant-folder'
  | 'read-failed'
  | 'invalid-json'
  | 'not-an-object'
  | 'missing-name'
  | 'unknown-workload'
  | 'unknown-type'
  | 'wrong-workload'
  | 'misplaced-file'
  | 'unexpected-folder'
  | 'symbolic-link'
  | 'singleton-files'
  | 'unsafe-file-name'
  | 'too-large'
  | 'not-utf8'
  | 'forbidden-key'
  /** Found by the Graph schema check (src/engine/validate.ts): a property Graph does not have, ... */
  | 'schema'
  /** Found by the Graph schema check: the object is of another type of the catalogue */
  | 'wrong-folder'
  | 'file-name-mismatch';

export interface TreeIssue {
  /** Stable error code with its troubleshooting page */
  code: Extract<ErrorCode, 'FILE_INVALID'>;
  /** What exactly is wrong */
  kind: TreeIssueKind;
  /** Path relative to the repository root, with '/': 'tenants/contoso/entra/namedLocations/HQ.json' */
  file: string;
  /** 1-based, where the problem is in the file, when it is known */
  line?: number;
  column?: number;
  /** The type whose files are affected, when there is one */
  type?: string;
  /** What is wrong, without the location (`file`, `line` say where) */
  message: string;
  /** What to do about it */
  fix: string;
}

export interface TreeFile {
  /** Path relative to the repository root, with '/' */
  file: string;
  object: Record<string, unknown>;
}

export interface TenantTree {
  /** False when the tenant has no folder yet */
  exists: boolean;
  /** Type -> its files' objects, sorted by file; every type in `defs` has an entry */
  objects: Map<string, TreeFile[]>;
  errors: TreeIssue[];
  /** Allowed but worth a look (a file named differently from its object) */
  warnings: TreeIssue[];
  /**
   * Types with an error in their files. Their list in `objects` is incomplete (a broken file is
   * not in it), so like a type that failed to read they must take no part in reconcile: no
   * change, and never a delete, until the errors are fixed.
   */
  invalidTypes: Set<string>;
}

/**
 * Reads `<root>/tenants/<tenant>` back: the desired configuration. Never throws for anything in
 * the tree; every problem becomes an error naming the file, what is wrong and what to do.
 *
 * `defs` are the types that may appear (pass the whole catalogue, then ignore disabled types):
 * a folder that is not one of them is an error. Hidden files and folders ('.gitkeep') and files
 * that do not end in '.json' (README.md) are ignored. Objects are returned as parsed, not
 * normalised.
 */
export async function readTenantTree(
  root: string,
  tenant: string,
  defs: readonly ResourceDefinition[],
): Promise<TenantTree> {
  const tree: TenantTree = { exists: false, objects: new Map(), errors: [], warnings: [], invalidTypes: new Set() };
  for (const def of defs) tree.objects.set(def.type, []);
  const tenantRel = `${TENANTS_FOLDER}/${tenant}`;
  if (!isValidTenantFolder(tenant)) {
    tree.errors.push({
      code: 'FILE_INVALID',
      kind: 'invalid-tenant-folder',
      file: tenantRel,
      message: `'${tenant}' cannot be a tenant folder name.`,
      fix: `Use a tenant name that is a single folder name without / \\ : * ? " < > | and without a leading dot.`,
    });
    for (const def of defs) tree.invalidTypes.add(def.type);
    return tree;
  }

  const byWorkload = new Map<string, ResourceDefinition[]>();
  for (const def of defs) byWorkload.set(def.workload, [...(byWorkload.get(def.workload) ?? []), def]);
  const knownTypes = defs.map((d) => `${d.workload}/${d.type}`).sort(compareCodePoints);
  const allInvalid = (): void => defs.forEach((d) => tree.invalidTypes.add(d.type));

  const tenantDir = path.join(root, TENANTS_FOLDER, tenant);
  const tenantEntries = await list(tenantDir, tenantRel, tree, allInvalid, undefined, true);
  if (tenantEntries === undefined) return tree;
  tree.exists = true;

  for (const entry of tenantEntries) {
    const rel = `${tenantRel}/${entry.name}`;
    if (entry.isSymbolicLink()) {
      symlinkError(tree, rel);
      continue;
    }
    if (entry.isFile()) {
      if (isJsonName(entry.name)) misplaced(tree, rel, 'the tenant folder', knownTypes);
      continue;
    }
    if (!entry.isDirectory()) continue;
    const workloadDefs = byWorkload.get(entry.name);
    if (!workloadDefs) {
      const sameType = defs.find((d) => d.type === entry.name);
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'unknown-workload',
        file: rel,
        message: `'${entry.name}' is not a workload folder. Known workloads: ${[...byWorkload.keys()].sort(compareCodePoints).join(', ') || '(none)'}.`,
        fix: sameType
          ? `Move it to ${tenantRel}/${sameType.workload}/${sameType.type}.`
          : `Rename or remove the folder. Known types: ${knownTypes.join(', ') || '(none)'}.${caseHint(entry.name, [...byWorkload.keys()])}`,
        ...(sameType ? { type: sameType.type } : {}),
      });
      if (sameType) tree.invalidTypes.add(sameType.type);
      continue;
    }
    await readWorkload(tree, path.join(tenantDir, entry.name), rel, entry.name as Workload, workloadDefs, defs);
  }
  for (const files of tree.objects.values()) files.sort((a, b) => compareCodePoints(a.file, b.file));
  return tree;
}

async function readWorkload(
  tree: TenantTree,
  dir: string,
  rel: string,
  workload: Workload,
  workloadDefs: ResourceDefinition[],
  defs: readonly ResourceDefinition[],
): Promise<void> {
  const entries = await list(dir, rel, tree, () => workloadDefs.forEach((d) => tree.invalidTypes.add(d.type)));
  if (entries === undefined) return;
  const knownHere = workloadDefs.map((d) => d.type).sort(compareCodePoints);
  for (const entry of entries) {
    const entryRel = `${rel}/${entry.name}`;
    if (entry.isSymbolicLink()) {
      symlinkError(tree, entryRel);
      continue;
    }
    if (entry.isFile()) {
      if (isJsonName(entry.name)) misplaced(tree, entryRel, `the ${workload} folder`, knownHere.map((t) => `${workload}/${t}`));
      continue;
    }
    if (!entry.isDirectory()) continue;
    const def = workloadDefs.find((d) => d.type === entry.name);
    if (def) {
      await readType(tree, path.join(dir, entry.name), entryRel, def);
      continue;
    }
    const elsewhere = defs.find((d) => d.type === entry.name);
    if (elsewhere) {
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'wrong-workload',
        file: entryRel,
        type: elsewhere.type,
        message: `'${entry.name}' belongs to the ${elsewhere.workload} workload, not ${workload}.`,
        fix: `Move the folder to ${rel.slice(0, rel.lastIndexOf('/'))}/${elsewhere.workload}/${elsewhere.type}.`,
      });
      tree.invalidTypes.add(elsewhere.type);
      continue;
    }
    tree.errors.push({
      code: 'FILE_INVALID',
      kind: 'unknown-type',
      file: entryRel,
      message: `'${entry.name}' is not a known ${workload} type. Known ${workload} types: ${knownHere.join(', ')}.`,
      fix: `Rename or remove the folder.${caseHint(entry.name, knownHere)}`,
    });
  }
}

async function readType(tree: TenantTree, dir: string, rel: string, def: ResourceDefinition): Promise<void> {
  const invalid = (): void => void tree.invalidTypes.add(def.type);
  const entries = await list(dir, rel, tree, invalid, def.type);
  if (entries === undefined) return;
  const out = tree.objects.get(def.type) ?? [];
  tree.objects.set(def.type, out);
  const jsonFiles: Dirent[] = [];
  for (const entry of entries) {
    const entryRel = `${rel}/${entry.name}`;
    if (entry.isSymbolicLink()) {
      if (isJsonName(entry.name)) {
        symlinkError(tree, entryRel, def.type);
        invalid();
      }
      continue;
    }
    if (entry.isDirectory()) {
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'unexpected-folder',
        file: entryRel,
        type: def.type,
        message: `${def.title} are files directly in ${rel}; the folder '${entry.name}' is not read.`,
        fix: `Move its .json files up into ${rel} or remove the folder.`,
      });
      invalid();
      continue;
    }
    if (entry.isFile() && isJsonName(entry.name)) jsonFiles.push(entry);
  }

  if (def.kind === 'singleton' && jsonFiles.length > 1) {
    tree.errors.push({
      code: 'FILE_INVALID',
      kind: 'singleton-files',
      file: rel,
      type: def.type,
      message: `${def.title} is a single object, but ${rel} holds ${jsonFiles.length} files: ${jsonFiles.map((e) => e.name).join(', ')}.`,
      fix: `Keep only ${singletonFileName(def)}.`,
    });
    invalid();
    return;
  }

  for (const entry of jsonFiles) {
    const file = `${rel}/${entry.name}`;
    const base = entry.name.slice(0, -FILE_EXTENSION.length);
    const unsafe = windowsNameProblem(base);
    if (unsafe !== undefined) {
      const safe = `${safeFileName(base)}${FILE_EXTENSION}`;
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'unsafe-file-name',
        file,
        type: def.type,
        message: `the file name cannot be checked out on Windows: ${unsafe}.`,
        fix: `Rename the file to ${safe} (the name a backup gives it); the object is known by its ${def.nameField}, not by the file name.`,
      });
      invalid();
      continue;
    }
    const read = await readObjectFile(path.join(dir, entry.name));
    if (read.kind === 'failed') {
      tree.errors.push(readFailed(file, read.error, def.type));
      invalid();
      continue;
    }
    if (read.kind === 'too-large') {
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'too-large',
        file,
        type: def.type,
        message: `the file is ${formatSize(read.size)}; Graph refuses a request body over ${formatSize(MAX_FILE_BYTES)}, so an object this large cannot be deployed.`,
        fix: `Make the object smaller than ${formatSize(MAX_FILE_BYTES)} (compare with its last backup), or remove the file.`,
      });
      if (read.syntax) tree.errors.push(invalidJson(file, def.type, read.syntax));
      invalid();
      continue;
    }
    if (read.kind === 'not-utf8') {
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'not-utf8',
        file,
        line: read.line,
        column: read.column,
        type: def.type,
        message: `the file is not UTF-8: the bytes at line ${read.line}, column ${read.column} are not a UTF-8 character (a file saved as Latin-1 or Windows-1252 is the usual cause).`,
        fix: 'Save the file as UTF-8 (in VS Code: "Save with Encoding", UTF-8), or restore it from the state branch.',
      });
      invalid();
      continue;
    }
    const parsed = safeParse(read.text);
    if (!parsed.ok) {
      tree.errors.push(invalidJson(file, def.type, parsed.error));
      invalid();
      continue;
    }
    if (!isPlainObject(parsed.value)) {
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'not-an-object',
        file,
        line: 1,
        type: def.type,
        message: `the file holds ${describeJsonValue(parsed.value)}, not a JSON object.`,
        fix: `A file holds one object, { ... }, with the properties of one ${def.graphType ? def.graphType.slice(def.graphType.lastIndexOf('.') + 1) : 'item'} (${def.title.toLowerCase()}).`,
      });
      invalid();
      continue;
    }
    const proto = findProtoKey(parsed.value);
    if (proto !== undefined) {
      const at = protoKeyPosition(read.text);
      tree.errors.push({
        code: 'FILE_INVALID',
        kind: 'forbidden-key',
        file,
        ...(at ? { line: at.line, column: at.column } : {}),
        type: def.type,
        message: `the key "__proto__"${proto === '' ? '' : ` at ${proto}`} is not a property of any Graph object and is never read.`,
        fix: 'Remove the "__proto__" key.',
      });
      invalid();
      continue;
    }
    const object = parsed.value;
    if (def.kind === 'singleton') {
      const expected = singletonFileName(def);
      if (entry.name !== expected) {
        tree.warnings.push({
          code: 'FILE_INVALID',
          kind: 'file-name-mismatch',
          file,
          type: def.type,
          message: `${def.title} is kept in ${expected}; ${entry.name} is read in its place.`,
          fix: `Rename the file to ${expected}.`,
        });
      }
    } else {
      const name = objectName(def, object);
      if (name === undefined) {
        tree.errors.push({
          code: 'FILE_INVALID',
          kind: 'missing-name',
          file,
          type: def.type,
          message: `the object has no '${def.nameField}', which names it.`,
          fix: `Add "${def.nameField}": "<name>" to the object.`,
        });
        invalid();
        continue;
      }
      if (!fileNameMatches(base, name)) {
        tree.warnings.push({
          code: 'FILE_INVALID',
          kind: 'file-name-mismatch',
          file,
          type: def.type,
          message: `the file holds '${name}'; the object is known by its ${def.nameField}, not by the file name.`,
          fix: `Nothing to do; the next backup names the file '${safeFileName(name)}${FILE_EXTENSION}'. To rename the object, change its ${def.nameField}.`,
        });
      }
    }
    out.push({ file, object });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading one object's file

/**
 * The largest file read as an object: Graph refuses request bodies over 4 MB, so a larger object
 * could never be deployed. A larger file is refused without being parsed.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** A file up to this size over the limit is still scanned (not parsed) for a JSON syntax error to name */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

type ObjectFileRead =
  | { kind: 'text'; text: string }
  | { kind: 'failed'; error: unknown }
  | { kind: 'too-large'; size: number; syntax?: JsonParseFailure }
  | { kind: 'not-utf8'; line: number; column: number };

/**
 * A file's text: its size is checked before it is read (an enormous file is never parsed) and its
 * bytes must be UTF-8 (never decoded with replacement characters, which would then be deployed).
 * A link put in the file's place since the folder was listed is not followed.
 */
async function readObjectFile(file: string): Promise<ObjectFileRead> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) {
      if (size > MAX_SCANNED_BYTES) return { kind: 'too-large', size };
      const bytes = await handle.readFile();
      const text = decodeUtf8(bytes);
      return { kind: 'too-large', size, ...(text !== undefined ? { syntax: scanJson(text) } : {}) };
    }
    const bytes = await handle.readFile();
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      const at = firstInvalidUtf8(bytes);
      let line = 1;
      let lineStart = 0;
      for (let i = 0; i < at; i++) {
        if (bytes[i] === 0x0a) {
          line++;
          lineStart = i + 1;
        }
      }
      // The column counts characters; the bytes before the bad one on its line are valid UTF-8.
      return { kind: 'not-utf8', line, column: bytes.subarray(lineStart, at).toString('utf8').length + 1 };
    }
    return { kind: 'text', text };
  } catch (error) {
    return { kind: 'failed', error };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The text, or undefined when the bytes are not UTF-8. A byte order mark is kept (the JSON reader skips it). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629) */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90;
      if (b === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

/** parseJsonText, which never throws (a document nested too deeply for the error scanner is still an error) */
function safeParse(text: string): JsonParseResult {
  try {
    return parseJsonText(text);
  } catch {
    return { ok: false, error: { offset: 0, line: 1, column: 1, message: 'the document is nested too deeply to be read' } };
  }
}

/**
 * Where a text too large to parse stops being JSON, without building its values; undefined when
 * it is JSON (or the scanner cannot tell).
 */
function scanJson(text: string): JsonParseFailure | undefined {
  const body = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let offset: number;
  try {
    offset = findJsonError(text.slice(body)) + body;
  } catch {
    return undefined;
  }
  let message: string;
  if (offset < text.length) message = `Unexpected ${describeCharacter(text[offset]!)}`;
  else {
    // The scanner reached the end: a complete document, or one that ends too early.
    let depth = 0;
    let inString = false;
    for (let i = body; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
    }
    if (!inString && depth === 0) return undefined;
    message = inString ? 'Unterminated string in JSON' : 'Unexpected end of JSON input';
  }
  const { line, column } = lineAndColumn(text, offset);
  return { offset, line, column, message };
}

function describeCharacter(c: string): string {
  return /[\u0000-\u001f\u007f]/.test(c) ? `character ${JSON.stringify(c)}` : `token '${c}'`;
}

function invalidJson(file: string, type: string, error: JsonParseFailure): TreeIssue {
  const { line, column } = error;
  // A control character the parser names ('\\n') is shown escaped, never as itself.
  const message = error.message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return {
    code: 'FILE_INVALID',
    kind: 'invalid-json',
    file,
    line,
    column,
    type,
    message: `not valid JSON: ${message}.`,
    fix: `Fix the JSON at line ${line}, column ${column} (a missing or extra comma or quote is the usual cause), or restore the file from the state branch.`,
  };
}

function describeJsonValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  const type = typeof value;
  return type === 'string' ? 'a string' : type === 'number' ? 'a number' : type === 'boolean' ? 'a boolean' : type;
}

/** Path of the first own "__proto__" key (JSON.parse makes it an own property), '' at the top; undefined when there is none */
function findProtoKey(value: unknown, at = ''): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], `${at}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return at;
  for (const [key, child] of Object.entries(value)) {
    const found = findProtoKey(child, at === '' ? key : `${at}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where "__proto__" is written as a key, when it is written plainly */
function protoKeyPosition(text: string): { line: number; column: number } | undefined {
  const match = /(?<!\\)"__proto__"\s*:/.exec(text);
  return match ? lineAndColumn(text, match.index) : undefined;
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} bytes`;
}

/** The file is named after the object: its safe name, perhaps shortened, perhaps with '~' suffixes. */
function fileNameMatches(base: string, name: string): boolean {
  const strip = (s: string): string => s.replace(/(~[0-9a-f]{8})+$/, '');
  const safe = safeFileName(name);
  if (base === safe) return true;
  const a = strip(base);
  const b = strip(safe);
  return a === b || (b.startsWith(a) && Buffer.byteLength(a, 'utf8') >= 100);
}

async function list(
  dir: string,
  rel: string,
  tree: TenantTree,
  onFailure: () => void,
  type?: string,
  /** A missing folder is no error (the tenant has no files yet) */
  missingOk = false,
): Promise<Dirent[] | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => compareCodePoints(a.name, b.name));
  } catch (error) {
    if (missingOk && isNotFound(error)) return undefined;
    tree.errors.push(readFailed(rel, error, type));
    onFailure();
    return undefined;
  }
}

function readFailed(file: string, error: unknown, type?: string): TreeIssue {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return {
    code: 'FILE_INVALID',
    kind: 'read-failed',
    file,
    ...(type ? { type } : {}),
    message: `it could not be read: ${error instanceof Error ? error.message : String(error)}`,
    fix:
      code === 'EACCES' || code === 'EPERM'
        ? 'Give the workflow read access to the file.'
        : code === 'ENOTDIR'
          ? 'A file stands where a folder is expected; move it.'
          : 'Check the file and the checkout, then sync again.',
  };
}

function misplaced(tree: TenantTree, rel: string, where: string, knownTypes: string[]): void {
  tree.errors.push({
    code: 'FILE_INVALID',
    kind: 'misplaced-file',
    file: rel,
    message: `the file is directly in ${where}; object files belong in a type folder.`,
    fix: `Move it into the folder of its type: ${knownTypes.join(', ') || '(no known types)'}.`,
  });
}

function symlinkError(tree: TenantTree, rel: string, type?: string): void {
  tree.errors.push({
    code: 'FILE_INVALID',
    kind: 'symbolic-link',
    file: rel,
    ...(type ? { type } : {}),
    message: `it is a symbolic link; links are not followed.`,
    fix: 'Replace the link with the file or folder itself.',
  });
}

function caseHint(name: string, known: readonly string[]): string {
  const match = known.find((k) => k.toLowerCase() === name.toLowerCase());
  return match ? ` Folder names are case-sensitive: did you mean '${match}'?` : '';
}
