import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './free-port';
import { testStack } from './stack-env';

/** One line a service printed; JSON (pino) lines are also parsed. */
export interface ServiceLogLine {
  /** Position in the service's log, from 0 (use with `waitForLog`'s `since`). */
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr';
  /** The line as printed. */
  readonly text: string;
  /** The parsed object when the line is a JSON object (pino: `level`, `time`, `msg`, ...). */
  readonly json?: Readonly<Record<string, unknown>>;
  readonly receivedAt: number;
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WaitForLogOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** What is awaited, for the error message. */
  description?: string;
  /** Only lines with `seq >= since` match (default 0: lines already printed count too). */
  since?: number;
}

export interface StartServiceProcessOptions {
  /** One of the services in tools/scripts/services.cjs, e.g. `geo-service`. */
  app: string;
  /**
   * Variables for this process, applied last (over the common and per-service ones). Pass
   * `DATABASE_URL` from `createTestDatabase()` and a `REDIS_KEY_PREFIX` from `uniqueRedisPrefix()`;
   * without `DATABASE_URL` the app gets a database name that does not exist, so a service that
   * needs one fails at boot saying so, and nothing touches the stack's own databases.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default: a free port. */
  port?: number;
  /** Deadline for `/health/ready` to answer 200. Default 30 s. */
  readyTimeoutMs?: number;
  /** A tree holding dist/apps/<app>/src/main.js other than this repository (this helper's tests). */
  rootDir?: string;
}

export interface ServiceProcess {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Every line so far (the oldest are dropped past 20,000), in order. */
  readonly logs: readonly ServiceLogLine[];
  /** Resolves when the process has exited and its output is read. */
  readonly exited: Promise<ServiceExit>;
  /** Set once the process has exited. */
  readonly exit: ServiceExit | undefined;
  /** Resolves with the first line (from `since`) matching `predicate`; fails on timeout or exit. */
  waitForLog(
    predicate: (line: ServiceLogLine) => boolean,
    options?: WaitForLogOptions,
  ): Promise<ServiceLogLine>;
  /** The last `lines` lines as text, headed by the service name: print it when a test fails. */
  tail(lines?: number): string;
  /** Sends `signal`, waits up to `timeoutMs` (default 15 s), then SIGKILLs; resolves on exit. */
  stop(signal?: NodeJS.Signals, options?: { timeoutMs?: number }): Promise<ServiceExit>;
  /** SIGKILL. */
  kill(): Promise<ServiceExit>;
}

/** The shape of tools/scripts/services.cjs that this helper uses. */
interface ServicesRegistry {
  services: readonly { name: string; port: number }[];
  healthPaths: { live: string; ready: string; metrics: string };
  serviceCommand(
    app: string,
    options?: { rootDir?: string; exitWithParent?: boolean },
  ): { command: string; args: string[]; cwd: string; entry: string };
  serviceEnv(
    app: string,
    options: {
      port?: number;
      databaseUrl?: string;
      redisUrl?: string;
      redisKeyPrefix?: string;
      logLevel?: string;
      nodeEnv?: string;
      overrides?: Readonly<Record<string, string | undefined>>;
    },
  ): Record<string, string>;
}

const MAX_LINES = 20_000;
const UNSET_DATABASE = 'gad_e2e_database_url_not_set';

let registry: ServicesRegistry | undefined;

/** Loads tools/scripts/services.cjs (the one description shared with `npm start`). */
function servicesRegistry(): ServicesRegistry {
  if (registry) {
    return registry;
  }
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'tools', 'scripts', 'services.cjs');
    if (existsSync(file)) {
      // Node's own require: a plain CommonJS data file, outside any test module registry.
      registry = createRequire(__filename)(file) as ServicesRegistry;
      return registry;
    }
    if (dirname(dir) === dir) {
      throw new Error(`tools/scripts/services.cjs not found above ${__dirname}`);
    }
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  // Best effort: Jest gives test files a copy of `process` that never emits 'exit'. What always
  // works is the app's exit-with-parent.js preload, which ends it within a second of this process.
  process.once('exit', () => {
    for (const child of live) {
      child.kill('SIGKILL');
    }
  });
}

const stopAll = new Set<(signal: NodeJS.Signals) => Promise<ServiceExit>>();

/** Stops every service process this module started that is still running (for `afterAll`). */
export async function stopAllServiceProcesses(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all([...stopAll].map((stop) => stop(signal)));
}

function getStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function parseJsonLine(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const describeExit = (exit: ServiceExit): string =>
  exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;

/**
 * Starts a built app as a process, exactly as `npm start` does (command and environment from
 * tools/scripts/services.cjs), and resolves once `GET /health/ready` answers 200. Build first
 * (`npx tsc -p tsconfig.build.json`; `npm test` does). Fails with the app's last log lines when
 * it exits or misses the deadline. Stop it in `afterAll` (`stop()`, or `stopAllServiceProcesses()`);
 * a process left over is killed when the test process exits.
 */
export async function startServiceProcess(
  options: StartServiceProcessOptions,
): Promise<ServiceProcess> {
  const { app, env = {}, readyTimeoutMs = 30_000, rootDir } = options;
  const services = servicesRegistry();
  const { command, args, cwd, entry } = services.serviceCommand(app, { rootDir });
  if (!existsSync(entry)) {
    throw new Error(
      `${app}: ${entry} does not exist; build first: npx tsc -p tsconfig.build.json (npm test does)`,
    );
  }
  const port = options.port ?? (await freePort());
  const databaseUrl = env['DATABASE_URL'] ?? withDatabase(testStack.databaseUrl, UNSET_DATABASE);
  const template = new URL(testStack.databaseUrl).pathname.slice(1);
  if (new URL(databaseUrl).pathname.slice(1) === template) {
    throw new Error(
      `${app}: DATABASE_URL names the template database "${template}"; use createTestDatabase()`,
    );
  }
  const childEnv = services.serviceEnv(app, {
    port,
    nodeEnv: 'test',
    databaseUrl,
    redisUrl: testStack.redisUrl,
    logLevel: 'info',
    overrides: { ...env, PORT: String(port) },
  });

  const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  live.add(child);

  const logs: ServiceLogLine[] = [];
  let seq = 0;
  let exit: ServiceExit | undefined;
  const lineListeners = new Set<(line: ServiceLogLine) => void>();
  const exitListeners = new Set<(exit: ServiceExit) => void>();

  const exited = new Promise<ServiceExit>((resolve) => {
    child.once('error', (error) => {
      logs.push({
        seq: seq++,
        stream: 'stderr',
        text: `spawn error: ${error.message}`,
        receivedAt: Date.now(),
      });
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      for (const listener of exitListeners) {
        listener(exit);
      }
      resolve(exit);
    });
  });

  for (const stream of ['stdout', 'stderr'] as const) {
    const input = child[stream];
    if (!input) {
      continue;
    }
    createInterface({ input, crlfDelay: Infinity }).on('line', (text) => {
      const line: ServiceLogLine = {
        seq: seq++,
        stream,
        text,
        json: parseJsonLine(text),
        receivedAt: Date.now(),
      };
      logs.push(line);
      if (logs.length > MAX_LINES) {
        logs.splice(0, logs.length - MAX_LINES);
      }
      for (const listener of lineListeners) {
        listener(line);
      }
    });
  }
  // Never keep the test process alive on its own; the exit hook and the app's watchdog clean up.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  const url = `http://127.0.0.1:${port}`;
  const tail = (lines = 40): string => {
    const shown = logs.slice(-lines);
    const header = `--- ${app} (pid ${child.pid}) last ${shown.length} of ${seq} log lines ---`;
    return [
      header,
      ...shown.map((line) => (line.stream === 'stderr' ? `[stderr] ${line.text}` : line.text)),
    ].join('\n');
  };

  const stop = async (
    signal: NodeJS.Signals = 'SIGTERM',
    { timeoutMs = 15_000 }: { timeoutMs?: number } = {},
  ): Promise<ServiceExit> => {
    if (exit) {
      return exit;
    }
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([exited, deadline]);
    clearTimeout(timer);
    if (result !== 'timeout') {
      return result;
    }
    child.kill('SIGKILL');
    return exited;
  };
  stopAll.add(stop);
  void exited.then(() => stopAll.delete(stop));

  const waitForLog = (
    predicate: (line: ServiceLogLine) => boolean,
    { timeoutMs = 10_000, description = 'a matching log line', since = 0 }: WaitForLogOptions = {},
  ): Promise<ServiceLogLine> => {
    const found = logs.find((line) => line.seq >= since && predicate(line));
    if (found) {
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        lineListeners.delete(onLine);
        exitListeners.delete(onExit);
      };
      const onLine = (line: ServiceLogLine): void => {
        if (line.seq >= since && predicate(line)) {
          done();
          resolve(line);
        }
      };
      const onExit = (what: ServiceExit): void => {
        done();
        reject(
          new Error(`${app} ${describeExit(what)} while waiting for ${description}\n${tail()}`),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${description} from ${app}\n${tail()}`,
          ),
        );
      }, timeoutMs);
      lineListeners.add(onLine);
      if (exit) {
        onExit(exit);
      } else {
        exitListeners.add(onExit);
      }
    });
  };

  const handle: ServiceProcess = {
    name: app,
    url,
    port,
    pid: child.pid ?? -1,
    logs,
    exited,
    get exit() {
      return exit;
    },
    waitForLog,
    tail,
    stop,
    kill: () => stop('SIGKILL'),
  };

  const readyUrl = url + services.healthPaths.ready;
  const deadline = Date.now() + readyTimeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exit) {
      throw new Error(`${app} ${describeExit(exit)} before it was ready\n${tail()}`);
    }
    try {
      const status = await getStatus(readyUrl, 1_000);
      if (status === 200) {
        return handle;
      }
      lastProblem = `last answer ${status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      await stop('SIGKILL');
      throw new Error(
        `${app} was not ready within ${readyTimeoutMs} ms (GET ${readyUrl}: ${lastProblem})\n${tail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
