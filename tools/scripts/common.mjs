// Shared by test.mjs and start.mjs: timed steps, child commands in their own process group (so a
// timeout or Ctrl-C stops the whole tree), dependency install, stack set-up and build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from './services.mjs';

export { repoRoot };

/** The project's Node LTS line, exact version (`.node-version`; CI's setup-node reads it too). */
export function projectNodeVersion() {
  return readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
}

/**
 * One Node LTS line for `npm start` and `npm test`, installed by the project itself: a script
 * running on another Node than `.node-version` installs that version from the npm registry
 * (`node-<platform>-<arch>`, whose tarball carries `bin/node`: no install scripts) into
 * `.tools/node-<version>/` once, and runs itself again with it (its PATH first, so every child
 * process gets it too); this process only forwards signals and exits with its code.
 * `GAD_NODE=system` keeps the machine's Node instead (docker/README.md, "Node").
 */
export async function runOnProjectNode() {
  if (process.env.GAD_NODE === 'system') {
    return;
  }
  const version = projectNodeVersion();
  if (process.versions.node === version) {
    return;
  }
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(repoRoot, '.tools', `node-${version}`);
  const binary = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
    console.log(`Node ${version} (${pkg}) -> ${relative(repoRoot, dir)} (npm registry, once)`);
    const installed = spawnSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        `${pkg}@${version}`,
      ],
      { cwd: dir, stdio: 'inherit' },
    );
    if (installed.status !== 0 || !existsSync(binary)) {
      console.error(
        `could not install ${pkg}@${version}; set GAD_NODE=system to use ${process.version}`,
      );
      process.exit(1);
    }
  }
  console.log(`running on Node ${version} (.node-version) instead of ${process.version}`);
  const child = spawn(binary, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(binary)}:${process.env.PATH ?? ''}` },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  const code = await new Promise((resolve) =>
    child.on('close', (status, signal) => resolve(status ?? (signal ? 1 : 0))),
  );
  process.exit(code);
}

export const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);

export const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** Children started by runCommand that are still running. */
const running = new Set();

/** Signals the process group of every running child (used on Ctrl-C, timeouts and exit). */
export function killRunning(signal = 'SIGTERM') {
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => killRunning('SIGKILL'));

/**
 * Runs a command with inherited stdio in its own process group and resolves with its exit code
 * (non-zero on a signal or timeout). `timeoutMs` ends the whole group: SIGTERM, then SIGKILL.
 */
export function runCommand(command, args, { env = process.env, timeoutMs, cwd = repoRoot } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit', detached: true });
    running.add(child);
    let timedOut = false;
    let killTimer;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            console.error(
              `\n!! ${command} ${args.join(' ')}: timed out after ${seconds(timeoutMs)}, stopping it`,
            );
            try {
              process.kill(-child.pid, 'SIGTERM');
            } catch {
              // gone
            }
            killTimer = setTimeout(() => {
              try {
                process.kill(-child.pid, 'SIGKILL');
              } catch {
                // gone
              }
            }, 10_000);
          }, timeoutMs);
    child.on('error', (error) => {
      console.error(`!! cannot run ${command}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve(timedOut ? 124 : (code ?? (signal ? 128 : 1)));
    });
  });
}

/** A failed step: the runner prints it and exits with `exitCode`. */
export class StepError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Runs `fn` as a named step, printing its start and its elapsed time (or failure). */
export async function step(name, fn) {
  const started = Date.now();
  console.log(`\n==> ${name}`);
  try {
    const result = await fn();
    console.log(`<== ${name}: ok (${seconds(Date.now() - started)})`);
    return result;
  } catch (error) {
    console.log(`<== ${name}: FAILED (${seconds(Date.now() - started)})`);
    throw error;
  }
}

/** Runs a command as (part of) a step and throws a StepError when it fails. */
export async function mustRun(command, args, options) {
  console.log(
    `$ ${[command, ...args].map((arg) => (/[\s'"\\$]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`,
  );
  const code = await runCommand(command, args, options);
  if (code !== 0) {
    throw new StepError(`${command} ${args.join(' ')} exited with ${code}`, code);
  }
}

/** Why an install is needed, or undefined: node_modules missing or older than package-lock.json. */
export function installReason() {
  const modules = join(repoRoot, 'node_modules');
  if (!existsSync(modules)) {
    return 'node_modules is missing';
  }
  // npm rewrites node_modules/.package-lock.json on every install.
  const marker = join(modules, '.package-lock.json');
  const installedAt = statSync(existsSync(marker) ? marker : modules).mtimeMs;
  if (installedAt < statSync(join(repoRoot, 'package-lock.json')).mtimeMs) {
    return 'node_modules is older than package-lock.json';
  }
  return undefined;
}

export async function installStep({ skip = false, env, timeoutMs = 15 * 60_000 } = {}) {
  await step('install dependencies', async () => {
    const reason = installReason();
    if (skip) {
      console.log(`skipped (--skip-install)${reason ? `; note: ${reason}` : ''}`);
      return;
    }
    if (!reason) {
      console.log('node_modules is up to date with package-lock.json');
      return;
    }
    // `npm install` installs the versions package-lock.json records. Not `npm ci`: npm 11 writes
    // lock files without the other platforms' optional binaries (msgpackr-extract, unrs-resolver)
    // and then `npm ci` refuses them as out of sync, even right after `npm install`.
    console.log(`${reason}: npm install (versions from package-lock.json)`);
    await mustRun('npm', ['install', '--no-audit', '--no-fund'], { env, timeoutMs });
  });
}

export async function stackStep({ env, timeoutMs = 15 * 60_000 } = {}) {
  await step('local stack (PostgreSQL + PostGIS, Redis)', () =>
    mustRun(process.execPath, [join(repoRoot, 'tools', 'stack', 'setup.mjs')], { env, timeoutMs }),
  );
}

export async function buildStep({ env, timeoutMs = 10 * 60_000 } = {}) {
  await step('build (tsc -p tsconfig.build.json, then run-time assets)', () =>
    mustRun(process.execPath, [join(repoRoot, 'tools', 'scripts', 'build.mjs')], {
      env,
      timeoutMs,
    }),
  );
}

/** Parses `--name value`, `--name=value` and boolean `--flag` arguments. */
export function parseArgs(argv, { values = [], flags = [] }) {
  const options = {};
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined];
    if (name !== undefined && flags.includes(name) && inline === undefined) {
      options[name] = true;
    } else if (name !== undefined && values.includes(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined) {
        throw new StepError(`--${name} needs a value`, 2);
      }
      options[name] = value;
    } else {
      throw new StepError(
        `unknown argument "${arg}"; options: ${[...values.map((v) => `--${v} <value>`), ...flags.map((f) => `--${f}`)].join(' ')}`,
        2,
      );
    }
  }
  return options;
}
