import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startServiceProcess, stopAllServiceProcesses } from './service-process';
import { testStack } from './stack-env';
import { waitFor } from './wait-for';

// A stand-in for a built app, started through the real command of tools/scripts/services.cjs.
// FAKE_MODE: ready (default) | crash (exits 3 at boot) | stubborn (ignores SIGTERM).
const fakeMain = `
const http = require('node:http');
const log = (msg, extra = {}) => console.log(JSON.stringify({ level: 30, time: Date.now(), msg, ...extra }));
const mode = process.env.FAKE_MODE || 'ready';
log('booting', { env: { PORT: process.env.PORT, HOST: process.env.HOST, NODE_ENV: process.env.NODE_ENV,
  DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, EXTRA: process.env.EXTRA } });
if (mode === 'crash') {
  console.error('Error: cannot connect to the database');
  process.exit(3);
}
let probes = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/health/ready') {
    probes += 1;
    res.statusCode = probes > 2 ? 200 : 503; // not ready on the first probes
    return res.end();
  }
  if (req.url.startsWith('/echo')) {
    console.error('plain text: ' + req.url);
    return res.end('ok');
  }
  res.statusCode = 404;
  res.end();
});
server.listen(Number(process.env.PORT), process.env.HOST, () => log('listening'));
process.on('SIGTERM', () => {
  if (mode === 'stubborn') return log('ignoring SIGTERM');
  log('bye');
  server.close(() => process.exit(0));
});
`;

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startServiceProcess', () => {
  let rootDir: string;

  beforeAll(() => {
    rootDir = mkdtempSync(join(tmpdir(), 'gad-service-process-'));
    const dir = join(rootDir, 'dist', 'apps', 'geo-service', 'src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.js'), fakeMain);
  });

  afterAll(async () => {
    await stopAllServiceProcesses('SIGKILL');
    rmSync(rootDir, { recursive: true, force: true });
  });

  it('starts the app with the shared environment and resolves once it is ready', async () => {
    const sut = await startServiceProcess({ app: 'geo-service', rootDir, env: { EXTRA: 'x1' } });
    try {
      expect(sut.url).toBe(`http://127.0.0.1:${sut.port}`);
      expect(isRunning(sut.pid)).toBe(true);
      expect(await get(`${sut.url}/health/ready`)).toBe(200);
      const booting = await sut.waitForLog((line) => line.json?.['msg'] === 'booting');
      expect(booting.json?.['env']).toEqual({
        PORT: String(sut.port),
        HOST: '127.0.0.1',
        NODE_ENV: 'test',
        DATABASE_URL: expect.stringMatching(/\/gad_e2e_database_url_not_set$/),
        REDIS_URL: testStack.redisUrl,
        EXTRA: 'x1',
      });
    } finally {
      await sut.stop();
    }
  });

  it('keeps raw lines and waits for lines printed later', async () => {
    const sut = await startServiceProcess({ app: 'geo-service', rootDir });
    try {
      const since = sut.logs.length;
      const waiting = sut.waitForLog((line) => line.text.includes('/echo?n=7'), { since });
      expect(await get(`${sut.url}/echo?n=7`)).toBe(200);
      const line = await waiting;
      expect(line).toMatchObject({ stream: 'stderr', text: 'plain text: /echo?n=7' });
      expect(line.json).toBeUndefined();
      expect(sut.tail()).toContain('[stderr] plain text: /echo?n=7');
    } finally {
      await sut.stop();
    }
  });

  it('stops with SIGTERM and reports the exit', async () => {
    const sut = await startServiceProcess({ app: 'geo-service', rootDir });
    const exit = await sut.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sut.logs.some((line) => line.json?.['msg'] === 'bye')).toBe(true);
    expect(isRunning(sut.pid)).toBe(false);
  });

  it('escalates to SIGKILL when the app ignores SIGTERM past the deadline', async () => {
    const sut = await startServiceProcess({
      app: 'geo-service',
      rootDir,
      env: { FAKE_MODE: 'stubborn' },
    });
    const exit = await sut.stop('SIGTERM', { timeoutMs: 300 });
    expect(exit.signal).toBe('SIGKILL');
    expect(sut.logs.some((line) => line.json?.['msg'] === 'ignoring SIGTERM')).toBe(true);
  });

  it('fails with the last log lines when the app exits before it is ready', async () => {
    await expect(
      startServiceProcess({ app: 'geo-service', rootDir, env: { FAKE_MODE: 'crash' } }),
    ).rejects.toThrow(
      /geo-service exited with code 3 before it was ready[\s\S]*cannot connect to the database/,
    );
  });

  it('fails when waitForLog sees the process exit', async () => {
    const sut = await startServiceProcess({ app: 'geo-service', rootDir });
    const waiting = sut.waitForLog(() => false, { description: 'a line that never comes' });
    await sut.kill();
    await expect(waiting).rejects.toThrow(
      /was killed by SIGKILL while waiting for a line that never comes/,
    );
  });

  it('refuses the template database and a missing build', async () => {
    await expect(
      startServiceProcess({
        app: 'geo-service',
        rootDir,
        env: { DATABASE_URL: testStack.databaseUrl },
      }),
    ).rejects.toThrow(/template database/);
    await expect(startServiceProcess({ app: 'ws-gateway', rootDir })).rejects.toThrow(
      /dist\/apps\/ws-gateway\/src\/main\.js does not exist; build first/,
    );
    await expect(startServiceProcess({ app: 'no-such-app', rootDir })).rejects.toThrow(
      /unknown service/,
    );
  });

  it('leaves no app behind when the process that started it dies', async () => {
    // A runner that starts the app and then exits without stopping it.
    const runner = spawn(
      process.execPath,
      [
        '-e',
        `const { serviceCommand, serviceEnv } = require(${JSON.stringify(join(__dirname, '../../../../tools/scripts/services.cjs'))});
         const { spawn } = require('node:child_process');
         const { command, args, cwd } = serviceCommand('geo-service', { rootDir: ${JSON.stringify(rootDir)} });
         const app = spawn(command, args, { cwd, env: serviceEnv('geo-service', { port: 0 }), stdio: 'ignore' });
         console.log(app.pid);
         setTimeout(() => process.exit(0), 300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    runner.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => runner.once('close', resolve));
    const appPid = Number(output.trim());
    expect(appPid).toBeGreaterThan(0);
    await waitFor(() => !isRunning(appPid), {
      description: `orphaned app ${appPid} to exit`,
      timeoutMs: 10_000,
    });
  });
});
