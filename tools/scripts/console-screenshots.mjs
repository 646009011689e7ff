#!/usr/bin/env node
// `npm run console:screenshots`: regenerates the console screenshots from a real run, never by hand.
// Builds (unless --no-build), runs the browser e2e spec (apps/system-e2e/src/console.e2e-spec.ts:
// the built services as processes, Debian's chromium through playwright-core), which writes
// tmp/screenshots/console-*.png, then copies the live map into docs/images/console-live-map.png
// (shown in the README). Needs the local stack (`npm run stack`).
//
//   npm run console:screenshots [-- --no-build]
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bin, mustRun, parseArgs, repoRoot, step, StepError } from './common.mjs';

const options = parseArgs(process.argv.slice(2), { values: [], flags: ['no-build'] });
const shots = join(repoRoot, 'tmp', 'screenshots');
const target = join(repoRoot, 'docs', 'images', 'console-live-map.png');
const env = {
  ...process.env,
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gad_test',
  TEST_REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
};

try {
  if (!options['no-build']) {
    await step('build', () => mustRun(process.execPath, ['tools/scripts/build.mjs'], { env }));
  }
  await step('browser e2e (screenshots)', () =>
    mustRun(bin('jest'), ['--ci', '--runInBand', 'apps/system-e2e/src/console.e2e-spec.ts'], {
      env,
    }),
  );
  const source = join(shots, 'console-live-map.png');
  if (!existsSync(source)) {
    throw new StepError(`${source} was not written`);
  }
  mkdirSync(join(repoRoot, 'docs', 'images'), { recursive: true });
  copyFileSync(source, target);
  console.log(
    `screenshots in tmp/screenshots; live map copied to docs/images/console-live-map.png`,
  );
} catch (error) {
  console.error(`console:screenshots FAILED: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
