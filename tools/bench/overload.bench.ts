/*
 * `npm run bench -- overload`: shedding under overload (issue #21). The built api-gateway and
 * geo-service, as deployed (adaptive concurrency limit, ADR 0024 and 0030), answer each route in
 * turn (`GET /v1/units/nearest`, then `GET /v1/incidents`): first unthrottled (the measured
 * maximum), then at a fraction of it (unloaded), then at `--factor` (3) × the maximum for
 * `--seconds`, then at the unloaded rate again (recovery); last, a second gateway that refuses
 * everything shows what one refusal costs. It reports the p99 of accepted (200) requests under
 * overload against the unloaded p99, the 504s, the latency of the 503 refusals and whether they
 * carry Retry-After, the CPU of each process and the event-loop delays.
 * Flags: --routes nearest,incidents --units 10000 --incidents 10000 --warmup 2 --max-seconds 5
 * --seconds 10 --recovery-seconds 5 --connections 32 --overload-connections 256
 * --unloaded-share 0.3 --factor 3 --refusal-seconds 5
 * --gateway-env KEY=value,KEY=value (the api-gateway only) --no-write
 */
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  startServiceProcess,
  uniqueRedisPrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBareServer, type BareServer } from './bare-server';
import { seedIncidents } from './incidents';
import { NEAREST_AGENCY, nearestPath, seedUnits } from './nearest';
import { benchServiceEnv, devLoginToken } from './services';
import {
  cpuMsOf,
  cpuSnapshot,
  cpuSpent,
  fmt,
  machine,
  parseBenchFlags,
  percentile,
  progress as log,
  writeSection,
  type CpuProbe,
} from './report';
import { answerLog } from './answer-log';
import { generateLoad } from './load';

/** The routes the bench can overload: the request path of each (one per request). */
const ROUTES: Record<string, { describe: string; path: () => string }> = {
  nearest: {
    describe: '`GET /v1/units/nearest` for a uniform random point (as in the geo bench)',
    path: nearestPath,
  },
  incidents: {
    describe: '`GET /v1/incidents` (first page of 50, newest first, as in the api bench)',
    path: () => '/v1/incidents',
  },
};

interface Flags {
  /** Routes overloaded one after the other (`nearest`, `incidents`), comma separated. */
  routes: string;
  /** Units seeded in the agency the nearest requests query. */
  units: number;
  /** Incidents seeded in the same agency (when `incidents` is among the routes). */
  incidents: number;
  /** Seconds of unrecorded unthrottled load before the first measured phase. */
  warmup: number;
  /** Seconds of the unthrottled run that measures the maximum. */
  maxSeconds: number;
  /** Seconds of the unloaded and the overload phases. */
  seconds: number;
  /** Seconds of the recovery phase (the unloaded rate again, after the overload). */
  recoverySeconds: number;
  /** Connections of the unthrottled and unloaded runs. */
  connections: number;
  /** Connections of the overload run: enough that the generator can offer the rate. */
  overloadConnections: number;
  /** The unloaded rate as a share of the measured maximum. */
  unloadedShare: number;
  /** The overload rate as a multiple of the measured maximum. */
  factor: number;
  /** Seconds of the refusals-only run (a second gateway refusing everything); 0 skips it. */
  refusalSeconds: number;
  /** `KEY=value,KEY=value` set on the api-gateway only (e.g. to compare limiter settings). */
  gatewayEnv: string;
  write: boolean;
}

/** The heading of this bench's part of tools/bench/analysis/api.md (appended to its section). */
const ANALYSIS_HEADING = '### Overload';

/** The "### Overload ..." part of tools/bench/analysis/api.md, up to the next `###` heading. */
function overloadAnalysis(root: string): string {
  const file = join(root, 'tools', 'bench', 'analysis', 'api.md');
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`\n${ANALYSIS_HEADING}`);
  if (start === -1) return '';
  const end = text.indexOf('\n### ', start + 1);
  return text.slice(start + 1, end === -1 ? undefined : end).trimEnd();
}

/**
 * The cheapest HTTP refusal this machine allows: node:http answering every request with the same
 * 503 problem+json and Retry-After, no framework, no limiter (the refusals' baseline).
 */
const BARE_REFUSAL_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503,
  detail: 'The server is busy; retry after 1 s', code: 'overloaded' });
