// Generates the documentation that follows from the code: the JSON Schema of tenant-sync.yml and
// the permissions table of the catalogue. A test fails when the committed files are out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configFileSchema } from '../src/config/schema.js';
import { resources } from '../src/resources/catalogue.js';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'tenant-sync.yml', $id: 'https://github.com/tenant-sync/tenant-sync/docs/tenant-sync.schema.json' }, null, 2)}\n`;
}

export function permissionsMarkdown(): string {
  const rows = resources.map(
    (r) =>
      `| ${r.workload} | \`${r.type}\` | ${r.title} | ${r.api} | \`${r.permissions.read}\` | ${r.permissions.write ? `\`${r.permissions.write}\`` : '(read only)'} | ${r.delegatedOnly ? 'delegated (signed-in user)' : 'application'} |`,
  );
  return [
    '# Permissions',
    '',
    'Generated from the resource catalogue (`src/resources`) by `npm run docs`; a test fails when it is out of date.',
    '',
    'The application needs the read permission of every enabled type, and the write permission of every type',
    'it deploys to. Grant them as **application** permissions on Microsoft Graph and give admin consent,',
    'except the types marked delegated, which only a signed-in user can read.',
    '',
    'References by name also read `GroupMember.Read.All` (groups named by policies and assignments) and',
    '`User.Read.All` (users named by conditional access policies).',
    '',
    '| workload | type | what | API | read | write | sign-in |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export const generated: Record<string, () => string> = {
  'docs/tenant-sync.schema.json': configJsonSchema,
  'docs/permissions.md': permissionsMarkdown,
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, make] of Object.entries(generated)) {
    writeFileSync(file, make());
    console.log(`wrote ${file}`);
  }
}
