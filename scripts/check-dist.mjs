// Fails when dist/ is not what a fresh build of src/ gives (the check-dist idea of actions/typescript-action).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const fresh = join('.tmp', 'check-dist');
execFileSync(process.execPath, ['scripts/build.mjs', fresh], { stdio: 'inherit' });

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
const list = (dir) => new Set(files(dir).map((f) => relative(dir, f)));
let committed;
try {
  committed = list('dist');
} catch {
  console.error('dist/ is missing: run "npm run build" and commit dist/.');
  process.exit(1);
}
const built = list(fresh);
const problems = [];
for (const f of built) {
  if (!committed.has(f)) problems.push(`missing from dist/: ${f}`);
  else if (!readFileSync(join('dist', f)).equals(readFileSync(join(fresh, f)))) problems.push(`out of date: dist/${f}`);
}
for (const f of committed) if (!built.has(f)) problems.push(`not produced by the build any more: dist/${f}`);
// Test doubles must never reach the shipped bundle.
for (const f of built) {
  if (f.endsWith('.js') && /test\/simulator|github-double|simulator\/fixtures/.test(readFileSync(join(fresh, f), 'utf8'))) {
    problems.push(`dist/${f} contains test code`);
  }
}
if (problems.length) {
  console.error(`dist/ is not current with src/:\n  ${problems.join('\n  ')}\nRun "npm run build" and commit dist/.`);
  process.exit(1);
}
console.log(`dist/ is current (${built.size} files).`);
