#!/usr/bin/env node
// `npm start`: install if needed, local stack, build, then run the five services as child processes
// until Ctrl-C/SIGTERM, which stops them all (SIGTERM, then SIGKILL after a deadline). Once they are
// ready it seeds the demo agency (`demo`, "Madrid demo": admin, supervisor, dispatcher and officer
// with passwords) and starts the fleet simulator, which logs in with the demo admin's password.
//
// The terminal shows the steps, the service table, the URLs, the demo users and one live status
// line (the simulator's: rewritten in place on a terminal, a line every 10 s otherwise), plus every
// WARN/ERROR line of a service. Everything each process prints goes to tmp/logs/<name>.log.
//
//   npm start                         everything
//   npm start -- --no-build           use the existing dist/ (fails clearly when an app is not built)
//   npm start -- --skip-install       never install dependencies
//   npm start -- --ready-timeout 90   seconds to wait for every /health/ready (default 60)
//   npm start -- --no-simulator       do not start the fleet simulator (tools/simulator)
//   npm start -- --sim-units 50       simulated units (default 20); SIM_* env passes through
//   npm start -- --logs               also stream every service log line to the terminal (prefixed)
//   npm start -- --dev-login          enable POST /v1/auth/dev-login (AUTH_DEV_LOGIN=true); off by default
//
// Database roles (docs/adr/0025): DATABASE_URL (default: the local stack's superuser) is the
// administrator's. Before the services start, `db-migrate.mjs roles --adopt` creates the migration
// role and the runtime roles and hands the service schemas to gad_migrator, `db-migrate.mjs up`
// migrates as gad_migrator, and each service logs in as its own runtime role (gad_<app>, DML on its
// schema only) with MIGRATIONS_AT_BOOT=false, as in production. The demo seed keeps DATABASE_URL.
//
// Env: DATABASE_URL, REDIS_URL, LOG_LEVEL (passed to every service; see tools/scripts/services.cjs),
// CORS_ORIGINS (default: the console's http://127.0.0.1:3005 and http://localhost:3005),
// START_ROOT_DIR (a tree holding dist/apps/* other than this repository: for testing this script),
// START_LOG_DIR (where the logs go, default <repository>/tmp/logs), START_PORT_BASE (other ports).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import {
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
import {
  defaults,
  serviceCommand,
  serviceEnv,
  services as defaultServices,
  serviceUrls,
} from './services.mjs';

// The project's Node LTS line (.node-version), installed if needed; GAD_NODE=system keeps this one.
await runOnProjectNode();

const rootDir = process.env.START_ROOT_DIR || repoRoot;
/** START_PORT_BASE: ports base, base+1, ... instead of 3000-3004 (this script's own test). */
const portBase = Number(process.env.START_PORT_BASE || 0);
const services = defaultServices.map((service, index) =>
  portBase > 0 ? { ...service, port: portBase + index } : service,
);
const logDir = process.env.START_LOG_DIR || join(repoRoot, 'tmp', 'logs');
/** The browser console (apps/console) is served from here in development. */
const defaultCorsOrigins = 'http://127.0.0.1:3005,http://localhost:3005';
const tty = Boolean(process.stdout.isTTY);
/** --logs: every line of every process in the terminal, as before the log files. */
let streamLogs = false;
const stopDeadlineMs = 15_000; // apps drain within SHUTDOWN_TIMEOUT_MS (10 s by default)
const width = Math.max(...services.map((service) => service.name.length));
const levels = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** name -> { child, port, urls, recent: string[], exit?: { code, signal } } */
const running = new Map();
let stopping = false;

// ---------------------------------------------------------------------------------------------
// Output

