#!/usr/bin/env node
// `npm run client:pack`: builds libs/client into an installable npm package and packs it.
//
//   dist/packages/gad-client-<version>.tgz
//     dist/index.mjs           ESM for bundlers and Node (>= 20), @gad/contracts bundled in;
//                              zod and socket.io-client stay dependencies (public npm packages)
//     dist/index.cjs           the same as CommonJS (require)
//     dist/gad-client.browser.mjs  one self-contained ES module for a <script type="module"> or an
//                              import map: everything bundled (zod, socket.io-client), minified
//     types/                   declarations (tsc) of the client and of the contracts it re-uses
//     README.md                libs/client/README.md
//
// The version is CLIENT_VERSION (libs/client/src/lib/version.ts); the dependencies' versions are
// the exact ones of the root package.json. Install with `npm install <path-to-tgz>`.
//
//   node tools/scripts/client-pack.mjs [--out <dir>]   (default dist/packages)
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { parseArgs, repoRoot, StepError } from './common.mjs';

const options = parseArgs(process.argv.slice(2), { values: ['out'], flags: [] });
const outDir = options.out ? join(process.cwd(), options.out) : join(repoRoot, 'dist', 'packages');
const stage = join(repoRoot, 'tmp', 'client-package');
const entry = join(repoRoot, 'libs', 'client', 'src', 'index.ts');
const tsconfig = join(repoRoot, 'tsconfig.base.json');

function version() {
  const source = readFileSync(join(repoRoot, 'libs/client/src/lib/version.ts'), 'utf8');
  const match = /CLIENT_VERSION = '([^']+)'/.exec(source);
  if (!match) {
    throw new StepError('CLIENT_VERSION not found in libs/client/src/lib/version.ts');
  }
  return match[1];
}

function run(command, args, cwd = repoRoot) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new StepError(
      `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* files(path);
    } else {
      yield path;
    }
  }
}

async function main() {
  const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const dependencies = Object.fromEntries(
    ['socket.io-client', 'zod'].map((name) => [name, rootPackage.dependencies[name]]),
  );
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });

  // 1. ESM and CommonJS: the contracts bundled in, public packages external.
  const shared = {
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    target: 'es2022',
    tsconfig,
    external: Object.keys(dependencies),
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  await build({ ...shared, format: 'esm', outfile: join(stage, 'dist', 'index.mjs') });
  await build({
    ...shared,
    platform: 'node',
    format: 'cjs',
    outfile: join(stage, 'dist', 'index.cjs'),
  });
  // 2. Browser: one self-contained module.
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    tsconfig,
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'warning',
    outfile: join(stage, 'dist', 'gad-client.browser.mjs'),
  });

  // 3. Declarations of the client and the contracts it imports; `@gad/contracts` becomes a
  // relative import so the package needs nothing from this repository.
  const typesConfig = join(stage, 'tsconfig.types.json');
  writeFileSync(
    typesConfig,
    JSON.stringify({
      extends: relative(stage, tsconfig),
      compilerOptions: {
        rootDir: relative(stage, repoRoot),
        outDir: 'types',
        declaration: true,
        emitDeclarationOnly: true,
        sourceMap: false,
        noEmit: false,
        types: [],
        lib: ['ES2022', 'DOM'],
      },
      files: [relative(stage, entry)],
    }),
  );
  run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', typesConfig]);
  rmSync(typesConfig);
  const typesRoot = join(stage, 'types');
  const contractsIndex = join(typesRoot, 'libs', 'contracts', 'src', 'index');
  for (const file of files(typesRoot)) {
    let text = readFileSync(file, 'utf8');
    if (text.includes("'@gad/")) {
      let target = relative(dirname(file), contractsIndex);
      target = target.startsWith('.') ? target : `./${target}`;
      text = text.replace(/(['"])@gad\/contracts\1/g, `'${target}'`);
      if (/['"]@gad\//.test(text)) {
        throw new StepError(
          `${relative(stage, file)} imports a @gad/* library other than contracts`,
        );
      }
    }
    // The package is ESM ("type": "module"): relative specifiers of its declarations need the
    // file (`./lib/retry.js`, `./http/index.js`) for TypeScript's node16/nodenext resolution.
    text = text.replace(
      /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\2/g,
      (match, head, quote, spec) => {
        const base = join(dirname(file), spec);
        if (existsSync(`${base}.d.ts`)) {
          return `${head}${quote}${spec}.js${quote}`;
        }
        if (existsSync(join(base, 'index.d.ts'))) {
          return `${head}${quote}${spec}/index.js${quote}`;
        }
        return match;
      },
    );
    writeFileSync(file, text);
  }

  // 4. package.json, README, pack.
  const types = './types/libs/client/src/index.d.ts';
  const manifest = {
    name: '@gad/client',
    version: version(),
    description: 'Typed REST and socket.io client of GAD Dispatch (browser and Node)',
    license: rootPackage.license,
    type: 'module',
    main: './dist/index.cjs',
    module: './dist/index.mjs',
    types,
    exports: {
      '.': {
        types,
        import: './dist/index.mjs',
        require: './dist/index.cjs',
      },
      './browser': './dist/gad-client.browser.mjs',
      './package.json': './package.json',
    },
    files: ['dist', 'types', 'README.md'],
    sideEffects: false,
    engines: { node: rootPackage.engines.node },
    dependencies,
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(repoRoot, 'libs', 'client', 'README.md'), join(stage, 'README.md'));
  mkdirSync(outDir, { recursive: true });
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', outDir], stage))[0];
  const tarball = join(outDir, packed.filename);
  console.log(
    `${relative(process.cwd(), tarball) || tarball}: ${manifest.name}@${manifest.version}, ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB`,
  );
  console.log(`install: npm install ${tarball}`);
}

main().catch((error) => {
  console.error(`client:pack FAILED: ${error instanceof StepError ? error.message : error.stack}`);
  process.exit(1);
});
