#!/usr/bin/env node
// `npm run soak`: the whole system under `npm start` for a while, with short-lived access tokens
// and a client hammering the REST API from the same address as the simulated devices, then a
// verdict: every simulated device must be connected at the end.
//
//   npm run soak                                  30 minutes, 45 s access tokens, 20 units
//   npm run soak -- --minutes 60 --token-ttl 900  the issue's hour with the default token lifetime
//   npm run soak -- --hammer-rps 40               requests per second of the hammering client
//
// It runs `npm start -- --no-build --skip-install` (build first: `npm run build`), so the stack and
// dist/ must be there. Output: a line per minute (simulator status, hammer counts), then a summary;
// exit code 0 when every device is connected at the end and no service exited, 1 otherwise.
// The full `npm start` output goes to tmp/soak-start.log.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, repoRoot } from './common.mjs';

const options = parseArgs(process.argv.slice(2), {
  values: ['minutes', 'token-ttl', 'hammer-rps', 'units'],
  flags: [],
});
const minutes = Number(options.minutes ?? 30);
const tokenTtl = Number(options['token-ttl'] ?? 45);
const hammerRps = Number(options['hammer-rps'] ?? 40);
const units = Number(options.units ?? 20);
const apiUrl = 'http://127.0.0.1:3000';

mkdirSync(join(repoRoot, 'tmp'), { recursive: true });
const logFile = join(repoRoot, 'tmp', 'soak-start.log');
const log = createWriteStream(logFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const stamp = () => new Date().toISOString().slice(11, 19);

console.log(
  `soak: ${minutes} min, access tokens ${tokenTtl} s, ${units} units, hammer ${hammerRps} req/s from 127.0.0.1; npm start output in ${logFile}`,
);

const start = spawn(
  process.execPath,
  [
    join(repoRoot, 'tools/scripts/start.mjs'),
    '--no-build',
    '--skip-install',
    '--sim-units',
    String(units),
    // The hammer logs in with the development login; the verdict reads the simulator's lines.
    '--dev-login',
    '--logs',
  ],
  {
    cwd: repoRoot,
    env: { ...process.env, JWT_ACCESS_TTL_SECONDS: String(tokenTtl), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let lastStatus = '';
let startExited = false;
const serviceExits = [];
const downtimes = []; // seconds a device or the console was down, from the simulator's log lines
const onLine = (chunk) => {
  log.write(chunk);
  for (const line of chunk.toString().split('\n')) {
    if (/\bunits \d+\/\d+/.test(line)) {
      lastStatus = line.trim();
    }
    const back = /connected again after ([\d.]+) s down/.exec(line);
    if (back) {
      downtimes.push(Number(back[1]));
    }
    if (/exited|FATAL/.test(line) && !/simulator/.test(line)) {
      serviceExits.push(line.trim());
    }
  }
};
start.stdout.on('data', onLine);
start.stderr.on('data', onLine);
start.on('exit', () => {
  startExited = true;
});

async function waitReady(deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (startExited) {
      throw new Error(`npm start exited before the system was ready (see ${logFile})`);
    }
    try {
      const response = await fetch(`${apiUrl}/health/ready`);
      if (response.ok && lastStatus) {
        return;
      }
    } catch {
      // not up yet
    }
    await sleep(1_000);
  }
  throw new Error('the system was not ready (with a simulator status line) within 3 minutes');
}

/** A dispatcher's client, on the same address as the devices, calling the API as fast as asked. */
async function hammer(untilMs, counts) {
  let token;
  const login = async () => {
    const response = await fetch(`${apiUrl}/v1/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        agencyId: 'demo',
        userId: 'soak-hammer',
        roles: ['dispatcher'],
      }),
    });
    counts[`login ${response.status}`] = (counts[`login ${response.status}`] ?? 0) + 1;
    if (response.ok) {
      token = (await response.json()).accessToken;
    }
  };
  const intervalMs = 1_000 / hammerRps;
  let next = Date.now();
  while (Date.now() < untilMs && !startExited) {
    if (!token) {
      await login();
    }
    try {
      const response = await fetch(`${apiUrl}/v1/incidents?limit=20`, {
        headers: { authorization: `Bearer ${token}` },
      });
      counts[response.status] = (counts[response.status] ?? 0) + 1;
      await response.arrayBuffer();
      if (response.status === 401) {
        token = undefined;
      }
    } catch {
      counts.network = (counts.network ?? 0) + 1;
    }
    next += intervalMs;
    const wait = next - Date.now();
    if (wait > 0) {
      await sleep(wait);
    } else {
      next = Date.now();
    }
  }
}

const connected = (status) => {
  const match = /\bunits (\d+)\/(\d+)/.exec(status);
  return match
    ? { up: Number(match[1]), of: Number(match[2]), console: !/console down/.test(status) }
    : undefined;
};
const allConnected = (status) => {
  const state = connected(status);
  return state !== undefined && state.up === state.of && state.of === units && state.console;
};
const quantile = (values, q) =>
  values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.ceil(q * values.length) - 1];

let exitCode = 1;
try {
  await waitReady(180_000);
  console.log(`${stamp()} ready: ${lastStatus}`);
  const endAt = Date.now() + minutes * 60_000;
  const counts = {};
  const hammering = hammer(endAt, counts);
  while (Date.now() < endAt && !startExited) {
    await sleep(Math.min(60_000, Math.max(0, endAt - Date.now())));
    console.log(`${stamp()} ${lastStatus} | hammer ${JSON.stringify(counts)}`);
  }
  await hammering;
  // Short tokens keep some device between expiry and its reconnect at any instant: the verdict
  // is whether every device (and the console) is connected within one minute of the end.
  const settleUntil = Date.now() + 60_000;
  await sleep(11_000);
  while (!allConnected(lastStatus) && Date.now() < settleUntil && !startExited) {
    await sleep(1_000);
  }
  const final = connected(lastStatus);
  const allUp = allConnected(lastStatus);
  console.log(`\nfinal status: ${lastStatus}`);
  console.log(`hammer answers: ${JSON.stringify(counts)}`);
  console.log(
    `reconnects: ${downtimes.length}, down p50 ${quantile(downtimes, 0.5)} s, p99 ${quantile(downtimes, 0.99)} s, max ${quantile(downtimes, 1)} s`,
  );
  if (serviceExits.length > 0) {
    console.log(`service exits or fatal lines:\n  ${serviceExits.slice(0, 10).join('\n  ')}`);
  }
  exitCode = allUp && serviceExits.length === 0 && !startExited ? 0 : 1;
  console.log(
    exitCode === 0
      ? `soak passed: ${final.up}/${final.of} devices and the console connected after ${minutes} min`
      : `soak FAILED: ${final ? `${final.up}/${final.of}${final.console ? '' : ', console down'}` : 'no status line'} devices connected`,
  );
} catch (error) {
  console.error(`soak FAILED: ${error.message}`);
} finally {
  start.kill('SIGINT');
  await Promise.race([new Promise((resolve) => start.on('exit', resolve)), sleep(20_000)]);
  log.end();
}
process.exit(exitCode);