function clock(time) {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

/** A pino JSON line as `time LEVEL msg (error)` with its `service`; anything else as it is. */
function describeLine(text, name) {
  let entry;
  try {
    entry = text.startsWith('{') ? JSON.parse(text) : undefined;
  } catch {
    entry = undefined;
  }
  if (entry === null || typeof entry !== 'object') {
    return { service: name, text };
  }
  const level = levels[entry.level] ?? String(entry.level ?? '').toUpperCase();
  const context = entry.context ? `[${entry.context}] ` : '';
  const message = entry.msg ?? entry.message ?? '';
  const error = entry.err ?? entry.error;
  const errorText =
    error && typeof error === 'object'
      ? ` (${error.type ?? 'Error'}: ${error.message ?? ''})`
      : error
        ? ` (${error})`
        : '';
  return {
    service: typeof entry.service === 'string' ? entry.service : name,
    text: `${clock(entry.time)} ${level.padEnd(5)} ${context}${message}${errorText}`,
  };
}

// Colour-free: strip any ANSI escape a library printed anyway.
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** The simulator's status line: `41s | units 19/20 (down 1) | ...`. */
const STATUS_LINE = /^\d+s \| units /;
let statusLine = '';

/** Prints a line above the live status line (which is redrawn below it on a terminal). */
function say(text, stream = process.stdout) {
  if (tty && statusLine) {
    process.stdout.write('\r\x1b[2K');
  }
  stream.write(`${text}\n`);
  if (tty && statusLine) {
    process.stdout.write(statusLine);
  }
}

function showStatus(line) {
  if (tty) {
    statusLine = line;
    process.stdout.write(`\r\x1b[2K${line}`);
  } else {
    console.log(line);
  }
}

function print(name, raw) {
  const line = describeLine(stripAnsi(raw), name);
  say(`${line.service.padEnd(width)} | ${line.text}`);
}

/** WARN and above, or a non-JSON line on stderr (a crash, a stack trace): always shown. */
function important(raw, fromStderr) {
  if (raw.startsWith('{')) {
    try {
      const entry = JSON.parse(raw);
      return typeof entry?.level === 'number' ? entry.level >= 40 : fromStderr;
    } catch {
      return fromStderr;
    }
  }
  return fromStderr || /\b(error|failed|fatal)\b/i.test(raw);
}

function lastLines(name, count = 30) {
  const lines = running.get(name)?.recent.slice(-count) ?? [];
  return lines.length === 0
    ? `  (${name} printed nothing)`
    : [`  last ${lines.length} lines of ${name}:`, ...lines.map((line) => `    ${line}`)].join(
        '\n',
      );
}

// ---------------------------------------------------------------------------------------------
// Processes

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function httpStatus(url, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Runs one process with prefixed output in its own process group (Ctrl-C reaches this runner
 * only, which stops everything in order); it is stopped with the services.
 */
function startProcess(
  name,
  { command, args, cwd = repoRoot, env, port, optional = false, onLine },
) {
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const state = {
    child,
    port,
    urls: port ? serviceUrls(port) : undefined,
    recent: [],
    exit: undefined,
  };
  running.set(name, state);
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  state.logFile = logFile;
  const started = `starting: ${[relative(repoRoot, command) || command, ...args].join(' ')}`;
  log.write(`--- ${new Date().toISOString()} ${started}\n`);
  if (streamLogs) {
    print(name, started);
  }
  for (const [stream, fromStderr] of [
    [child.stdout, false],
    [child.stderr, true],
  ]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
      const line = stripAnsi(raw);
      log.write(`${line}\n`);
      state.recent.push(line);
      if (state.recent.length > 200) {
        state.recent.shift();
      }
      if (onLine?.(line)) {
        return;
      }
      if (streamLogs || important(line, fromStderr)) {
        print(name, line);
      }
    });
  }
  child.on('error', (error) => print(name, `cannot start: ${error.message}`));
  child.on('close', (code, signal) => {
    state.exit = { code, signal };
    log.end();
    if (!stopping && optional) {
      print(
        name,
        `${signal ? `killed by ${signal}` : `exited with code ${code}`}; services keep running`,
      );
    } else if (!stopping) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      console.error(`\n!! ${name} ${how}; stopping the others\n${lastLines(name)}`);
      void shutdown(1);
    }
  });
  return state;
}

