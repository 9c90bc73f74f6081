// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with @vercel/ncc.
// Usage: node scripts/build.mjs [outDir]   (default: dist)
// Builds into a staging folder and replaces outDir only when both bundles built.
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'dist';
const staging = `${out}.building`;
const ncc = join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
rmSync(staging, { recursive: true, force: true });
const build = (entry, dir, extra = []) =>
  execFileSync(process.execPath, [ncc, 'build', entry, '-o', dir, '--target', 'es2022', '--quiet', '--no-cache', ...extra], {
    stdio: 'inherit',
  });
try {
  build('src/main/index.ts', staging, ['--license', 'licenses.txt']);
  build('src/cli/index.ts', join(staging, 'cli'));
} catch (e) {
  rmSync(staging, { recursive: true, force: true });
  console.error(`build failed: ${e.message}`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
