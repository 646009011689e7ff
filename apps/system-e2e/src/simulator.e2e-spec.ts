import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

const repoRoot = join(__dirname, '..', '..', '..');
const simulatorEntry = join(repoRoot, 'dist', 'tools', 'simulator', 'src', 'main.js');
/** The api-gateway's shortest access-token lifetime. */
const TOKEN_TTL_S = 30;
const UNITS = 4;

/**
 * The fleet simulator (built, as `npm start` runs it) against real api-gateway and ws-gateway
 * processes whose access tokens live 30 s: at the first expiry every device and the console must
 * come back with a renewed token, and the simulator must say so (a log line per transition, the
 * down count in its status line).
 */
describe('fleet simulator: devices come back after their tokens expire', () => {
  const agencyId = `sim-e2e-${Date.now().toString(36)}`;
  let testEnv: TestEnvironment | undefined;
  const services: ServiceProcess[] = [];
  let simulator: ChildProcess | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    if (!existsSync(simulatorEntry)) {
      throw new Error(
        `${simulatorEntry} does not exist; build first: node tools/scripts/build.mjs`,
      );
    }
    const env = await createTestEnvironment({ JWT_ACCESS_TTL_SECONDS: String(TOKEN_TTL_S) });
    testEnv = env;
    services.push(
      ...(await Promise.all([startTestApp('api-gateway', env), startTestApp('ws-gateway', env)])),
    );
  }, 120_000);

  afterAll(async () => {
    if (simulator && simulator.exitCode === null) {
      const exited = new Promise((resolve) => simulator?.once('exit', resolve));
      simulator.kill('SIGINT');
      await exited;
    }
    await Promise.all(services.map((service) => service.stop()));
    await testEnv?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      console.log(lines.slice(-60).join('\n'), ...services.map((service) => service.tail(20)));
    }
  });

  const callSigns = Array.from(
    { length: UNITS },
    (_, i) => `SIM-${String(i + 1).padStart(3, '0')}`,
  );
  const seen = (pattern: RegExp, from = 0) =>
    lines.findIndex((line, i) => i >= from && pattern.test(line));

  it('renews the tokens at expiry, logs each device down and back, and ends with all connected', async () => {
    const [api, ws] = services;
    simulator = spawn(
      process.execPath,
      [
        '-r',
        join(repoRoot, 'tools', 'scripts', 'register-paths.js'),
        simulatorEntry,
        '--units',
        String(UNITS),
        '--dispatchers',
        '1',
        // The console connects; no incident is created (there is no geo-service here).
        '--incident-every',
        '100000',
        '--position-every',
        '1',
        '--status-every',
        '1',
        '--agency',
        agencyId,
        '--api-url',
        api.url,
        '--ws-url',
        ws.url,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [simulator.stdout, simulator.stderr]) {
      if (stream) {
        createInterface({ input: stream }).on('line', (line) => lines.push(line));
      }
    }
    const allUp = new RegExp(`units ${UNITS}/${UNITS} \\(down 0\\) \\| console up`);
    await waitFor(() => seen(allUp) >= 0, {
      description: 'every device and the console connected',
      timeoutMs: 25_000,
    });

    // The tokens of the first logins expire: each device and the console go down once, then come
    // back with a renewed token.
    const links = [...callSigns.map((callSign) => `device ${callSign}`), 'dispatch console'];
    const downAt = (link: string) => seen(new RegExp(`^${link} down: token_expired`));
    for (const link of links) {
      await waitFor(() => downAt(link) >= 0, {
        description: `${link} down at its token expiry`,
        timeoutMs: (TOKEN_TTL_S + 10) * 1000,
      });
    }
    for (const link of links) {
      await waitFor(() => seen(new RegExp(`^${link} connected again after`), downAt(link)) >= 0, {
        description: `${link} connected again`,
        timeoutMs: 15_000,
      });
    }
    const lastDown = Math.max(...links.map(downAt));
    await waitFor(() => seen(allUp, lastDown) >= 0, {
      description: 'the status line showing every device and the console connected again',
      timeoutMs: 15_000,
    });
    expect(lines.filter((line) => /stopped reconnecting/.test(line))).toEqual([]);
  }, 90_000);
});
