#!/usr/bin/env node
// Builds every app and lib with one tsc program into dist/ (see docs/adr/0001), then copies the
// non-TypeScript files the apps read at run time (the committed `*.repository.sql` queries) beside
// the compiled code, then type-checks and bundles the browser console (apps/console, Vite) into
// dist/apps/console. `npm run build`; also the build step of `npm start` and `npm test`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ASSET = /\.sql$/;

const tsc = spawnSync(
  process.execPath,
  [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  { cwd: repoRoot, stdio: 'inherit' },
);
if (tsc.status !== 0) {
  process.exit(tsc.status ?? 1);
}

function* assets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* assets(path);
    } else if (ASSET.test(entry.name)) {
      yield path;
    }
  }
}

let copied = 0;
for (const kind of ['apps', 'libs']) {
  for (const project of readdirSync(join(repoRoot, kind), { withFileTypes: true })) {
    if (!project.isDirectory()) continue;
    const src = join(repoRoot, kind, project.name, 'src');
    try {
      readdirSync(src);
    } catch {
      continue;
    }
    for (const file of assets(src)) {
      const target = join(repoRoot, 'dist', relative(repoRoot, file));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
      copied += 1;
    }
  }
}
console.log(`build: compiled with tsc, copied ${copied} run-time asset(s) into dist/`);

// The browser console: its own tsconfig (DOM, JSX, bundler resolution), then Vite.
for (const [what, args] of [
  [
    'console typecheck',
    [
      join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'apps/console/tsconfig.json',
      '--noEmit',
    ],
  ],
  [
    'console bundle',
    [
      join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'apps/console/vite.config.mts',
      '--logLevel',
      'warn',
    ],
  ],
]) {
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${what} failed`);
    process.exit(result.status ?? 1);
  }
}
console.log('build: console bundled into dist/apps/console');
