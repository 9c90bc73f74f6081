import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTenantTree, renderJson, StagingArea, writeTypeFolder } from '../../src/snapshot/index.js';
import { authorizationPolicy, caPolicies, settingsCatalog } from './defs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tenant-sync-snapshot-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('writeTypeFolder', () => {
  it('creates the folder and writes the files', async () => {
    const dir = path.join(root, 'tenants', 'contoso', 'entra', 'conditionalAccessPolicies');
    const result = await writeTypeFolder(dir, new Map([['b.json', '{}\n'], ['a.json', '[]\n']]));
    expect(result).toEqual({ written: ['a.json', 'b.json'], deleted: [], unchanged: 0 });
    expect(await readFile(path.join(dir, 'a.json'), 'utf8')).toBe('[]\n');
    expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.json']);
  });

  it('leaves unchanged files untouched (no byte, no mtime) on a second identical write', async () => {
    const dir = path.join(root, 't');
    const files = new Map([['Policy.json', renderJson({ displayName: 'Policy' })], ['Other.json', '{}\n']]);
    await writeTypeFolder(dir, files);
    const before = await stat(path.join(dir, 'Policy.json'));
    await sleep(30);
    const second = await writeTypeFolder(dir, files);
    expect(second).toEqual({ written: [], deleted: [], unchanged: 2 });
    const after = await stat(path.join(dir, 'Policy.json'));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('rewrites only what changed and removes stale .json files, leaving other files alone', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['a.json', '1\n'], ['b.json', '2\n'], ['c.json', '3\n']]));
    await writeFile(path.join(dir, 'README.md'), 'notes');
    await writeFile(path.join(dir, 'upper.JSON'), 'stale');
    await mkdir(path.join(dir, 'sub.json'));
    const aBefore = await stat(path.join(dir, 'a.json'));
    await sleep(30);
    const result = await writeTypeFolder(dir, new Map([['a.json', '1\n'], ['b.json', '22\n']]));
    expect(result).toEqual({ written: ['b.json'], deleted: ['c.json', 'upper.JSON'], unchanged: 1 });
    expect((await readdir(dir)).sort()).toEqual(['README.md', 'a.json', 'b.json', 'sub.json']);
    expect(await readFile(path.join(dir, 'b.json'), 'utf8')).toBe('22\n');
    expect((await stat(path.join(dir, 'a.json'))).mtimeMs).toBe(aBefore.mtimeMs);
  });

  it('empties a type whose objects are all gone, without creating missing folders', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['a.json', '1\n']]));
    expect(await writeTypeFolder(dir, new Map())).toEqual({ written: [], deleted: ['a.json'], unchanged: 0 });
    const missing = path.join(root, 'missing');
    expect(await writeTypeFolder(missing, new Map())).toEqual({ written: [], deleted: [], unchanged: 0 });
    await expect(stat(missing)).rejects.toThrow();
  });

  it('renames a file whose name changed only in case', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['policy.json', '1\n']]));
    const result = await writeTypeFolder(dir, new Map([['Policy.json', '1\n']]));
    expect(result.written).toEqual(['Policy.json']);
    expect(result.deleted).toEqual(['policy.json']);
    expect(await readdir(dir)).toEqual(['Policy.json']);
  });

  it('never leaves temporary files, also when a write fails, and cleans up old ones', async () => {
    const dir = path.join(root, 't');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.tenant-sync-0123abcd.tmp'), 'left by a crash');
    await mkdir(path.join(dir, 'blocked.json'));
    await writeFile(path.join(dir, 'blocked.json', 'inside'), 'x');
    await expect(writeTypeFolder(dir, new Map([['a.json', '1\n'], ['blocked.json', '2\n']]))).rejects.toThrow();
    const names = await readdir(dir);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(names.sort()).toEqual(['a.json', 'blocked.json']);
    await writeTypeFolder(dir, new Map([['a.json', '1\n']]));
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses names that are not plain .json file names or that collide', async () => {
    const dir = path.join(root, 't');
    await expect(writeTypeFolder(dir, new Map([['../x.json', '']]))).rejects.toThrow(/not a file name/);
    await expect(writeTypeFolder(dir, new Map([['x.txt', '']]))).rejects.toThrow(/not a file name/);
    await expect(writeTypeFolder(dir, new Map([['A.json', ''], ['a.json', '']]))).rejects.toThrow(/same file/);
  });
});

const defs = [caPolicies, settingsCatalog, authorizationPolicy];

async function put(rel: string, content: string): Promise<void> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

