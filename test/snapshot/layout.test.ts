import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildTypeFiles,
  isValidTenantFolder,
  normaliseObject,
  readTenantTree,
  renderJson,
  replaceIdsWithNames,
  replaceNamesWithIds,
  singletonFileName,
  typeFolder,
  writeTypeFolder,
} from '../../src/snapshot/index.js';
import { authorizationPolicy, caPolicies, testDef } from './defs.js';

describe('layout', () => {
  it('places types under tenants/<tenant>/<workload>/<type>', () => {
    expect(typeFolder('contoso', caPolicies)).toBe('tenants/contoso/entra/conditionalAccessPolicies');
    expect(() => typeFolder('../x', caPolicies)).toThrow();
    expect(isValidTenantFolder('contoso')).toBe(true);
    for (const bad of ['', '.', '..', 'a/b', 'CON', '.git', 'a:b']) expect(isValidTenantFolder(bad)).toBe(false);
  });

  it('names singletons by singletonName, else by title', () => {
    expect(singletonFileName(authorizationPolicy)).toBe('Authorization policy.json');
    expect(singletonFileName(testDef({ kind: 'singleton', title: 'Settings: tenant' }))).toBe('Settings_ tenant.json');
  });

  it('builds the files of a collection, naming unnamed objects by id and reporting duplicates', () => {
    const { files, fileNames, duplicates, unnamed } = buildTypeFiles(caPolicies, [
      { id: 'i1', object: { displayName: 'Same' } },
      { id: 'i2', object: { displayName: 'Same' } },
      { id: 'i3', object: { state: 'x' } },
      { id: 'i4', object: { displayName: 'Block' } },
    ]);
    expect(fileNames.get('i3')).toBe('i3.json');
    expect(fileNames.get('i4')).toBe('Block.json');
    expect(files.get('Block.json')).toBe(renderJson({ displayName: 'Block' }));
    expect(files.size).toBe(4);
    expect(duplicates).toEqual([{ name: 'Same', ids: ['i1', 'i2'] }]);
    expect(unnamed).toEqual(['i3']);
  });

  it('builds the one file of a singleton', () => {
    const { files } = buildTypeFiles(authorizationPolicy, [{ id: 'authorizationPolicy', object: { a: 1 } }]);
    expect([...files.keys()]).toEqual(['Authorization policy.json']);
    expect(() => buildTypeFiles(authorizationPolicy, [{ id: 'a', object: {} }, { id: 'b', object: {} }])).toThrow();
  });
});

describe('a backup end to end', () => {
  const groups = new Map([['g-1', 'Admins']]);
  const graph = [
    {
      '@odata.etag': 'W/"1"',
      id: 'p-1',
      displayName: 'Require MFA',
      modifiedDateTime: '2025-01-01T00:00:00Z',
      conditions: { users: { includeGroups: ['g-1'], includeUsers: ['All'] } },
    },
    { id: 'p-2', displayName: 'require mfa', createdDateTime: '2025-01-01T00:00:00Z', state: 'disabled' },
  ];

  async function backup(root: string, objects: Record<string, unknown>[]) {
    const prepared = objects.map((raw) => {
      const normalised = normaliseObject(caPolicies, raw);
      return { id: String(raw.id), object: replaceIdsWithNames(caPolicies, normalised, (_t, id) => groups.get(id)).object };
    });
    const { files } = buildTypeFiles(caPolicies, prepared);
    return writeTypeFolder(path.join(root, typeFolder('contoso', caPolicies)), files);
  }

  it('writes once, then changes nothing when the tenant did not change, and reads back to ids', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tenant-sync-e2e-'));
    try {
      const first = await backup(root, graph);
      expect(first.written).toHaveLength(2);
      const file = path.join(root, typeFolder('contoso', caPolicies), 'Require MFA.json');
      const mtime = (await stat(file)).mtimeMs;
      await new Promise((r) => setTimeout(r, 30));
      // Graph answers with other timestamps and etags, in another order, and keys in another order.
      const again = graph
        .map((o) => ({ ...Object.fromEntries(Object.entries(o).reverse()), modifiedDateTime: 'later', '@odata.etag': 'W/"2"' }))
        .reverse();
      expect(await backup(root, again)).toEqual({ written: [], deleted: [], unchanged: 2 });
      expect((await stat(file)).mtimeMs).toBe(mtime);

      const tree = await readTenantTree(root, 'contoso', [caPolicies]);
      expect(tree.errors).toEqual([]);
      const read = tree.objects.get('conditionalAccessPolicies')!;
      expect(read.map((r) => r.file)).toEqual([
        'tenants/contoso/entra/conditionalAccessPolicies/Require MFA.json',
        expect.stringMatching(/^tenants\/contoso\/entra\/conditionalAccessPolicies\/require mfa~[0-9a-f]{8}\.json$/),
      ]);
      expect(read[0]!.object).toEqual({ conditions: { users: { includeGroups: ['Admins'], includeUsers: ['All'] } }, displayName: 'Require MFA' });
      const deployed = replaceNamesWithIds(caPolicies, read[0]!.object, (_t, name) => [...groups].find(([, n]) => n === name)?.[0]);
      expect(deployed.object).toEqual({ conditions: { users: { includeGroups: ['g-1'], includeUsers: ['All'] } }, displayName: 'Require MFA' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
