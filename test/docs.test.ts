import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, type ErrorCode } from '../src/errors/index.js';
import { frenchStatusNames, syncStatuses } from '../src/status/index.js';
import { frenchTypographyProblems } from './frenchTypography.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'troubleshooting');
const codes = Object.keys(errorCatalogue) as ErrorCode[];
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('troubleshooting pages', () => {
  it.each(codes)('%s has a page titled "# CODE: <catalogue title>" with the standard sections', (code) => {
    const file = join(dir, `${code}.md`);
    expect(existsSync(file), `docs/troubleshooting/${code}.md is missing`).toBe(true);
    const text = read(`${code}.md`);
    const firstLine = text.split('\n')[0]!;
    expect(firstLine.startsWith(`# ${code}`)).toBe(true);
    expect(firstLine).toBe(`# ${code}: ${errorCatalogue[code]}`);
    for (const section of ['## What happened', '## Common causes', '## How to fix', '## Related']) {
      expect(text, `${code}.md lacks "${section}"`).toContain(`\n${section}\n`);
    }
  });

  it('every page corresponds to a code of the catalogue', () => {
    const pages = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
    const strays = pages.filter((f) => !(codes as string[]).includes(f.slice(0, -'.md'.length)));
    expect(strays).toEqual([]);
    expect(pages.length).toBe(codes.length);
  });

  it('README.md lists and links every code', () => {
    const readme = read('README.md');
    for (const code of codes) {
      expect(readme, `README.md does not list ${code}`).toContain(`| \`${code}\` | ${errorCatalogue[code]} | [${code}.md](${code}.md) |`);
    }
  });

  it('links between pages point at existing pages', () => {
    for (const page of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      for (const [, target] of read(page).matchAll(/\]\(([A-Z_]+\.md)\)/g)) {
        expect(existsSync(join(dir, target!)), `${page} links to missing ${target}`).toBe(true);
      }
    }
  });
});

describe('the example workflow', () => {
  it('README.md embeds docs/examples/tenant-sync.yml exactly, and it names the triggers, permissions and concurrency the lifecycle needs', () => {
    const root = join(dir, '..', '..');
    const example = readFileSync(join(root, 'docs', 'examples', 'tenant-sync.yml'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it in a workflow'));
    const embedded = section.slice(section.indexOf('```yaml\n') + '```yaml\n'.length, section.indexOf('\n```', section.indexOf('```yaml\n')) + 1);
    expect(embedded).toBe(example);
    for (const needed of ['schedule:', 'workflow_dispatch:', "'tenants/**'", 'closed', 'contents: write', 'pull-requests: write', 'issues: write', 'checks: write', 'id-token: write', 'cancel-in-progress: false', 'requested_action', 'actions: write']) {
      expect(example, needed).toContain(needed);
    }
    // Cancel sync must not wait in the concurrency group behind the run it cancels
    const cancelJob = example.slice(example.indexOf('\n  cancel:'));
    expect(cancelJob).toContain("requested_action.identifier == 'cancel'");
    expect(cancelJob).not.toContain('concurrency:');
  });
});

describe('the status reference in English and French', () => {
  const root = join(dir, '..', '..');
  const en = readFileSync(join(root, 'docs', 'statuses.md'), 'utf8');
  const fr = readFileSync(join(root, 'docs', 'statuses.fr.md'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const headings = (text: string) => text.split('\n').filter((l) => l.startsWith('### '));
  const pages = (text: string) => [...new Set([...text.matchAll(/\]\((troubleshooting\/[A-Z_]+\.md)\)/g)].map((m) => m[1]!))].sort();

  it.each(syncStatuses)('%s: in the table and with a section of its own in both languages', (status) => {
    const french = frenchStatusNames[status];
    for (const text of [en, fr]) expect(text).toMatch(new RegExp(`^\\| (${status} \\| ${french}|${french} \\| ${status}) \\|`, 'm'));
    expect(headings(en).some((h) => h.includes(status)), `statuses.md has no section for ${status}`).toBe(true);
    expect(headings(fr).some((h) => h.includes(french)), `statuses.fr.md has no section for ${french}`).toBe(true);
  });

  it('both pages have the same sections, link the same troubleshooting pages and each other', () => {
    expect(headings(fr).length).toBe(headings(en).length);
    expect(fr.split('\n').filter((l) => l.startsWith('## ')).length).toBe(en.split('\n').filter((l) => l.startsWith('## ')).length);
    expect(pages(fr)).toEqual(pages(en));
    expect(en).toContain('](statuses.fr.md)');
    expect(fr).toContain('](statuses.md)');
    for (const page of pages(en)) expect(existsSync(join(root, 'docs', page)), page).toBe(true);
  });

  it('README.md links both pages and says in French how to set language: fr', () => {
    expect(readme).toContain('](docs/statuses.md)');
    expect(readme).toContain('](docs/statuses.fr.md)');
    const french = readme.slice(readme.indexOf('### Statuts (français)'));
    expect(french.length).toBeLessThan(readme.length);
    expect(french).toContain('language: fr');
    expect(french).toContain('](docs/statuses.fr.md)');
  });

  it('statuses.fr.md follows French typography outside code', () => {
    const prose = fr.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ').replace(/\]\([^)]*\)/g, '] ');
    expect(frenchTypographyProblems(prose)).toEqual([]);
  });
});