describe('readTenantTree', () => {
  it('reads the objects of every type, sorted by file', async () => {
    await put('tenants/contoso/entra/conditionalAccessPolicies/B.json', renderJson({ displayName: 'B' }));
    await put('tenants/contoso/entra/conditionalAccessPolicies/A.json', renderJson({ displayName: 'A' }));
    await put('tenants/contoso/entra/authorizationPolicy/Authorization policy.json', renderJson({ allowInvitesFrom: 'everyone' }));
    await put('tenants/contoso/entra/conditionalAccessPolicies/README.md', 'ignored');
    await put('tenants/contoso/entra/conditionalAccessPolicies/.gitkeep', '');
    await put('tenants/contoso/README.md', 'ignored');
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.errors).toEqual([]);
    expect(tree.warnings).toEqual([]);
    expect(tree.exists).toBe(true);
    expect(tree.invalidTypes).toEqual(new Set());
    expect(tree.objects.get('conditionalAccessPolicies')).toEqual([
      { file: 'tenants/contoso/entra/conditionalAccessPolicies/A.json', object: { displayName: 'A' } },
      { file: 'tenants/contoso/entra/conditionalAccessPolicies/B.json', object: { displayName: 'B' } },
    ]);
    expect(tree.objects.get('authorizationPolicy')).toHaveLength(1);
    expect(tree.objects.get('settingsCatalogPolicies')).toEqual([]);
  });

  it('reads a missing tenant folder as empty', async () => {
    const tree = await readTenantTree(root, 'fabrikam', defs);
    expect(tree).toMatchObject({ exists: false, errors: [], invalidTypes: new Set() });
    expect([...tree.objects.keys()].sort()).toEqual(['authorizationPolicy', 'conditionalAccessPolicies', 'settingsCatalogPolicies']);
  });

  it('reports malformed JSON with its line and column, and marks the type invalid', async () => {
    await put('tenants/contoso/entra/conditionalAccessPolicies/Good.json', renderJson({ displayName: 'Good' }));
    await put('tenants/contoso/entra/conditionalAccessPolicies/Bad.json', '{\n  "displayName": "Bad"\n  "state": "enabled"\n}\n');
    await put('tenants/contoso/intune/settingsCatalogPolicies/Cut.json', '{\n  "name": "Cut",\n  "x": }\n');
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.errors).toHaveLength(2);
    expect(tree.errors[0]).toMatchObject({
      code: 'FILE_INVALID',
      kind: 'invalid-json',
      file: 'tenants/contoso/entra/conditionalAccessPolicies/Bad.json',
      line: 3,
      column: 3,
      type: 'conditionalAccessPolicies',
    });
    expect(tree.errors[0]!.message).toContain("Expected ',' or '}' after property value");
    expect(tree.errors[0]!.fix).toContain('line 3, column 3');
    expect(tree.errors[1]).toMatchObject({ kind: 'invalid-json', line: 3, column: 8, type: 'settingsCatalogPolicies' });
    expect(tree.errors[1]!.message).toContain("Unexpected token '}'");
    expect(tree.errors[1]!.message).not.toContain('is not valid JSON');
    expect(tree.invalidTypes).toEqual(new Set(['conditionalAccessPolicies', 'settingsCatalogPolicies']));
    expect(tree.objects.get('conditionalAccessPolicies')).toHaveLength(1);
  });

  it('names unknown folders and the known types', async () => {
    await put('tenants/contoso/exchange/transportRules/x.json', '{}');
    await put('tenants/contoso/entra/namedLocations/HQ.json', '{}');
    await put('tenants/contoso/intune/conditionalAccessPolicies/x.json', '{"displayName":"x"}');
    await put('tenants/contoso/Entra/whatever.json', '{}');
    const tree = await readTenantTree(root, 'contoso', defs);
    const byFile = new Map(tree.errors.map((e) => [e.file, e]));
    const exchange = byFile.get('tenants/contoso/exchange')!;
    expect(exchange.kind).toBe('unknown-workload');
    expect(exchange.message).toContain("'exchange'");
    expect(exchange.message).toContain('entra, intune');
    expect(exchange.fix).toContain('entra/conditionalAccessPolicies');
    expect(byFile.get('tenants/contoso/Entra')!.fix).toContain("did you mean 'entra'");
    const named = byFile.get('tenants/contoso/entra/namedLocations')!;
    expect(named.kind).toBe('unknown-type');
    expect(named.message).toContain('authorizationPolicy, conditionalAccessPolicies');
    const wrong = byFile.get('tenants/contoso/intune/conditionalAccessPolicies')!;
    expect(wrong).toMatchObject({ kind: 'wrong-workload', type: 'conditionalAccessPolicies' });
    expect(wrong.fix).toContain('tenants/contoso/entra/conditionalAccessPolicies');
    expect(tree.invalidTypes).toEqual(new Set(['conditionalAccessPolicies']));
  });

  it('reports files that are not objects, have no name, or sit in the wrong place', async () => {
    await put('tenants/contoso/entra/conditionalAccessPolicies/Array.json', '[]');
    await put('tenants/contoso/entra/conditionalAccessPolicies/NoName.json', '{"state":"enabled"}');
    await put('tenants/contoso/entra/stray.json', '{}');
    await put('tenants/contoso/entra/conditionalAccessPolicies/nested/x.json', '{}');
    await put('tenants/contoso/entra/authorizationPolicy/one.json', '{}');
    await put('tenants/contoso/entra/authorizationPolicy/two.json', '{}');
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.errors.map((e) => [e.kind, e.file])).toEqual([
      ['singleton-files', 'tenants/contoso/entra/authorizationPolicy'],
      ['unexpected-folder', 'tenants/contoso/entra/conditionalAccessPolicies/nested'],
      ['not-an-object', 'tenants/contoso/entra/conditionalAccessPolicies/Array.json'],
      ['missing-name', 'tenants/contoso/entra/conditionalAccessPolicies/NoName.json'],
      ['misplaced-file', 'tenants/contoso/entra/stray.json'],
    ]);
    for (const e of tree.errors) {
      expect(e.code).toBe('FILE_INVALID');
      expect(e.fix.length).toBeGreaterThan(0);
    }
    expect(tree.invalidTypes).toEqual(new Set(['conditionalAccessPolicies', 'authorizationPolicy']));
  });

  it('accepts a file named differently from its object, with a warning', async () => {
    await put('tenants/contoso/entra/conditionalAccessPolicies/Old name.json', '{"displayName":"New name"}');
    await put('tenants/contoso/entra/conditionalAccessPolicies/Policy~0123abcd.json', '{"displayName":"policy"}');
    await put('tenants/contoso/entra/conditionalAccessPolicies/CON_.json', '{"displayName":"CON"}');
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.errors).toEqual([]);
    expect(tree.objects.get('conditionalAccessPolicies')).toHaveLength(3);
    expect(tree.warnings.map((w) => [w.kind, w.file])).toEqual([
      ['file-name-mismatch', 'tenants/contoso/entra/conditionalAccessPolicies/Old name.json'],
      ['file-name-mismatch', 'tenants/contoso/entra/conditionalAccessPolicies/Policy~0123abcd.json'],
    ]);
  });

  it('tolerates a byte order mark and refuses symbolic links', async () => {
    await put('tenants/contoso/entra/conditionalAccessPolicies/Bom.json', '\ufeff{"displayName":"Bom"}');
    await put('outside.json', '{"displayName":"secret"}');
    await symlink(path.join(root, 'outside.json'), path.join(root, 'tenants/contoso/entra/conditionalAccessPolicies/Link.json'));
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.objects.get('conditionalAccessPolicies')!.map((o) => o.object)).toEqual([{ displayName: 'Bom' }]);
    expect(tree.errors.map((e) => e.kind)).toEqual(['symbolic-link']);
  });

  it('never throws on bad input', async () => {
    const bad = await readTenantTree(root, '../etc', defs);
    expect(bad.errors[0]!.kind).toBe('invalid-tenant-folder');
    expect(bad.invalidTypes.size).toBe(3);
    await put('tenants/contoso', 'a file where the folder should be');
    const tree = await readTenantTree(root, 'contoso', defs);
    expect(tree.errors[0]!.kind).toBe('read-failed');
    expect(tree.invalidTypes.size).toBe(3);
  });
});

