#!/usr/bin/env node
// `npm test`: the whole check, as CI runs it (.ci/run). Steps, stopping at the first failure:
//   install (npm install when needed) -> stack -> lint + typecheck -> build -> unit -> integration -> e2e
// then one summary line `tests: N passed, N failed[, N skipped]` summed over the Jest runs.
//
//   npm test                                 everything
//   npm test -- --only unit                  one kind: unit | integration | e2e | lint (comma list ok)
//   npm test -- --skip-install               never install dependencies
//
// Jest writes its results to tmp/jest-<kind>.json. Env: TEST_DATABASE_URL, TEST_REDIS_URL,
// TEST_BUDGET_MINUTES (default 28: the whole run is stopped when it is used up).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  bin,
  buildStep,
  installStep,
  killRunning,
  mustRun,
  parseArgs,
  runOnProjectNode,
  repoRoot,
  seconds,
  stackStep,
  step,
  StepError,
} from './common.mjs';

// The project's Node LTS line (.node-version), installed if needed; GAD_NODE=system keeps this one.
await runOnProjectNode();

const startedAt = Date.now();
const minute = 60_000;

const kinds = {
  unit: { pattern: '\\.spec\\.ts$', workers: [], timeoutMs: 10 * minute },
  integration: {
    pattern: '\\.integration-spec\\.ts$',
    workers: ['--maxWorkers=2'],
    timeoutMs: 12 * minute,
  },
  e2e: { pattern: '\\.e2e-spec\\.ts$', workers: ['--runInBand'], timeoutMs: 12 * minute },
};

/** What each --only choice needs, in run order. */
const plans = {
  all: ['install', 'stack', 'lint', 'build', 'unit', 'integration', 'e2e'],
  lint: ['install', 'lint'],
  unit: ['install', 'unit'],
  integration: ['install', 'stack', 'integration'],
  e2e: ['install', 'stack', 'build', 'e2e'],
};
const order = plans.all;

const env = {
  ...process.env,
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gad_test',
  TEST_REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
};

const budgetMs = Number(process.env.TEST_BUDGET_MINUTES || 28) * minute;
const remaining = () => budgetMs - (Date.now() - startedAt);
const within = (timeoutMs) => {
  if (remaining() <= 0) {
    throw new StepError(`the time budget of ${seconds(budgetMs)} is used up`);
  }
  return Math.min(timeoutMs, remaining());
};

const totals = { passed: 0, failed: 0, skipped: 0 };

/** Adds one Jest JSON result to the totals; a suite that failed outside a test counts as one failure. */
function addResults(file) {
  if (!existsSync(file)) {
    return false;
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const suiteErrors = (results.testResults ?? []).filter(
    (suite) =>
      suite.status === 'failed' &&
      !(suite.assertionResults ?? []).some((assertion) => assertion.status === 'failed'),
  ).length;
  totals.passed += results.numPassedTests ?? 0;
  totals.failed += (results.numFailedTests ?? 0) + suiteErrors;
  totals.skipped += (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
  return true;
}

async function jestStep(kind) {
  const { pattern, workers, timeoutMs } = kinds[kind];
  const outputFile = join(repoRoot, 'tmp', `jest-${kind}.json`);
  await step(`${kind} tests`, async () => {
    mkdirSync(join(repoRoot, 'tmp'), { recursive: true });
    rmSync(outputFile, { force: true });
    try {
      await mustRun(
        bin('jest'),
        [
          '--ci',
          '--passWithNoTests',
          '--testPathPatterns',
          pattern,
          ...workers,
          '--json',
          '--outputFile',
          outputFile,
        ],
        { env, timeoutMs: within(timeoutMs) },
      );
    } finally {
      if (!addResults(outputFile)) {
        console.log(`(no results file: ${outputFile})`);
      }
    }
  });
}

const steps = {
  install: (options) =>
    installStep({ skip: options['skip-install'], env, timeoutMs: within(15 * minute) }),
  stack: () => stackStep({ env, timeoutMs: within(15 * minute) }),
  lint: () =>
    step('lint and typecheck', async () => {
      // The module-boundary rule needs Nx's project graph; without a fresh one it is skipped silently.
      await mustRun(bin('nx'), ['show', 'projects'], { env, timeoutMs: within(5 * minute) });
      await mustRun(bin('eslint'), ['.', '--max-warnings', '0'], {
        env,
        timeoutMs: within(10 * minute),
      });
      await mustRun(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], {
        env,
        timeoutMs: within(8 * minute),
      });
    }),
  build: () => buildStep({ env, timeoutMs: within(10 * minute) }),
  unit: () => jestStep('unit'),
  integration: () => jestStep('integration'),
  e2e: () => jestStep('e2e'),
};

function printSummary() {
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed${skipped}`);
}

function onSignal(signal) {
  console.log(`\n${signal}: stopping`);
  killRunning('SIGTERM');
  setTimeout(() => killRunning('SIGKILL'), 5_000).unref();
  printSummary();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main() {
  const options = parseArgs(process.argv.slice(2), { values: ['only'], flags: ['skip-install'] });
  const chosen = options.only ? options.only.split(',').map((kind) => kind.trim()) : ['all'];
  for (const kind of chosen) {
    if (!plans[kind] || (options.only && kind === 'all')) {
      throw new StepError(`--only ${kind}: expected unit, integration, e2e or lint`, 2);
    }
  }
  const wanted = new Set(chosen.flatMap((kind) => plans[kind]));
  const plan = order.filter((name) => wanted.has(name));
  console.log(`npm test: ${plan.join(' -> ')} (budget ${seconds(budgetMs)})`);
  for (const name of plan) {
    await steps[name](options);
  }
}

let exitCode = 0;
try {
  await main();
  console.log(`\nall steps passed in ${seconds(Date.now() - startedAt)}`);
} catch (error) {
  exitCode = error instanceof StepError ? error.exitCode || 1 : 1;
  console.error(
    `\nFAILED after ${seconds(Date.now() - startedAt)}: ${error instanceof StepError ? error.message : error.stack}`,
  );
} finally {
  printSummary();
}
process.exit(exitCode);
