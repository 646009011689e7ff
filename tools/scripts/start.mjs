#!/usr/bin/env node
// `npm start`: install if needed, local stack, build, then run the five services as child processes
// with prefixed, colour-free output until Ctrl-C/SIGTERM, which stops them all (SIGTERM, then
// SIGKILL after a deadline).
//
//   npm start                         everything
//   npm start -- --no-build           use the existing dist/ (fails clearly when an app is not built)
//   npm start -- --skip-install       never install dependencies
//   npm start -- --ready-timeout 90   seconds to wait for every /health/ready (default 60)
//   npm start -- --no-simulator       do not start the fleet simulator (tools/simulator)
//   npm start -- --sim-units 50       simulated units (default 20); SIM_* env passes through
//
// Env: DATABASE_URL, REDIS_URL, LOG_LEVEL (passed to every service; see tools/scripts/services.cjs),
// START_ROOT_DIR (a tree holding dist/apps/* other than this repository: for testing this script).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import {
  buildStep,
  installStep,
  killRunning,
  parseArgs,
  repoRoot,
  seconds,
  stackStep,
  step,
  StepError,
} from './common.mjs';
import { serviceCommand, serviceEnv, services, serviceUrls } from './services.mjs';

const rootDir = process.env.START_ROOT_DIR || repoRoot;
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

function print(name, raw) {
  const line = describeLine(stripAnsi(raw), name);
  console.log(`${line.service.padEnd(width)} | ${line.text}`);
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
function startProcess(name, { command, args, cwd = repoRoot, env, port, optional = false }) {
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
  print(name, `starting: ${[relative(repoRoot, command) || command, ...args].join(' ')}`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
      const line = stripAnsi(raw);
      state.recent.push(line);
      if (state.recent.length > 200) {
        state.recent.shift();
      }
      print(name, line);
    });
  }
  child.on('error', (error) => print(name, `cannot start: ${error.message}`));
  child.on('close', (code, signal) => {
    state.exit = { code, signal };
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

function startService({ name, port }) {
  const { command, args, cwd } = serviceCommand(name, { rootDir });
  const env = serviceEnv(name, {
    port,
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    logLevel: process.env.LOG_LEVEL,
    nodeEnv: process.env.NODE_ENV || 'development',
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
  const rows = [['service', 'url', 'live', 'ready', 'metrics', 'pid']];
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
  console.log('\nall services are ready; Ctrl-C stops them\n');
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
      '',
    ].join('\n'),
  );
}

/**
 * Once every service is ready: the fleet simulator (tools/simulator), unless --no-simulator. It is
 * an optional process: when it ends, the services keep running; Ctrl-C stops it with them.
 */
async function afterReady(options) {
  await serveConsole();
  printWhereToLook();
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
  const units = options['sim-units'] ?? process.env.SIM_UNITS ?? '20';
  startProcess('simulator', {
    command: process.execPath,
    args: ['-r', './tools/scripts/register-paths.js', relative(repoRoot, entry), '--units', units],
    env: {
      ...process.env,
      API_URL: running.get('api-gateway').urls.base,
      WS_URL: running.get('ws-gateway').urls.base,
    },
    optional: true,
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2), {
    values: ['ready-timeout', 'sim-units'],
    flags: ['no-build', 'skip-install', 'no-simulator'],
  });
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
      startService(service);
    }
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