describe('StagedTypeFolder', () => {
  const listAll = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    const walk = async (d: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        out.push(`${rel}${e.name}${e.isDirectory() ? '/' : ''}`);
        if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}${e.name}/`);
      }
    };
    await walk(dir, '');
    return out.sort();
  };

  it('writes the same files as writeTypeFolder and leaves no staged file', async () => {
    const plain = path.join(root, 'plain', 't');
    const staged = path.join(root, 'staged', 't');
    const area = await StagingArea.open(path.join(root, 'meta'));
    const stage = area.type(staged);
    await Promise.all([stage.put('1', 'a', '{"a":1}\n'), stage.put('2', 'b', '{"b":2}\n'), stage.put('3', 'b', '{"b":3}\n')]);
    const names = new Map([['a.json', '1'], ['b.json', '2'], ['b~x.json', '3']]);
    const texts = new Map([['a.json', '{"a":1}\n'], ['b.json', '{"b":2}\n'], ['b~x.json', '{"b":3}\n']]);
    expect(await stage.commit(names)).toEqual(await writeTypeFolder(plain, texts));
    for (const name of texts.keys()) expect(await readFile(path.join(staged, name), 'utf8')).toBe(texts.get(name));
    await area.close();
    expect(await listAll(path.join(root, 'meta'))).toEqual([]);
    // The temp area open() created is gone again.
    await expect(stat(path.join(root, 'meta'))).rejects.toThrow();
  });

  it('a resync writes nothing: no staged file, no byte in the folder, modification times kept', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['a.json', '1\n'], ['b.json', '2\n']]));
    const before = await Promise.all(['a.json', 'b.json'].map((n) => stat(path.join(dir, n))));
    await sleep(30);
    const area = await StagingArea.open(path.join(root, 'meta'));
    const stage = area.type(dir);
    await Promise.all([stage.put('1', 'a', '1\n'), stage.put('2', 'b', '2\n')]);
    // Nothing was staged: both texts are the bytes already on disk.
    expect(await listAll(area.dir)).toEqual([]);
    expect(await stage.commit(new Map([['a.json', '1'], ['b.json', '2']]))).toEqual({ written: [], deleted: [], unchanged: 2 });
    const after = await Promise.all(['a.json', 'b.json'].map((n) => stat(path.join(dir, n))));
    expect(after.map((s) => [s.mtimeMs, s.ino])).toEqual(before.map((s) => [s.mtimeMs, s.ino]));
    await area.close();
  });

  it('an unchanged text that gets another file name (a name now shared) moves with its bytes', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['a.json', 'old a\n']]));
    const area = await StagingArea.open(path.join(root, 'meta'));
    const stage = area.type(dir);
    // Object 1 still renders to the bytes of a.json, but another object now takes the name a.json.
    await Promise.all([stage.put('1', 'a', 'old a\n'), stage.put('2', 'a', 'new a\n')]);
    const result = await stage.commit(new Map([['a~1.json', '1'], ['a.json', '2']]));
    expect(result).toEqual({ written: ['a.json', 'a~1.json'], deleted: [], unchanged: 0 });
    expect(await readFile(path.join(dir, 'a.json'), 'utf8')).toBe('new a\n');
    expect(await readFile(path.join(dir, 'a~1.json'), 'utf8')).toBe('old a\n');
    await area.close();
    expect(await listAll(path.join(root, 'meta'))).toEqual([]);
  });

  it('a discarded type leaves its folder exactly as it was and no staged file; later puts are refused', async () => {
    const dir = path.join(root, 't');
    await writeTypeFolder(dir, new Map([['a.json', '1\n']]));
    const before = await listAll(dir);
    const mtime = (await stat(path.join(dir, 'a.json'))).mtimeMs;
    const area = await StagingArea.open(path.join(root, 'meta'));
    const stage = area.type(dir);
    await Promise.all([stage.put('1', 'a', 'changed\n'), stage.put('2', 'new', 'new\n')]);
    expect((await listAll(area.dir)).filter((n) => n.endsWith('.tmp'))).toHaveLength(2);
    await stage.discard();
    await expect(stage.put('3', 'late', 'x\n')).rejects.toThrow(/discarded/);
    expect(await listAll(area.dir)).toEqual([]);
    expect(await listAll(dir)).toEqual(before);
    expect((await stat(path.join(dir, 'a.json'))).mtimeMs).toBe(mtime);
    await area.close();
    // A missing type folder is not created by staging.
    const fresh = area.type(path.join(root, 'missing'));
    await expect(fresh.put('1', 'a', '1\n')).resolves.toBeUndefined();
    await fresh.discard();
    await expect(stat(path.join(root, 'missing'))).rejects.toThrow();
  });

  it('a commit that fails leaves no staged file; a crashed run\'s staging folder is removed by the next', async () => {
    const dir = path.join(root, 't');
    await mkdir(path.join(dir, 'blocked.json'), { recursive: true });
    await writeFile(path.join(dir, 'blocked.json', 'inside'), 'x');
    await mkdir(path.join(root, 'meta', '.staging-0123abcd', '0'), { recursive: true });
    await writeFile(path.join(root, 'meta', '.staging-0123abcd', '0', '0.tmp'), 'left by a crash');
    const area = await StagingArea.open(path.join(root, 'meta'));
    expect((await readdir(path.join(root, 'meta'))).filter((n) => n !== path.basename(area.dir))).toEqual([]);
    const stage = area.type(dir);
    await Promise.all([stage.put('1', 'a', '1\n'), stage.put('2', 'blocked', '2\n')]);
    await expect(stage.commit(new Map([['a.json', '1'], ['blocked.json', '2']]))).rejects.toThrow();
    expect(await listAll(area.dir)).toEqual([]);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    await area.close();
  });
});
