import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@gad/testing';

/**
 * `npm start` (tools/scripts/start.mjs) against fake built apps (START_ROOT_DIR: each answers every
 * HTTP request 200 and prints pino-like JSON lines, one of them a WARN) on other ports
 * (START_PORT_BASE), logs in a scratch directory (START_LOG_DIR), without build, install or
 * simulator: what the terminal shows, what goes to the log files, the switches it gives the
 * services, and a clean Ctrl-C.
 */
const repoRoot = join(__dirname, '..', '..', '..');
const apps = [
  'api-gateway',
  'ws-gateway',
  'geo-service',
  'audit-log-worker',
  'notification-service',
];

const FAKE_APP = `
const http = require('node:http');
const app = process.argv[1].split('/').slice(-3)[0];
const log = (level, msg, extra = {}) =>
  console.log(JSON.stringify({ level, time: Date.now(), service: app, msg, ...extra }));
log(30, 'booting', {
  devLogin: process.env.AUTH_DEV_LOGIN ?? null,
  cors: process.env.CORS_ORIGINS ?? null,
});
log(40, 'fake warning for the terminal');
http
  .createServer((request, response) => response.end('ok'))
  .listen(Number(process.env.PORT), '127.0.0.1', () => log(30, 'listening'));
process.on('SIGTERM', () => process.exit(0));
`;

// eslint-disable-next-line no-restricted-properties -- handed to the runner under test (PATH, ...)
const inheritedEnv: NodeJS.ProcessEnv = process.env;

function startScript(args: string[], env: Record<string, string>) {
  const base = { ...inheritedEnv };
  delete base['CORS_ORIGINS'];
  delete base['AUTH_DEV_LOGIN'];
  const child = spawn(process.execPath, ['tools/scripts/start.mjs', ...args], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output, exited };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('npm start (tools/scripts/start.mjs)', () => {
  const root = mkdtempSync(join(tmpdir(), 'gad-start-'));
  // Below Linux's ephemeral range (32768+), so no outgoing connection holds one of them; probed.
  let portBase = 0;

  beforeAll(async () => {
    for (let attempt = 0; attempt < 50 && portBase === 0; attempt += 1) {
      const base = 20_000 + Math.floor(Math.random() * 2_000) * 6;
      const free = await Promise.all([0, 1, 2, 3, 4, 5].map((offset) => portFree(base + offset)));
      if (free.every(Boolean)) {
        portBase = base;
      }
    }
    for (const app of apps) {
      const dir = join(root, 'dist', 'apps', app, 'src');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'main.js'), FAKE_APP);
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function run(args: string[], logDir: string) {
    const started = startScript(
      ['--no-build', '--skip-install', '--no-simulator', '--ready-timeout', '60', ...args],
      {
        START_ROOT_DIR: root,
        START_LOG_DIR: logDir,
        START_PORT_BASE: String(portBase),
        CONSOLE_PORT: String(portBase + 5),
      },
    );
    let exited = false;
    void started.exited.then(() => (exited = true));
    // The ready hook ends with the demo seed's note (not built in the fake tree).
    await waitFor(() => exited || started.output.text.includes('demo users not seeded'), {
      timeoutMs: 120_000,
      description: 'npm start to report every service ready and run its ready hook',
    }).catch(() => undefined);
    expect({ exited, output: started.output.text }).toEqual({
      exited: false,
      output: expect.stringContaining('all services are ready'),
    });
    started.child.kill('SIGINT');
    const code = await started.exited;
    return { code, text: started.output.text };
  }

  it('shows the table, log paths and warnings; info lines go to the log files only; dev login off, console origin allowed', async () => {
    const logDir = join(root, 'logs-quiet');
    const { code, text } = await run([], logDir);

    expect(code).toBe(0);
    expect(text).toMatch(/^service\s+url\s+live\s+ready\s+metrics\s+pid\s+log$/m);
    expect(text).toContain(`http://127.0.0.1:${portBase}`);
    expect(text).toContain(join(logDir, 'api-gateway.log').split('/').pop());
    // Warnings surface in the terminal; the info lines do not.
    expect(text).toMatch(/api-gateway\s+\| \S+ WARN\s+fake warning for the terminal/);
    expect(text).not.toContain('booting');
    expect(text).toContain('(demo users not seeded:');
    expect(text).toMatch(/api-gateway\s+\| stopped/);

    const apiLog = readFileSync(join(logDir, 'api-gateway.log'), 'utf8');
    const booting = apiLog
      .split('\n')
      .filter((line) => line.includes('"booting"'))
      .map((line) => JSON.parse(line) as { devLogin: string; cors: string });
    expect(booting).toEqual([
      expect.objectContaining({
        devLogin: 'false',
        cors: 'http://127.0.0.1:3005,http://localhost:3005',
      }),
    ]);
    const wsLog = readFileSync(join(logDir, 'ws-gateway.log'), 'utf8');
    expect(wsLog).toContain('"cors":"http://127.0.0.1:3005,http://localhost:3005"');
    expect(readFileSync(join(logDir, 'geo-service.log'), 'utf8')).toContain('"listening"');
  }, 150_000);

  it('streams every line with --logs and turns the development login on with --dev-login', async () => {
    const logDir = join(root, 'logs-loud');
    const { code, text } = await run(['--logs', '--dev-login'], logDir);

    expect(code).toBe(0);
    expect(text).toMatch(/api-gateway\s+\| \S+ INFO\s+booting/);
    expect(text).toMatch(/notification-service\s+\| \S+ INFO\s+listening/);
    expect(readFileSync(join(logDir, 'api-gateway.log'), 'utf8')).toContain('"devLogin":"true"');
  }, 150_000);
});
