// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with @vercel/ncc.
// Usage: node scripts/build.mjs [outDir]   (default: dist)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'dist';
const ncc = join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
rmSync(out, { recursive: true, force: true });
const build = (entry, dir, extra = []) =>
  execFileSync(process.execPath, [ncc, 'build', entry, '-o', dir, '--target', 'es2022', '--quiet', ...extra], { stdio: 'inherit' });
build('src/main/index.ts', out, ['--license', 'licenses.txt']);
build('src/cli/index.ts', join(out, 'cli'));
