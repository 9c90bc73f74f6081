import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateTenant, type Problem } from '../../src/engine/validate.js';
import { JsonPositions } from '../../src/engine/jsonPositions.js';
import { renderJson } from '../../src/snapshot/normalise.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { runBackup, tempRepo, tenantFor } from '../backup/helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ throttling: false });
});
afterAll(async () => sim?.close());

const folder = (workload: string, type: string) => join('tenants', 'contoso', workload, type);

/** The repository as a backup leaves it */
async function backedUp(): Promise<string> {
  const root = await tempRepo();
  const report = await runBackup(sim, root);
  expect(report.totals.failedTypes).toBe(0);
  return root;
}

async function firstFile(root: string, rel: string, where: (o: Record<string, unknown>) => boolean = () => true): Promise<{ file: string; object: Record<string, unknown> }> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const file = `${rel}/${name}`.split('\\').join('/');
    const object = JSON.parse(await readFile(join(root, file), 'utf8')) as Record<string, unknown>;
    if (where(object)) return { file, object };
  }
  throw new Error(`no file in ${rel}`);
}

/** 1-based line of the first line of `text` that contains `needle` */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const schemaProblems = (problems: Problem[]) => problems.filter((p) => p.code === 'FILE_INVALID');

describe('validate: properties against the Graph schema of the type', () => {
  it('a fresh backup has no problem at all', async () => {
    const root = await backedUp();
    expect(await validateTenant(root, tenantFor(sim))).toEqual([]);
  });

  it('a misspelt property, a wrong kind and an unknown @odata.type each name the file, the line and the fix', async () => {
    const root = await backedUp();
    const tenant = tenantFor(sim);

    const ca = await firstFile(root, folder('entra', 'conditionalAccessPolicies'));
    const { state, ...rest } = ca.object;
    const caText = renderJson({ ...rest, stat: state });
    await writeFile(join(root, ca.file), caText);

    const compliance = await firstFile(root, folder('intune', 'deviceCompliancePolicies'), (o) => typeof o['passcodeMinimumLength'] === 'number');
    const complianceText = renderJson({ ...compliance.object, passcodeMinimumLength: String(compliance.object['passcodeMinimumLength']) });
    await writeFile(join(root, compliance.file), complianceText);

    const location = await firstFile(root, folder('entra', 'namedLocations'), (o) => o['@odata.type'] === '#microsoft.graph.ipNamedLocation');
    const locationText = renderJson({ ...location.object, '@odata.type': '#microsoft.graph.ipNamedLocations' });
    await writeFile(join(root, location.file), locationText);

    const problems = schemaProblems(await validateTenant(root, tenant));
    expect(problems).toHaveLength(3);
    const byFile = new Map(problems.map((p) => [p.file, p]));

    expect(byFile.get(ca.file)).toMatchObject({
      line: lineOf(caText, '"stat":'),
      message: 'property "stat" is not a property of conditionalAccessPolicy; did you mean "state"?',
    });
    expect(byFile.get(ca.file)!.fix).toContain('Rename "stat" to "state"');

    expect(byFile.get(compliance.file)).toMatchObject({
      line: lineOf(complianceText, '"passcodeMinimumLength":'),
      message: 'property "passcodeMinimumLength" should be a number, not a string',
    });
    expect(byFile.get(compliance.file)!.fix).toMatch(/^Write the number without quotes: \d+\.$/);

    expect(byFile.get(location.file)).toMatchObject({
      line: lineOf(locationText, '"@odata.type":'),
      message: '@odata.type "#microsoft.graph.ipNamedLocations" is not a type of namedLocation; did you mean "#microsoft.graph.ipNamedLocation"?',
    });
    expect(byFile.get(location.file)!.fix).toContain('#microsoft.graph.countryNamedLocation');
  });

  it('finds the line of a nested property, in a file written by hand', async () => {
    const root = await backedUp();
    const ca = await firstFile(root, folder('entra', 'conditionalAccessPolicies'));
    const conditions = ca.object['conditions'] as Record<string, unknown>;
    // Hand-written: keys in another order and a "user" that also appears as a word elsewhere.
    const text = JSON.stringify({ displayName: 'Hand written', description: 'user', conditions: { ...conditions, user: {} }, state: 'disabled' }, null, 4);
    const file = `${folder('entra', 'conditionalAccessPolicies')}/Hand written.json`.split('\\').join('/');
    await writeFile(join(root, file), text);
    const problems = schemaProblems(await validateTenant(root, tenantFor(sim)));
    expect(problems).toEqual([
      {
        code: 'FILE_INVALID',
        file,
        line: lineOf(text, '"user": {}'),
        column: 9,
        message: 'property "conditions.user" is not a property of conditionalAccessConditionSet; did you mean "users"?',
        fix: 'Rename "user" to "users", or remove it.',
      },
    ]);
  });
});

describe('JsonPositions', () => {
  const text = '\ufeff{\n  "a": {"b": [1, {"c": "x"}]},\n  "d": "e",\n  "d": 2\n}\n';
  const positions = new JsonPositions(text);

  it('locates members and array elements; a repeated key where JSON.parse takes it from', () => {
    expect(positions.locate(['a'])).toEqual({ line: 2, column: 3 });
    expect(positions.locate(['a', 'b', 1, 'c'])).toEqual({ line: 2, column: 19 });
    expect(positions.locate(['a', 'b', 0])).toEqual({ line: 2, column: 15 });
    expect(positions.locate(['d'])).toEqual({ line: 4, column: 3 });
  });

  it('falls back on the nearest enclosing value that exists', () => {
    expect(positions.locate(['a', 'b', 1, 'missing'])).toEqual({ line: 2, column: 18 });
    expect(positions.locate(['nothing'])).toBeUndefined();
  });
});