/** The platform operator npm start bootstraps (agencies, their admins: `npm run platform`, /v1/platform). */
const demoPlatformOperator = Object.freeze({
  username: 'demo.platform',
  password: 'demo-platform-password',
});

/** What npm start sets beyond services.cjs: the dev login switch and the console's origin. */
function startOverrides(name, options) {
  const cors = process.env.CORS_ORIGINS ?? defaultCorsOrigins;
  switch (name) {
    case 'api-gateway':
      return {
        AUTH_DEV_LOGIN: options['dev-login'] ? 'true' : (process.env.AUTH_DEV_LOGIN ?? 'false'),
        CORS_ORIGINS: cors,
        // The local platform operator (created on first start; public, development only).
        BOOTSTRAP_PLATFORM_ADMIN_USERNAME:
          process.env.BOOTSTRAP_PLATFORM_ADMIN_USERNAME ?? demoPlatformOperator.username,
        BOOTSTRAP_PLATFORM_ADMIN_PASSWORD:
          process.env.BOOTSTRAP_PLATFORM_ADMIN_PASSWORD ?? demoPlatformOperator.password,
      };
    case 'ws-gateway':
      return { CORS_ORIGINS: cors };
    default:
      return {};
  }
}

/** The administrator's database URL (the local stack's superuser unless DATABASE_URL says). */
const adminDatabaseUrl = () => process.env.DATABASE_URL || defaults.databaseUrl;

/** The same database as another login role (the local stack trusts 127.0.0.1). */
function databaseUrlAs(role) {
  const url = new URL(adminDatabaseUrl());
  url.username = role;
  url.password = process.env[`DB_PASSWORD_${role.toUpperCase()}`] ?? '';
  return url.toString();
}

/** Roles, then migrations as gad_migrator (this repository's build; skipped for START_ROOT_DIR). */
const withRoles = rootDir === repoRoot;

async function databaseStep() {
  if (!withRoles) {
    console.log('\n(database roles and migrations skipped: START_ROOT_DIR)');
    return;
  }
  const migrate = (args, databaseUrl) =>
    mustRun(process.execPath, [join(repoRoot, 'tools', 'scripts', 'db-migrate.mjs'), ...args], {
      env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: databaseUrl },
      timeoutMs: 10 * 60_000,
    });
  await step('database roles, then migrations as gad_migrator', async () => {
    await migrate(['roles', '--adopt'], adminDatabaseUrl());
    await migrate(['up'], databaseUrlAs('gad_migrator'));
  });
}

function startService({ name, port }, options) {
  const { command, args, cwd } = serviceCommand(name, { rootDir });
  const env = serviceEnv(name, {
    port,
    databaseUrl: withRoles
      ? databaseUrlAs(`gad_${name.replaceAll('-', '_')}`)
      : process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    logLevel: process.env.LOG_LEVEL,
    nodeEnv: process.env.NODE_ENV || 'development',
    overrides: {
      ...startOverrides(name, options),
      // Nearest units are read as the read-only geo role (docs/adr/0032).
      ...(withRoles && name === 'api-gateway'
        ? { GEO_READ_DATABASE_URL: databaseUrlAs('gad_geo_reader') }
        : {}),
      // Migrated by the database step: services only check their schema, as in production.
      ...(withRoles ? { MIGRATIONS_AT_BOOT: 'false' } : {}),
    },
  });
  return startProcess(name, { command, args, cwd, env, port });
}