http.createServer((request, response) => {
  response.writeHead(503, { 'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body), 'retry-after': '1' });
  response.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
`;

/** Budgets of issue #21. */
const ACCEPTED_P99_BUDGET = 3;
const SHED_MS_BUDGET = 10;

/** One load phase against the gateway: latencies by status, headers of the 503s, CPU. */
interface Phase {
  label: string;
  /** Target rate (req/s), or undefined when unthrottled. */
  rate?: number;
  connections: number;
  seconds: number;
  /** Requests answered (any status) per second: what the generator really offered. */
  sent: number;
  ok: number[];
  /** 503 answers by problem code (`overloaded` from the limiter, `upstream_unavailable` ...). */
  shed: number[];
  shedCodes: Record<string, number>;
  shedWithRetryAfter: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** CPU ms of each process during the phase, and of the database's PostgreSQL backends. */
  cpu: Record<string, number>;
  /** The gateway's adaptive limit sampled from its /metrics during the phase. */
  limits: number[];
  /** Wall-clock bounds of the phase (ms since the epoch), to match the gateway's loop samples. */
  startedAt: number;
  endedAt: number;
  /** Event-loop delay of the bench process (the load generator) during the phase: p99 and max, ms. */
  benchLoop: { p99: number; max: number };
  /** The gateway's event-loop delay (from loop-delay.preload.js) during the phase. */
  gatewayLoop?: { p99: number; max: number; elu: number };
}

/** The preload that samples the gateway's event loop (bench-only, like without-audit.preload.js). */
const LOOP_DELAY_PRELOAD = 'loop-delay.preload.js';

interface LoopSample {
  t: number;
  p50: number;
  p99: number;
  max: number;
  elu: number;
}

/** The gateway's loop over a phase: the worst 250 ms p99 and max, and the mean utilisation. */
function gatewayLoopOf(samples: LoopSample[], phase: Phase): Phase['gatewayLoop'] {
  const inside = samples.filter((s) => s.t > phase.startedAt + 250 && s.t <= phase.endedAt);
  if (inside.length === 0) return undefined;
  return {
    p99: percentile(
      inside.map((s) => s.p99).sort((a, b) => a - b),
      50,
    ),
    max: Math.max(...inside.map((s) => s.max)),
    elu: inside.reduce((sum, s) => sum + s.elu, 0) / inside.length,
  };
}

/** The gateway's `gad_http_concurrency_limit` gauge (undefined when /metrics does not answer). */
async function scrapeLimit(gatewayUrl: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('gad_http_concurrency_limit'));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  } catch {
    return undefined;
  }
}

async function phase(
  label: string,
  gateway: Pick<ServiceProcess, 'url'>,
  token: string,
  probes: { pids: Record<string, number>; database: CpuProbe },
  options: {
    seconds: number;
    connections: number;
    rate?: number;
    path: () => string;
    /** Scrape the adaptive limit from /metrics (not where it is fixed: it costs the server CPU). */
    scrape?: boolean;
  },
): Promise<Phase> {
  const ok: number[] = [];
  const shed: number[] = [];
  const shedCodes: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let shedWithRetryAfter = 0;
  const limits: number[] = [];
  const cpuOf = (): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(probes.pids).map(([name, pid]) => [name, cpuMsOf(pid)])),
    'bench (generator)': (process.cpuUsage().user + process.cpuUsage().system) / 1_000,
  });
  const before = cpuOf();
  const dbBefore = await cpuSnapshot(probes.database);
  const benchLoop = monitorEventLoopDelay({ resolution: 2 });
  benchLoop.enable();
  const startedAt = Date.now();
  const started = performance.now();
  const log = answerLog(label);
  const scraper = setInterval(() => {
    if (options.scrape === false) return;
    void scrapeLimit(gateway.url).then((limit) => {
      if (limit !== undefined) limits.push(limit);
    });
  }, 250);
  const instance = generateLoad({
    url: gateway.url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request: Record<string, unknown>) => ({ ...request, path: options.path() }),
        onResponse: (status: number, body: string, _context: unknown, headers: ResponseHeaders) => {
          if (status !== 503) return;
          if (Number(headers['retry-after']) >= 1) shedWithRetryAfter += 1;
          let code = '?';
          try {
            code = String((JSON.parse(body) as { code?: unknown }).code);
          } catch {
            // not problem+json: counted as '?'
          }
          shedCodes[code] = (shedCodes[code] ?? 0) + 1;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    log?.record(performance.now() - started - ms, ms, status);
    if (status === 200) ok.push(ms);
    else if (status === 503) shed.push(ms);
  });
  const result = await instance;
  clearInterval(scraper);
  log?.write({ limits });
  benchLoop.disable();
  const endedAt = Date.now();
  const seconds = (performance.now() - started) / 1_000;
  const loopMs = (ns: number): number => Math.max(0, ns / 1e6 - 2);
  const after = cpuOf();
  const db = cpuSpent(dbBefore, await cpuSnapshot(probes.database));
  const cpu = Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]]));
  cpu['PostgreSQL backends'] = db.database;
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  return {
    label,
    rate: options.rate,
    connections: options.connections,
    seconds,
    sent: answered / seconds,
    ok: ok.sort((a, b) => a - b),
    shed: shed.sort((a, b) => a - b),
    shedCodes,
    shedWithRetryAfter,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    cpu,
    limits,
    startedAt,
    endedAt,
    benchLoop: { p99: loopMs(benchLoop.percentile(99)), max: loopMs(benchLoop.max) },
  };
}

/** The generator hands `onResponse` the headers as a plain object of lower-case names. */
type ResponseHeaders = Record<string, string | undefined>;

const count = (p: Phase, status: number): number => p.statuses[status] ?? 0;

function table(phases: Phase[]): string {
  const lines = [
    '| phase | offered (req/s) | answered (/s) | 200 (/s) | 200 p50 / p99 / max (ms) | 503 | 503 p50 / p99 / max (ms) | 503 with Retry-After | 504 | other | CPU busy, % of one core | CPU ms per 200 | adaptive limit min / mean / max | event-loop delay p99 / max (ms): api-gateway (median 250 ms p99), bench | api-gateway loop utilisation |',
    '|---|---:|---:|---:|---|---:|---|---:|---:|---|---|---|---|---|---:|',
  ];
  for (const p of phases) {
    const other = Object.entries(p.statuses)
      .filter(([status]) => !['200', '503', '504'].includes(status))
      .map(([status, n]) => `${n}× ${status}`);
    if (p.errors || p.timeouts) other.push(`${p.errors} errors, ${p.timeouts} timeouts`);
    const lat = (sorted: number[]): string =>
      sorted.length
        ? `${fmt(percentile(sorted, 50), 1)} / ${fmt(percentile(sorted, 99), 1)} / ${fmt(sorted[sorted.length - 1] ?? Number.NaN, 1)}`
        : '–';
    const busy = Object.entries(p.cpu)
      .map(([name, ms]) => `${name} ${fmt((ms / (p.seconds * 1_000)) * 100, 0)}`)
      .join(', ');
    const perOk = Object.entries(p.cpu)
      .filter(([name]) => !name.startsWith('bench'))
      .map(([name, ms]) => `${name} ${p.ok.length ? fmt(ms / p.ok.length, 2) : '–'}`)
      .join(', ');
    const limits = p.limits.length
      ? `${Math.min(...p.limits)} / ${fmt(p.limits.reduce((s, n) => s + n, 0) / p.limits.length, 0)} / ${Math.max(...p.limits)}`
      : '–';
    const codes = Object.entries(p.shedCodes)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    const loops = `${p.gatewayLoop ? `${fmt(p.gatewayLoop.p99, 1)} / ${fmt(p.gatewayLoop.max, 1)}` : '–'}; ${fmt(p.benchLoop.p99, 1)} / ${fmt(p.benchLoop.max, 1)}`;
    lines.push(
      `| ${p.label} | ${p.rate ? fmt(p.rate, 0) : `unthrottled, ${p.connections} connections`} | ${fmt(p.sent, 0)} | ${fmt(p.ok.length / p.seconds, 0)} | ${lat(p.ok)} | ${count(p, 503)}${codes ? ` (${codes})` : ''} | ${lat(p.shed)} | ${p.shedWithRetryAfter} | ${count(p, 504)} | ${other.join(', ') || '–'} | ${busy} | ${perOk} | ${limits} | ${loops} | ${p.gatewayLoop ? fmt(p.gatewayLoop.elu, 2) : '–'} |`,
    );
  }
  return lines.join('\n');
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('overload', args, {
    routes: 'nearest,incidents',
    units: 10_000,
    incidents: 10_000,
    warmup: 2,
    maxSeconds: 5,
    seconds: 10,
    recoverySeconds: 5,
    connections: 32,
    overloadConnections: 256,
    unloadedShare: 0.3,
    factor: 3,
    refusalSeconds: 5,
    gatewayEnv: '',
    write: true,
  });
  const routes = flags.routes.split(',').filter(Boolean);
  for (const route of routes) {
    if (!ROUTES[route]) throw new Error(`--routes takes ${Object.keys(ROUTES).join(', ')}`);
  }
  const benchStart = performance.now();
  const loadBefore = loadavg()[0];
  for (const app of ['geo-service', 'api-gateway']) {
    if (!existsSync(join(root, 'dist', 'apps', app, 'src', 'main.js'))) {
      throw new Error(`dist/apps/${app} is missing: run node tools/scripts/build.mjs first`);
    }
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = uniqueRedisPrefix();
  let database: TestDatabase | undefined;
  let admin: Client | undefined;
  const services: ServiceProcess[] = [];
  const phases: Phase[] = [];
  const runs: { route: string; max: Phase; unloaded: Phase; overload: Phase }[] = [];
  let gatewayErrors = 0;
  let refusals: Phase | undefined;
  let bareRefusals: Phase | undefined;
  let bare: BareServer | undefined;
  let pgVersion = '?';
  const loopDir = mkdtempSync(join(tmpdir(), 'gad-overload-'));
  const loopFile = join(loopDir, 'loop-delay.jsonl');
  const refusingLoopFile = join(loopDir, 'loop-delay-refusing.jsonl');
  const preload =
    `${process.env['NODE_OPTIONS'] ?? ''} --require ${join(root, 'tools', 'bench', LOOP_DELAY_PRELOAD)}`.trim();
  try {
    database = await createTestDatabase();
    log(`throwaway database ${database.name}, redis prefix ${prefix}`);
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
    // Only the per-IP and per-user rate limits are out of the way: the concurrency limit is the
    // deployed one, which is what this bench measures.
    const env = benchServiceEnv({ databaseUrl: database.url, redisUrl, prefix });
    const geo = await startServiceProcess({ app: 'geo-service', env, readyTimeoutMs: 60_000 });
    services.push(geo);
    const gatewayEnv = Object.fromEntries(
      flags.gatewayEnv
        .split(',')
        .filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    const gateway = await startServiceProcess({
      app: 'api-gateway',
      env: {
        ...env,
        NODE_OPTIONS: preload,
        GAD_BENCH_LOOP_DELAY_FILE: loopFile,
        ...gatewayEnv,
      },
      readyTimeoutMs: 60_000,
    });
    services.push(gateway);
    log(`geo-service ${geo.url}, api-gateway ${gateway.url}`);
    // After geo-service's start: it migrates its schema.
    await seedUnits(admin, 1, flags.units);
    log(`seeded ${flags.units} units`);
    if (routes.includes('incidents')) {
      await seedIncidents(database.url, NEAREST_AGENCY, 0, flags.incidents);
      log(`seeded ${flags.incidents} incidents`);
    }
    const token = await devLoginToken(gateway.url, NEAREST_AGENCY);
    const probes = {
      pids: { 'api-gateway': gateway.pid, 'geo-service': geo.pid },
      database: { pid: 0, admin, database: database.name },
    };
    let overloadRate = 0;
    for (const route of routes) {
      const path = ROUTES[route]?.path ?? nearestPath;
      if (flags.warmup > 0) {
        log(`${route}: warm-up, ${flags.warmup} s unthrottled (not recorded)`);
        await phase('warm-up', gateway, token, probes, {
          seconds: flags.warmup,
          connections: flags.connections,
          path,
        });
      }
      log(
        `${route}: maximum: unthrottled, ${flags.connections} connections, ${flags.maxSeconds} s`,
      );
      const max = await phase(`${route}: maximum`, gateway, token, probes, {
        seconds: flags.maxSeconds,
        connections: flags.connections,
        path,
      });
      phases.push(max);
      const maxRate = max.ok.length / max.seconds;
      if (!(maxRate > 0)) throw new Error('the unthrottled run answered no request with 200');
      const unloadedRate = Math.max(1, Math.round(maxRate * flags.unloadedShare));
      overloadRate ||= Math.round(maxRate * flags.factor);
      const routeOverloadRate = Math.round(maxRate * flags.factor);
      log(
        `${route}: maximum ${fmt(maxRate, 0)} req/s answered; unloaded ${unloadedRate}/s, ${flags.seconds} s`,
      );
      const unloaded = await phase(
        `${route}: unloaded (${fmt(flags.unloadedShare * 100, 0)} % of max)`,
        gateway,
        token,
        probes,
        { seconds: flags.seconds, connections: flags.connections, rate: unloadedRate, path },
      );
      phases.push(unloaded);
      log(
        `${route}: overload ${routeOverloadRate}/s, ${flags.overloadConnections} connections, ${flags.seconds} s`,
      );
      const overload = await phase(
        `${route}: overload (${flags.factor}× max)`,
        gateway,
        token,
        probes,
        {
          seconds: flags.seconds,
          connections: flags.overloadConnections,
          rate: routeOverloadRate,
          path,
        },
      );
      phases.push(overload);
      runs.push({ route, max, unloaded, overload });
      if (flags.recoverySeconds > 0) {
        log(`${route}: recovery: ${unloadedRate}/s again, ${flags.recoverySeconds} s`);
        phases.push(
          await phase(`${route}: recovery (unloaded rate again)`, gateway, token, probes, {
            seconds: flags.recoverySeconds,
            connections: flags.connections,
            rate: unloadedRate,
            path,
          }),
        );
      }
    }
    if (flags.refusalSeconds > 0) {
      // What a refusal costs, alone: a second gateway whose one slot is held by a request whose
      // body never comes, so the limit refuses every other request.
      const refusing = await startServiceProcess({
        app: 'api-gateway',
        env: {
          ...env,
          NODE_OPTIONS: preload,
          GAD_BENCH_LOOP_DELAY_FILE: refusingLoopFile,
          ...gatewayEnv,
          MAX_IN_FLIGHT_REQUESTS: '1',
          CONCURRENCY_LIMIT_MIN: '1',
          CONCURRENCY_LIMIT_INITIAL: '1',
        },
        readyTimeoutMs: 60_000,
      });
      services.push(refusing);
      const url = new URL(refusing.url);
      const hold = connect(Number(url.port), url.hostname);
      hold.write(
        'POST /v1/auth/dev-login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      log(
        `refusals only: ${overloadRate}/s on a gateway whose one slot is held, ${flags.refusalSeconds} s`,
      );
      const refusingProbes = { pids: { 'api-gateway': refusing.pid }, database: probes.database };
      const firstPath = ROUTES[routes[0] ?? 'nearest']?.path ?? nearestPath;
      // Unrecorded: a fresh process's first refusals run cold code.
      await phase('warm-up', refusing, token, refusingProbes, {
        seconds: 1,
        connections: flags.connections,
        rate: overloadRate,
        path: firstPath,
        scrape: false,
      });
      refusals = await phase(
        'refusals only (a second gateway, its one slot held)',
        refusing,
        token,
        refusingProbes,
        {
          seconds: flags.refusalSeconds,
          connections: flags.connections,
          rate: overloadRate,
          path: firstPath,
          scrape: false,
        },
      );
      phases.push(refusals);
      hold.destroy();
      bare = await startBareServer(root, BARE_REFUSAL_SERVER, {});
      const bareProbes = { pids: { 'bare node:http': bare.pid }, database: probes.database };
      await phase('warm-up', bare, token, bareProbes, {
        seconds: 1,
        connections: flags.connections,
        rate: overloadRate,
        path: firstPath,
        scrape: false,
      });
      log(`bare node:http 503s: ${overloadRate}/s, ${flags.refusalSeconds} s`);
      bareRefusals = await phase(
        'bare node:http answering 503 (baseline)',
        bare,
        token,
        bareProbes,
        {
          seconds: flags.refusalSeconds,
          connections: flags.connections,
          rate: overloadRate,
          path: firstPath,
          scrape: false,
        },
      );
      phases.push(bareRefusals);
    }
    const samplesOf = (file: string): LoopSample[] =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as LoopSample)
        : [];
    const loopSamples = samplesOf(loopFile);
    for (const p of phases) {
      // The bare server has no loop sampler; the refusing gateway has its own.
      if (p !== refusals && p !== bareRefusals) p.gatewayLoop = gatewayLoopOf(loopSamples, p);
    }
    if (refusals) refusals.gatewayLoop = gatewayLoopOf(samplesOf(refusingLoopFile), refusals);
    gatewayErrors = gateway.logs.filter(
      (line) => line.json?.['level'] === 'error' || line.json?.['level'] === 50,
    ).length;
  } finally {
    bare?.stop();
    await Promise.all(services.map((service) => service.stop()));
    await admin?.end().catch(() => undefined);
    await database?.drop();
    rmSync(loopDir, { recursive: true, force: true });
    const redis = new Redis(redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  }

  const summary: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
  const n504 = phases.reduce((sum, p) => sum + count(p, 504), 0);
  for (const { route, max, unloaded, overload } of runs) {
    const unloadedP99 = percentile(unloaded.ok, 99);
    const acceptedP99 = percentile(overload.ok, 99);
    const ratio = acceptedP99 / unloadedP99;
    const shedP99 = percentile(overload.shed, 99);
    const shedMax = overload.shed[overload.shed.length - 1] ?? Number.NaN;
    const overloadShed = count(overload, 503);
    const maxRate = max.ok.length / max.seconds;
    const offeredShare = overload.sent / (overload.rate ?? 1);
    summary.push(
      `- ${route}: measured maximum **${fmt(maxRate, 0)} req/s** answered 200 unthrottled (${max.connections} connections; ${count(max, 503)} × 503 in that run)`,
      `- ${route}: accepted p99 under ${flags.factor}× overload **${fmt(acceptedP99, 1)} ms** against the unloaded p99 **${fmt(unloadedP99, 1)} ms**: **${fmt(ratio, 2)}×** — budget ≤ ${ACCEPTED_P99_BUDGET}×: ${verdict(ratio <= ACCEPTED_P99_BUDGET)} (${overload.ok.length} accepted, ${fmt(overload.ok.length / overload.seconds, 0)}/s = ${fmt((overload.ok.length / overload.seconds / maxRate) * 100, 0)} % of the maximum)`,
      `- ${route}: 503 answers under overload: ${overloadShed}, p50 ${fmt(percentile(overload.shed, 50), 1)} ms, p99 **${fmt(shedP99, 1)} ms**, max ${fmt(shedMax, 1)} ms — budget ≤ ${SHED_MS_BUDGET} ms (p99): ${verdict(shedP99 <= SHED_MS_BUDGET)}; ${overload.shedWithRetryAfter} of ${overloadShed} carry Retry-After (${verdict(overload.shedWithRetryAfter === overloadShed)})`,
      `- ${route}: the generator offered ${fmt(overload.sent, 0)} of the ${fmt(overload.rate ?? Number.NaN, 0)} req/s asked (${fmt(offeredShare * 100, 0)} %)${offeredShare < 0.9 ? ': **it could not offer the rate** (the 2 cores it shares with the services were saturated), so the overload was smaller than asked' : ''}`,
    );
  }
  summary.push(
    `- 504 answers in all phases: **${n504}** — budget 0: ${verdict(n504 === 0)}; ${gatewayErrors} api-gateway error log lines`,
  );
  if (refusals) {
    const perRefusal = (p: Phase, name: string): number =>
      ((p.cpu[name] ?? Number.NaN) * 1_000) / Math.max(1, count(p, 503));
    const ours = perRefusal(refusals, 'api-gateway');
    const floor = bareRefusals ? perRefusal(bareRefusals, 'bare node:http') : Number.NaN;
    summary.push(
      `- refusals alone (a second api-gateway whose one slot is held, ${fmt(refusals.sent, 0)} req/s offered): **${fmt(ours, 0)} µs** of gateway CPU per 503${bareRefusals ? ` against ${fmt(floor, 0)} µs for bare node:http answering the same 503 (${fmt(ours / floor, 2)}×)` : ''}; 503 p50/p99/max ${fmt(percentile(refusals.shed, 50), 1)}/${fmt(percentile(refusals.shed, 99), 1)}/${fmt(refusals.shed[refusals.shed.length - 1] ?? Number.NaN, 1)} ms${bareRefusals ? ` (bare ${fmt(percentile(bareRefusals.shed, 50), 1)}/${fmt(percentile(bareRefusals.shed, 99), 1)}/${fmt(bareRefusals.shed[bareRefusals.shed.length - 1] ?? Number.NaN, 1)} ms)` : ''}`,
    );
  }
  const totalSeconds = (performance.now() - benchStart) / 1_000;
  console.log(`\n${table(phases)}\n\n${summary.join('\n')}\n`);
  log(`done in ${fmt(totalSeconds, 0)} s`);

  const section = [
    '## Overload',
    '',
    `Command: \`node tools/bench/run.mjs overload${args.length ? ` ${args.join(' ')}` : ''}\` (\`npm run bench -- overload\`, after \`node tools/scripts/build.mjs\`). Whole run ${fmt(totalSeconds, 0)} s.`,
    `Recorded ${new Date().toISOString()} on ${machine()}, load average ${fmt(loadBefore, 1)} at the start and ${fmt(loadavg()[0], 1)} at the end, Node ${process.version}, PostgreSQL ${pgVersion}, Redis on loopback; the bench (its load generator), both services, PostgreSQL and Redis share the machine (and it is shared with other work).`,
    '',
    `Method (issue #21: "overload at 3× the measured maximum: p99 of accepted requests ≤ 3× unloaded p99; 0 × 504; shed answers in ≤ 10 ms"): a throwaway database (cloned from \`gad_test\`, dropped afterwards) with ${flags.units.toLocaleString('en')} units seeded as in the geo bench${routes.includes('incidents') ? ` and ${flags.incidents.toLocaleString('en')} incidents of the same agency as in the api bench` : ''}; the built geo-service and api-gateway run as processes (\`LOG_LEVEL=warn\`) with the deployed adaptive concurrency limit (ADR 0024) and only the per-IP and per-user rate limits raised${flags.gatewayEnv ? ` (api-gateway also with \`${flags.gatewayEnv}\`)` : ''}. Requests carry a dispatcher token; each route in turn (${routes.map((r) => `${r}: ${ROUTES[r]?.describe ?? r}`).join('; ')}), after ${flags.warmup} s of unrecorded load: autocannon unthrottled with ${flags.connections} connections for ${flags.maxSeconds} s (the measured maximum is its 200 answers per second), then an open-loop generator (\`tools/bench/load.ts\`: requests evenly spaced at the asked rate on at most the given number of keep-alive connections) at ${fmt(flags.unloadedShare * 100, 0)} % of that rate for ${flags.seconds} s with ${flags.connections} connections (unloaded); ${flags.factor}× the maximum for ${flags.seconds} s with ${flags.overloadConnections} connections (overload); the unloaded rate again for ${flags.recoverySeconds} s (recovery)${flags.refusalSeconds > 0 ? `; then the first route's overload rate for ${flags.refusalSeconds} s on a second api-gateway (same settings, limit fixed at 1) whose one slot is held by a POST whose body never comes, so every request is refused, after 1 s unrecorded: the CPU one refusal costs; and the same load on a bare node:http server answering every request with the same 503 problem+json and Retry-After (the cheapest refusal this machine allows)` : ''}. Latencies are per response, from the moment each request was due (a request waiting for a free connection counts its wait; autocannon's own response time in the unthrottled phase), split by status; until 2026-12-07 the paced phases used autocannon's \`overallRate\`, which sends each connection's quota for a second back to back when its one-second interval fires, so every phase arrived as one burst per second and the times measured the drain of a burst; a 503's problem code and its Retry-After header are read from each answer. CPU is /proc time of each process and of the database's PostgreSQL backends during the phase (Redis's is not counted: it is shared); "busy" is that time over the phase's wall time. The adaptive limit is the gateway's \`gad_http_concurrency_limit\` gauge scraped from its /metrics every 250 ms. A shed request is answered in the event-loop tick that reads it, so a 503's latency is mostly time spent waiting for a loop: the api-gateway's (\`tools/bench/${LOOP_DELAY_PRELOAD}\`, preloaded into it, samples its loop every 2 ms; the table gives the median over the phase of each 250 ms p99, the phase's max, and the loop's utilisation, which counts time the process was runnable but not scheduled as busy) and the bench's own, where the generator reads the answers.`,
    '',
    table(phases),
    '',
    summary.join('\n'),
    '',
    overloadAnalysis(root),
  ].join('\n');
  if (flags.write) {
    writeSection(root, '## Overload', section);
    log('wrote the "## Overload" section of docs/benchmarks.md');
  }
}
