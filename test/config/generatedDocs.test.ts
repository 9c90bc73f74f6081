import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generated } from '../../scripts/docs.js';
import { parseConfig } from '../../src/config/load.js';
import { resources } from '../../src/resources/catalogue.js';

describe('generated documentation', () => {
  it.each(Object.keys(generated))('%s is what npm run docs generates', (file) => {
    expect(readFileSync(file, 'utf8'), `${file} is out of date: run npm run docs`).toBe(generated[file]!());
  });

  it('lists every type of the catalogue with its permissions', () => {
    const text = readFileSync('docs/permissions.md', 'utf8');
    for (const r of resources) expect(text).toContain(`\`${r.type}\` | ${r.title} | ${r.api} | \`${r.permissions.read}\``);
  });

  it('the example configuration is valid', () => {
    const file = 'docs/tenant-sync.example.yml';
    const config = parseConfig(readFileSync(file, 'utf8'), file);
    expect(config.tenants.map((t) => t.name)).toEqual(['contoso', 'fabrikam-gcch']);
    expect(config.tenants[1]).toMatchObject({ cloud: 'usgov', graphEndpoint: 'https://graph.microsoft.us' });
  });
});