async function waitReady(name, deadline) {
  const state = running.get(name);
  let status = 0;
  while (Date.now() < deadline) {
    if (state.exit) {
      throw new StepError(`${name} exited before it was ready\n${lastLines(name)}`);
    }
    status = await httpStatus(state.urls.ready);
    if (status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StepError(
    `${name} was not ready in time: GET ${state.urls.ready} ${status ? `answered ${status}` : 'got no answer'}\n${lastLines(name)}`,
  );
}

async function printTable() {
  const rows = [['service', 'url', 'live', 'ready', 'metrics', 'pid', 'log']];
  for (const { name } of services) {
    const state = running.get(name);
    const [liveStatus, readyStatus] = await Promise.all([
      httpStatus(state.urls.live),
      httpStatus(state.urls.ready),
    ]);
    rows.push([
      name,
      state.urls.base,
      String(liveStatus || '-'),
      String(readyStatus || '-'),
      state.urls.metrics,
      String(state.child.pid),
      relative(process.cwd(), state.logFile) || state.logFile,
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('');
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
  }
  console.log(
    `\nall services are ready; Ctrl-C stops them. Logs: ${relative(process.cwd(), logDir) || logDir}/<name>.log` +
      (streamLogs ? '' : ' (warnings and errors also show here; --logs streams everything)') +
      '\n',
  );
}

/** Signals a service's process group (the app and anything it started). */
function signalService(state, signal) {
  try {
    process.kill(-state.child.pid, signal);
  } catch {
    // gone
  }
}

let shuttingDown;
function shutdown(exitCode) {
  if (shuttingDown) {
    return shuttingDown;
  }
  stopping = true;
  if (tty && statusLine) {
    process.stdout.write('\n');
    statusLine = '';
  }
  killRunning('SIGTERM'); // an install/stack/build step still running
  shuttingDown = (async () => {
    const alive = [...running.values()].filter((state) => !state.exit && state.child.pid);
    if (alive.length > 0) {
      console.log(
        `\nstopping ${alive.length} service(s): SIGTERM, SIGKILL after ${seconds(stopDeadlineMs)}`,
      );
    }
    for (const state of alive) {
      signalService(state, 'SIGTERM');
    }
    const closed = Promise.all(
      alive.map(
        (state) =>
          new Promise((resolve) => (state.exit ? resolve() : state.child.once('close', resolve))),
      ),
    );
    let timer;
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise((resolve) => (timer = setTimeout(() => resolve(true), stopDeadlineMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const [name, state] of running) {
        if (!state.exit) {
          console.log(`${name} did not stop in time: SIGKILL`);
          signalService(state, 'SIGKILL');
        }
      }
      await closed;
    }
    for (const [name, state] of running) {
      if (state.exit && alive.includes(state)) {
        const how = state.exit.signal
          ? `killed by ${state.exit.signal}`
          : `exit code ${state.exit.code}`;
        console.log(`${name.padEnd(width)} | stopped (${how})`);
      }
    }
    process.exit(exitCode);
  })();
  return shuttingDown;
}

let signals = 0;
function onSignal(signal) {
  signals += 1;
  if (signals > 1) {
    console.log(`\n${signal} again: SIGKILL`);
    for (const state of running.values()) {
      signalService(state, 'SIGKILL');
    }
    killRunning('SIGKILL');
    process.exit(130);
  }
  console.log(`\n${signal}: stopping (press Ctrl-C again to kill at once)`);
  void shutdown(0);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', () => {
  for (const state of running.values()) {
    if (!state.exit) {
      signalService(state, 'SIGKILL');
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Hook: things that run once every service is ready.

/**
 * The browser dispatch console (apps/console, built into dist/apps/console) on 127.0.0.1:3005
 * (CONSOLE_PORT), talking to these services (CONSOLE_TILE_URL: a basemap; CONSOLE_AGENCY: the agency
 * offered on its login, default the demo agency). Its URL is printed first.
 */
async function serveConsole() {
  const { startConsoleServer } = await import('./console-server.mjs');
  try {
    const server = await startConsoleServer({
      port: Number(process.env.CONSOLE_PORT || 3005),
      apiUrl: running.get('api-gateway').urls.base,
      wsUrl: running.get('ws-gateway').urls.base,
      tileUrl: process.env.CONSOLE_TILE_URL,
      tileAttribution: process.env.CONSOLE_TILE_ATTRIBUTION,
      agency: process.env.CONSOLE_AGENCY || 'demo',
    });
    console.log(`\ndispatch console: ${server.url}  (log in as a demo user below)\n`);
  } catch (error) {
    console.log(`(dispatch console not served: ${error.message})\n`);
  }
}

/** Where to look once everything runs. */
function printWhereToLook() {
  const api = running.get('api-gateway').urls.base;
  console.log(
    [
      'where to look:',
      `  REST API (Swagger UI)   ${api}/docs        (OpenAPI 3.1: ${api}/docs/openapi.json)`,
      `  events (AsyncAPI 3.0)   ${api}/docs/asyncapi`,
      `  sockets                 ${running.get('ws-gateway').urls.base}  (socket.io /dispatch, /field)`,
      '  metrics, health         /metrics, /health/live, /health/ready on every service (table above)',
      `  quickstart              docs/quickstart.md (curl, @gad/client)`,
      '',
    ].join('\n'),
  );
}

/**
 * Seeds the demo agency (`npm run demo:seed`, idempotent) and prints its users; answers them, or
 * undefined when the seed CLI is not built or failed (the services keep running).
 */
async function seedDemo() {
  const entry = join(rootDir, 'dist', 'apps', 'api-gateway', 'src', 'identity', 'seed-demo.cli.js');
  if (!existsSync(entry)) {
    console.log(`(demo users not seeded: ${relative(repoRoot, entry)} is not built)\n`);
    return undefined;
  }
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './tools/scripts/register-paths.js', entry], {
      cwd: repoRoot,
      env: serviceEnv('api-gateway', {
        databaseUrl: process.env.DATABASE_URL,
        nodeEnv: process.env.NODE_ENV || 'development',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (error) => (stderr += error.message));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
  const line = result.stdout?.trim().split('\n').at(-1);
  let seeded;
  try {
    seeded = result.status === 0 && line ? JSON.parse(line) : undefined;
  } catch {
    seeded = undefined;
  }
  if (!seeded) {
    console.log(
      `(demo users not seeded: demo:seed exited with ${result.status ?? result.signal}: ${(result.stderr || result.stdout || '').trim()})\n`,
    );
    return undefined;
  }
  const api = running.get('api-gateway').urls.base;
  const widthOf = (key) => Math.max(...seeded.users.map((user) => user[key].length));
  console.log(
    [
      `demo agency "${seeded.agency.name}" (id ${seeded.agency.id}); log in with POST ${api}/v1/auth/login:`,
      ...seeded.users.map(
        (user) =>
          `  ${user.role.padEnd(10)}  login ${user.username.padEnd(widthOf('username'))}  password ${user.password}`,
      ),
      `  platform  login ${(process.env.BOOTSTRAP_PLATFORM_ADMIN_USERNAME ?? demoPlatformOperator.username).padEnd(widthOf('username'))}  password ${process.env.BOOTSTRAP_PLATFORM_ADMIN_PASSWORD ? '(BOOTSTRAP_PLATFORM_ADMIN_PASSWORD)' : demoPlatformOperator.password}  (platform operator: POST ${api}/v1/platform/auth/login)`,
      `  e.g. curl -s ${api}/v1/auth/login -H 'content-type: application/json' \\`,
      `         -d '{"login":"${seeded.users.find((user) => user.role === 'dispatcher')?.username}","password":"${seeded.users.find((user) => user.role === 'dispatcher')?.password}"}'`,
      '',
    ].join('\n'),
  );
  return seeded;
}

/**
 * Once every service is ready: the fleet simulator (tools/simulator), unless --no-simulator. It is
 * an optional process: when it ends, the services keep running; Ctrl-C stops it with them.
 */
async function afterReady(options) {
  await serveConsole();
  printWhereToLook();
  const seeded = await seedDemo();
  const simulatorAdmin = seeded?.users.find((user) => user.role === 'admin');
  if (options['no-simulator']) {
    console.log('(fleet simulator skipped: --no-simulator)\n');
    return;
  }
  const entry = join(repoRoot, 'dist', 'tools', 'simulator', 'src', 'main.js');
  if (!existsSync(entry)) {
    console.log(
      `(fleet simulator not built: ${relative(repoRoot, entry)}; run without --no-build)\n`,
    );
    return;
  }
  if (!simulatorAdmin && !process.env.SIM_PASSWORD) {
    console.log('(fleet simulator skipped: no demo admin to log in as)\n');
    return;
  }
  const units = options['sim-units'] ?? process.env.SIM_UNITS ?? '20';
  console.log(
    `fleet simulator: ${units} units of ${seeded?.agency.id ?? process.env.SIM_AGENCY}; its status line:` +
      (tty ? '' : ' (every 10 s)'),
  );
  startProcess('simulator', {
    command: process.execPath,
    args: [
      '-r',
      './tools/scripts/register-paths.js',
      relative(repoRoot, entry),
      '--units',
      units,
      '--status-every',
      process.env.SIM_STATUS_EVERY ?? (tty ? '1' : '10'),
    ],
    env: {
      ...process.env,
      API_URL: running.get('api-gateway').urls.base,
      WS_URL: running.get('ws-gateway').urls.base,
      SIM_AGENCY: process.env.SIM_AGENCY ?? seeded?.agency.id,
      SIM_LOGIN: process.env.SIM_LOGIN ?? simulatorAdmin?.username,
      SIM_PASSWORD: process.env.SIM_PASSWORD ?? simulatorAdmin?.password,
    },
    optional: true,
    // The status line is the one live line of the terminal; the rest goes to its log.
    onLine: (line) => {
      if (STATUS_LINE.test(line)) {
        showStatus(line);
        return true;
      }
      return false;
    },
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2), {
    values: ['ready-timeout', 'sim-units'],
    flags: ['no-build', 'skip-install', 'no-simulator', 'logs', 'dev-login'],
  });
  streamLogs = Boolean(options.logs);
  const readyTimeoutMs = Number(options['ready-timeout'] ?? 60) * 1000;
  if (!(readyTimeoutMs > 0)) {
    throw new StepError('--ready-timeout needs a number of seconds', 2);
  }
  await installStep({ skip: options['skip-install'] });
  await stackStep();
  if (options['no-build']) {
    console.log('\n(build skipped: --no-build)');
  } else {
    await buildStep();
  }
  await databaseStep();

  const missing = services.filter(
    ({ name }) => !existsSync(serviceCommand(name, { rootDir }).entry),
  );
  if (missing.length > 0) {
    throw new StepError(
      `not built: ${missing.map(({ name }) => relative(repoRoot, serviceCommand(name, { rootDir }).entry)).join(', ')}\n` +
        (options['no-build']
          ? '  run `npm start` without --no-build (or `npx tsc -p tsconfig.build.json`).'
          : '  the build ran, so these apps have no src/main.ts yet.'),
    );
  }
  const busy = [];
  for (const { name, port } of services) {
    if (!(await portFree(port))) {
      busy.push(`${port} (${name})`);
    }
  }
  if (busy.length > 0) {
    throw new StepError(
      `port(s) already in use on 127.0.0.1: ${busy.join(', ')}; is another npm start running?`,
    );
  }

  await step('start services', async () => {
    for (const service of services) {
      startService(service, options);
    }
    console.log(`service logs: ${relative(process.cwd(), logDir) || logDir}/<name>.log`);
    const deadline = Date.now() + readyTimeoutMs;
    console.log(`waiting up to ${seconds(readyTimeoutMs)} for every /health/ready`);
    await Promise.all(services.map(({ name }) => waitReady(name, deadline)));
  });
  if (stopping) {
    return;
  }
  await printTable();
  await afterReady(options);
}

main().catch((error) => {
  if (stopping) {
    return;
  }
  console.error(`\nnpm start FAILED: ${error instanceof StepError ? error.message : error.stack}`);
  void shutdown(error instanceof StepError ? error.exitCode || 1 : 1);
});
