/*
 * Geo benchmark: nearest available unit over 100k and 1M units (database-only with the prepared
 * KNN statements geo-service runs, the same SQL under pgbench, HTTP end to end through the built
 * api-gateway + geo-service, and the same HTTP requests answered by a bare Fastify + pg server
 * running the same statements), and position ingestion from gad:geo:positions into PostGIS with
 * 1,000 active geofences next to the bare ingestion statement driven from pg.
 */
import { StreamPublisher } from '@gad/bus';
import { createEnvelope, Streams, type PositionFix } from '@gad/contracts';
import { GENERIC_PLAN_SETTINGS, loadSqlFile, sqlOf } from '@gad/platform';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  startServiceProcess,
  uniqueRedisPrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBareServer, type BareServer } from './bare-server';
import {
  BOX,
  checkpoint,
  NEAREST_AGENCY as AGENCY,
  NEAREST_LIMIT as LIMIT,
  nearestPath,
  randomPoint,
  seedUnits,
} from './nearest';
import { benchServiceEnv, devLoginToken } from './services';
import {
  analysis,
  cpuMsOf,
  cpuSnapshot,
  cpuSpent,
  fmt,
  machine,
  percentile,
  progress as log,
  writeSection,
  parseBenchFlags,
} from './report';
import { generateLoad } from './load';

interface Flags {
  sizes: number[];
  duration: number;
  rate: number;
  connections: number;
  ingest: number;
  /** Geofence counts: ingestion runs once per count, each with its own agency and fences. */
  fences: number[];
  fixesPerEntry: number;
  /**
   * `--no-nearest`: seed the units of `sizes` but skip the nearest runs (db, pgbench, HTTP), so
   * only ingestion is measured, against the same tables as in a full run.
   */
  nearest: boolean;
  write: boolean;
}

interface Latency {
  label: string;
  count: number;
  seconds: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  note?: string;
  /** CPU ms per answered request of the serving processes (the bench's own not counted). */
  serverCpuMs?: number;
}

interface Ingest {
  label: string;
  fixes: number;
  seconds: number;
  throughput: number;
  note: string;
  /** CPU µs per fix: geo-service and its PostgreSQL backends (stream), the backends (raw). */
  cpuUsPerFix: number;
}

const INGEST_AGENCY = 'bench-ingest';
const RAW_AGENCY = 'bench-raw';
const UNBOUNDED_RADIUS_M = 20_100_000;
const EXCLUSION_SCAN_LIMIT = 1_000;
const BARE_LABEL = 'bare Fastify + pg, same statements (no auth, no RPC hop)';

const now = (): number => performance.now();

function summarise(label: string, samples: number[], seconds: number, note?: string): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    label,
    count: samples.length,
    seconds,
    throughput: samples.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    note,
  };
}

/**
 * The HTTP baseline: Fastify + pg with no Nest, auth, validation, RPC hop over Redis or telemetry,
 * answering the same query string with geo-service's two prepared statements, run as
 * `NearestService` runs them, on a pool of the same size and connection settings as geo-service.
 */
const BARE_NEAREST_SERVER = `
const fastify = require(process.env.FASTIFY_PATH)({ logger: false });
const { Pool } = require(process.env.PG_PATH);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10,
  options: process.env.PG_CONNECTION_OPTIONS });
const AVAILABLE = process.env.NEAREST_AVAILABLE_SQL;
const EXCLUDED = process.env.NEAREST_EXCLUDED_SQL;
const UNBOUNDED = ${UNBOUNDED_RADIUS_M};
fastify.get('/v1/units/nearest', async (request) => {
  const lon = Number(request.query.lon);
  const lat = Number(request.query.lat);
  const limit = Number(request.query.limit ?? 5);
  const { rows } = await pool.query({ name: 'geo_nearest_available_v1', text: AVAILABLE,
    values: ['${AGENCY}', lon, lat, limit, [], '-infinity', UNBOUNDED] });
  const bound = rows.length === limit ? rows[rows.length - 1].distance_m : UNBOUNDED;
  const excluded = await pool.query({ name: 'geo_nearest_excluded_v1', text: EXCLUDED,
    values: ['${AGENCY}', lon, lat, ${EXCLUSION_SCAN_LIMIT}, [], '-infinity', bound] });
  return { items: rows, excluded: excluded.rows[0] };
});
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => console.log('ready'));
`;

/** CPU ms per answered request of each process during a run: where an HTTP request's time goes. */
function cpuPerRequest(
  before: Record<string, number>,
  after: Record<string, number>,
  requests: number,
): string {
  return Object.keys(before)
    .map((name) => `${name} ${fmt((after[name] - before[name]) / Math.max(1, requests), 2)}`)
    .join(', ');
}

/** The service's two statements, run back to back as `NearestService` does. */
async function databaseOnly(
  client: Client,
  statements: { available: string; excluded: string },
  seconds: number,
  withExclusions: boolean,
  label: string,
): Promise<Latency> {
  const run = async (): Promise<void> => {
    const [lon, lat] = randomPoint();
    const rows = await client.query<{ distance_m: number }>({
      name: 'geo_nearest_available_v1',
      text: statements.available,
      values: [AGENCY, lon, lat, LIMIT, [], '-infinity', UNBOUNDED_RADIUS_M],
    });
    if (withExclusions) {
      const bound =
        rows.rows.length === LIMIT
          ? rows.rows[rows.rows.length - 1].distance_m
          : UNBOUNDED_RADIUS_M;
      await client.query({
        name: 'geo_nearest_excluded_v1',
        text: statements.excluded,
        values: [AGENCY, lon, lat, EXCLUSION_SCAN_LIMIT, [], '-infinity', bound],
      });
    }
  };
  const warmUntil = now() + 1_000;
  while (now() < warmUntil) await run();
  const samples: number[] = [];
  const start = now();
  const end = start + seconds * 1_000;
  while (now() < end) {
    const t = now();
    await run();
    samples.push(now() - t);
  }
  return summarise(label, samples, (now() - start) / 1_000, 'one connection, sequential');
}

function pgbenchPath(): string {
  for (const candidate of ['/usr/lib/postgresql/15/bin/pgbench', 'pgbench']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('pgbench not found (tried /usr/lib/postgresql/15/bin/pgbench and PATH)');
}

/** `nearest_available` as a pgbench script: literals for the constants, :lon/:lat random. */
function pgbench(databaseUrl: string, sql: string, seconds: number, clients: number): Latency {
  const dir = mkdtempSync(join(tmpdir(), 'gad-geo-bench-'));
  try {
    const script = [
      `\\set lon ${BOX.lon} + random(0, 1000000) / 1000000.0 * ${BOX.size}`,
      `\\set lat ${BOX.lat} + random(0, 1000000) / 1000000.0 * ${BOX.size}`,
      sql
        .replace(/--.*$/gm, '')
        .replace(/\$1::text/g, `'${AGENCY}'::text`)
        .replace(/\$2/g, ':lon')
        .replace(/\$3/g, ':lat')
        .replace(/\$4/g, String(LIMIT))
        .replace(/\$5::text\[\]/g, `'{}'::text[]`)
        .replace(/\$6::timestamptz/g, `'-infinity'::timestamptz`)
        .replace(/\$7::float8/g, `${UNBOUNDED_RADIUS_M}::float8`)
        .replace(/\s+/g, ' ')
        .trim() + ';',
    ].join('\n');
    const file = join(dir, 'nearest.sql');
    writeFileSync(file, script);
    const url = new URL(databaseUrl);
    const output = execFileSync(
      pgbenchPath(),
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(clients),
        '-j',
        String(clients),
        '-T',
        String(seconds),
        '-f',
        file,
        '-l',
        '--log-prefix',
        join(dir, 'tx'),
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        decodeURIComponent(url.username) || 'postgres',
        url.pathname.slice(1),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PGOPTIONS: pgOptions(),
        },
      },
    );
    const samples: number[] = [];
    for (const name of readdirSync(dir).filter((f) => f.startsWith('tx'))) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (line && Number.isFinite(micros)) samples.push(micros / 1_000);
      }
    }
    const tps = /tps = ([\d.]+)/.exec(output)?.[1] ?? '?';
    return summarise(
      `pgbench nearest_available (-M prepared, ${clients} client${clients > 1 ? 's' : ''})`,
      samples,
      seconds,
      `pgbench tps ${tps}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function http(
  pids: Record<string, number>,
  baseUrl: string,
  token: string,
  seconds: number,
  connections: number,
  rate: number | undefined,
  label: string,
): Promise<Latency> {
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  const cpu = (): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)])),
    'bench (generator)': (process.cpuUsage().user + process.cpuUsage().system) / 1_000,
  });
  const cpuBefore = cpu();
  const instance = generateLoad({
    url: baseUrl,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request: Record<string, unknown>) => ({ ...request, path: nearestPath() }),
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) samples.push(ms);
    else errors[status] = (errors[status] ?? 0) + 1;
  });
  const result = await instance;
  const cpuAfter = cpu();
  const problems = Object.entries(errors).map(([status, n]) => `${n}× ${status}`);
  if (result.errors || result.timeouts)
    problems.push(`${result.errors} errors, ${result.timeouts} timeouts`);
  const serverCpuMs =
    Object.keys(pids).reduce((sum, name) => sum + (cpuAfter[name] - cpuBefore[name]), 0) /
    Math.max(1, samples.length);
  return {
    ...summarise(
      label,
      samples,
      seconds,
      `${connections} connections; ${rate ? 'paced' : 'autocannon'} p97.5/p99 ${result.latency.p97_5}/${result.latency.p99} ms${problems.length ? `; ${problems.join(', ')}` : ''}; CPU ms per request: ${cpuPerRequest(cpuBefore, cpuAfter, samples.length)}`,
    ),
    serverCpuMs,
  };
}

/** `fixes` fixes for `units` units, one per unit per device second, in device-time order. */
function* fixStream(fixes: number, units: number, startMs: number): Generator<PositionFix> {
  const origin = Array.from({ length: units }, () => randomPoint());
  for (let i = 0; i < fixes; i += 1) {
    const unit = i % units;
    const step = Math.floor(i / units);
    const [lon, lat] = origin[unit];
    yield {
      unitId: `m${unit}`,
      // About 8 m per step eastwards: far below the teleport limit.
      position: { type: 'Point', coordinates: [lon + step * 0.0001, lat] },
      recordedAt: new Date(startMs + step * 1_000).toISOString(),
      seq: step,
      accuracyM: 5,
      speedMps: 8,
      headingDeg: 90,
    };
  }
}

async function seedFences(client: Client, count: number, agencyId: string): Promise<void> {
  // 0.02° squares scattered over the box: a unit is inside about 0.6 fences on average.
  await client.query(
    `INSERT INTO geo.geofences (id, agency_id, name, kind, geometry_type, area_geom, vertex_count)
     SELECT geo.uuid_v7(), $1, 'fence ' || g, 'zone', 'Polygon',
            ST_Multi(ST_MakeEnvelope(x, y, x + 0.02, y + 0.02, 4326)), 5
     FROM (SELECT g, $3 + random() * $5 AS x, $4 + random() * $5 AS y
           FROM generate_series(1, $2::int) g) s`,
    [agencyId, count, BOX.lon, BOX.lat, BOX.size],
  );
  await client.query('ANALYZE geo.geofences');
  await checkpoint(client);
}

async function countPositions(client: Client, agencyId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM geo.positions WHERE agency_id = $1',
    [agencyId],
  );
  return rows[0].n;
}

async function ingestThroughStream(
  flags: Flags,
  client: Client,
  redisUrl: string,
  prefix: string,
  geo: ServiceProcess,
  fences: number,
  agencyId: string,
  databaseName: string,
): Promise<Ingest> {
  const units = Math.max(1, Math.floor(flags.ingest / 20));
  const redis = new Redis(redisUrl);
  const publisher = new StreamPublisher(redis, { prefix });
  const envelopes = [];
  let batch: PositionFix[] = [];
  for (const fix of fixStream(flags.ingest, units, Date.now() - 60_000)) {
    batch.push(fix);
    if (batch.length === flags.fixesPerEntry) {
      envelopes.push(
        createEnvelope({
          type: 'positions.reported',
          agencyId,
          actor: { kind: 'service', id: 'bench' },
          data: { positions: batch },
        }),
      );
      batch = [];
    }
  }
  const total = envelopes.length * flags.fixesPerEntry;
  // geo-service's counters are cumulative: a later run (another geofence count) reads deltas.
  const metricOf = async (): Promise<(name: string) => number> => {
    const text = await (await fetch(`${geo.url}/metrics`)).text();
    return (name: string): number =>
      text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  };
  const metricBefore = await metricOf();
  // geo-service's PostgreSQL backends (its pool, application_name geo-service) with the process.
  const probe = {
    pid: geo.pid,
    admin: client,
    database: databaseName,
    applicationName: 'geo-service',
  };
  const cpuBefore = await cpuSnapshot(probe);
  const geoCpuStart = cpuMsOf(geo.pid);
  const start = now();
  let published = 0;
  const publishing = (async () => {
    for (let i = 0; i < envelopes.length; i += 100) {
      await publisher.publish(Streams.GeoPositions, envelopes.slice(i, i + 100));
      published += Math.min(100, envelopes.length - i) * flags.fixesPerEntry;
    }
  })();
  let stored = 0;
  let lastChange = now();
  let storedAt = start;
  const deadline = start + 240_000;
  while (stored < total && now() < deadline && now() - lastChange < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const n = await countPositions(client, agencyId);
    if (n !== stored) {
      stored = n;
      storedAt = now();
      lastChange = storedAt;
    }
    process.stdout.write(`\r  published ${published}, stored ${stored} / ${total}   `);
  }
  process.stdout.write('\n');
  await publishing;
  await redis.quit();
  const seconds = (storedAt - start) / 1_000;
  const { rows } = await client
    .query<{ n: number }>(
      `SELECT count(*)::int AS n FROM geo.outbox WHERE envelope->>'agencyId' = $1`,
      [agencyId],
    )
    .catch(() => ({ rows: [{ n: Number.NaN }] }));
  const geoCpuMs = cpuMsOf(geo.pid) - geoCpuStart;
  const pgCpuMs = cpuSpent(cpuBefore, await cpuSnapshot(probe)).database;
  const metricAfter = await metricOf();
  const metric = (name: string): number => metricAfter(name) - metricBefore(name);
  const batches = metric('gad_geo_ingest_batch_size_count');
  const meanBatch = metric('gad_geo_ingest_batch_size_sum') / batches;
  const meanBatchMs =
    (metric('gad_geo_ingest_batch_duration_seconds_sum') * 1_000) /
    metric('gad_geo_ingest_batch_duration_seconds_count');
  const errorLines = geo.logs.filter(
    (line) => line.json?.['level'] === 'error' || line.json?.['level'] === 50,
  ).length;
  return {
    label: `stream → geo-service → PostGIS, ${fences} geofences`,
    fixes: stored,
    seconds,
    throughput: stored / seconds,
    cpuUsPerFix: ((geoCpuMs + pgCpuMs) / Math.max(1, stored)) * 1_000,
    note: `${units} units, ${flags.fixesPerEntry} fixes per stream entry, published as fast as possible; ${stored}/${total} stored; ${Number.isFinite(rows[0].n) ? `${rows[0].n} geofence events in the outbox; ` : ''}${errorLines} geo-service error log lines; ${batches} batches of ${fmt(meanBatch, 0)} fixes on average, ${fmt(meanBatchMs, 1)} ms per batch (gad_geo_ingest_batch_duration_seconds); geo-service CPU ${fmt((geoCpuMs / Math.max(1, stored)) * 1_000, 0)} µs per fix, its PostgreSQL backends ${fmt((pgCpuMs / Math.max(1, stored)) * 1_000, 0)} µs per fix`,
  };
}

/** The same `ingest_batch` statement from pg, 4 connections, 500 fixes per call, no geofences. */
async function ingestRaw(
  flags: Flags,
  databaseUrl: string,
  sql: string,
  admin: Client,
  databaseName: string,
): Promise<Ingest> {
  const units = Math.max(1, Math.floor(flags.ingest / 20));
  const fixes = [...fixStream(flags.ingest, units, Date.now() - 60_000)];
  const batches: PositionFix[][] = [];
  for (let i = 0; i < fixes.length; i += 500) batches.push(fixes.slice(i, i + 500));
  const pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'bench-raw' });
  const probe = { pid: process.pid, admin, database: databaseName, applicationName: 'bench-raw' };
  const cpuBefore = await cpuSnapshot(probe);
  let next = 0;
  const start = now();
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++];
      await pool.query({
        name: 'geo_positions_ingest_v3',
        text: sql,
        values: [
          RAW_AGENCY,
          batch.map((f) => f.unitId),
          batch.map((f) => f.recordedAt),
          batch.map((f) => f.seq),
          batch.map((f) => f.position.coordinates[0]),
          batch.map((f) => f.position.coordinates[1]),
          batch.map((f) => f.accuracyM ?? null),
          batch.map((f) => f.speedMps ?? null),
          batch.map((f) => f.headingDeg ?? null),
          batch.map((f) => f.deviceId ?? null),
        ],
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const seconds = (now() - start) / 1_000;
  const pgCpuMs = cpuSpent(cpuBefore, await cpuSnapshot(probe)).database;
  await pool.end();
  return {
    label: 'raw pg: the same ingest_batch statement, no geofences',
    fixes: fixes.length,
    seconds,
    throughput: fixes.length / seconds,
    cpuUsPerFix: (pgCpuMs / fixes.length) * 1_000,
    note: `${units} units, 500 fixes per statement, 4 connections in parallel (no validation, no teleport read, no geofence evaluation, no stream); PostgreSQL backends ${fmt((pgCpuMs / fixes.length) * 1_000, 0)} µs per fix`,
  };
}

function latencyTable(rows: Latency[]): string {
  const lines = [
    '| units | run | samples | throughput (/s) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | notes |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label.split('|')[0]} | ${r.label.split('|')[1]} | ${r.count} | ${fmt(r.throughput, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

function ingestTable(rows: Ingest[]): string {
  const lines = ['| run | fixes | seconds | positions/s | notes |', '|---|---:|---:|---:|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.fixes} | ${fmt(r.seconds)} | ${fmt(r.throughput, 0)} | ${r.note} |`,
    );
  }
  return lines.join('\n');
}

/**
 * geo-service's connection settings (its `GEO_CONNECTION_SETTINGS` are @gad/platform's
 * `GENERIC_PLAN_SETTINGS`), for the bench's own connections.
 */
function settingsOf(): Array<[string, string]> {
  return Object.entries(GENERIC_PLAN_SETTINGS);
}

/** The same settings, with JIT off, as libpq `options` (pgbench's PGOPTIONS, the bare server's pool). */
function pgOptions(): string {
  return ['-c jit=off', ...settingsOf().map(([k, v]) => `-c ${k}=${v}`)].join(' ');
}

async function explain(client: Client, sql: string): Promise<string> {
  const [lon, lat] = randomPoint();
  await client.query('SET jit = on');
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${sql
      .replace(/\$1::text/g, `'${AGENCY}'::text`)
      .replace(/\$2/g, String(lon))
      .replace(/\$3/g, String(lat))
      .replace(/\$4/g, String(LIMIT))
      .replace(/\$5::text\[\]/g, `'{}'::text[]`)
      .replace(/\$6::timestamptz/g, `'-infinity'::timestamptz`)
      .replace(/\$7::float8/g, `${UNBOUNDED_RADIUS_M}::float8`)}`,
  );
  await client.query('SET jit = off');
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('geo', args, {
    sizes: [100_000, 1_000_000],
    duration: 10,
    rate: 2_000,
    connections: 32,
    ingest: 200_000,
    fences: [1_000],
    fixesPerEntry: 50,
    nearest: true,
    write: true,
  });
  const benchStart = now();
  const loadBefore = loadavg()[0];
  for (const app of ['geo-service', 'api-gateway']) {
    if (!existsSync(join(root, 'dist', 'apps', app, 'src', 'main.js'))) {
      throw new Error(`dist/apps/${app} is missing: run node tools/scripts/build.mjs first`);
    }
  }
  const sql = loadSqlFile(join(root, 'libs/geo-read/src/lib/nearest.repository.sql'));
  const statements = {
    available: sqlOf(sql, 'nearest_available'),
    excluded: sqlOf(sql, 'nearest_excluded'),
  };
  const ingestSql = sqlOf(
    loadSqlFile(join(root, 'apps/geo-service/src/positions/positions.repository.sql')),
    'ingest_batch',
  );
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = uniqueRedisPrefix();
  let database: TestDatabase | undefined;
  const services: ServiceProcess[] = [];
  let bare: BareServer | undefined;
  const nearest: Latency[] = [];
  const ingest: Ingest[] = [];
  const plans: string[] = [];
  let pgVersion = '?';
  let postgisVersion = '?';
  try {
    database = await createTestDatabase();
    log(`throwaway database ${database.name}, redis prefix ${prefix}`);
    const env = benchServiceEnv({ databaseUrl: database.url, redisUrl, prefix });
    const geo = await startServiceProcess({ app: 'geo-service', env, readyTimeoutMs: 60_000 });
    services.push(geo);
    const gateway = await startServiceProcess({ app: 'api-gateway', env, readyTimeoutMs: 60_000 });
    services.push(gateway);
    log(`geo-service ${geo.url}, api-gateway ${gateway.url}`);
    const pids = { 'api-gateway': gateway.pid, 'geo-service': geo.pid };
    bare = await startBareServer(root, BARE_NEAREST_SERVER, {
      DATABASE_URL: database.url,
      PG_CONNECTION_OPTIONS: pgOptions(),
      NEAREST_AVAILABLE_SQL: statements.available,
      NEAREST_EXCLUDED_SQL: statements.excluded,
    });
    const barePids = { 'bare server': bare.pid };
    log(`bare Fastify + pg baseline ${bare.url}`);
    const accessToken = await devLoginToken(gateway.url, AGENCY);

    const client = new Client({ connectionString: database.url });
    await client.connect();
    // As geo-service runs its statements: JIT off and its connection settings (generic plans).
    await client.query('SET jit = off');
    for (const [name, value] of settingsOf()) {
      await client.query(`SET ${name} = ${value}`);
    }
    pgVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
    postgisVersion = (await client.query<{ v: string }>('SELECT postgis_lib_version() AS v'))
      .rows[0].v;

    let seeded = 0;
    for (const size of flags.sizes) {
      const t = now();
      await seedUnits(client, seeded + 1, size);
      seeded = size;
      log(`seeded ${size} units (${fmt((now() - t) / 1_000, 1)} s incl. VACUUM ANALYZE)`);
      if (!flags.nearest) {
        // Seeded all the same: ingestion then meets the tables as in a full run.
        continue;
      }
      const units = `${size.toLocaleString('en')}`;
      log(`database-only nearest_available, ${flags.duration} s`);
      nearest.push(
        await databaseOnly(
          client,
          statements,
          flags.duration,
          false,
          `${units}|db: nearest_available`,
        ),
      );
      log(`database-only nearest_available + nearest_excluded, ${flags.duration} s`);
      nearest.push(
        await databaseOnly(
          client,
          statements,
          flags.duration,
          true,
          `${units}|db: nearest_available + nearest_excluded (as the service runs them)`,
        ),
      );
      log(`pgbench, ${flags.duration} s`);
      const bench = pgbench(database.url, statements.available, flags.duration, 1);
      bench.label = `${units}|${bench.label}`;
      nearest.push(bench);
      // The same three runs against the real path, then against the bare baseline.
      const targets = [
        { name: 'HTTP', pids, url: gateway.url, label: 'HTTP GET /v1/units/nearest' },
        { name: 'bare Fastify + pg', pids: barePids, url: bare.url, label: BARE_LABEL },
      ];
      for (const target of targets) {
        log(`${target.name} warm-up, 2 s (not recorded)`);
        await http(
          target.pids,
          target.url,
          accessToken,
          2,
          flags.connections,
          undefined,
          'warm-up|',
        );
        for (const rate of [flags.rate, undefined]) {
          log(
            `${target.name} ${rate ? `at ${rate} req/s` : 'max throughput'}, ${flags.duration} s`,
          );
          nearest.push(
            await http(
              target.pids,
              target.url,
              accessToken,
              flags.duration,
              flags.connections,
              rate,
              `${units}|${target.label}${rate ? ` @ ${rate}/s` : ', max'}`,
            ),
          );
        }
      }
      // Issue #21: p95 at half of the bare server's maximum, ours against bare's at that rate.
      const bareMax = nearest.at(-1) as Latency;
      const half = Math.max(1, Math.round(bareMax.throughput / 2));
      for (const target of targets) {
        log(`${target.name} at ${half} req/s (half of bare's max), ${flags.duration} s`);
        nearest.push(
          await http(
            target.pids,
            target.url,
            accessToken,
            flags.duration,
            flags.connections,
            half,
            `${units}|${target.label} @ ${half}/s (half of bare's max)`,
          ),
        );
      }
      plans.push(
        `${units} units, nearest_available:\n${await explain(client, statements.available)}`,
      );
      console.log(latencyTable(nearest.slice(-9)));
    }

    for (const [index, fences] of flags.fences.entries()) {
      // Each count gets its own agency: its own units, fences and positions.
      const agencyId = index === 0 ? INGEST_AGENCY : `${INGEST_AGENCY}-${fences}`;
      log(`ingestion: ${fences} geofences, ${flags.ingest} fixes through ${Streams.GeoPositions}`);
      await seedFences(client, fences, agencyId);
      ingest.push(
        await ingestThroughStream(
          flags,
          client,
          redisUrl,
          prefix,
          geo,
          fences,
          agencyId,
          database.name,
        ),
      );
    }
    log(`ingestion baseline: the same ingest_batch statement from pg`);
    ingest.push(await ingestRaw(flags, database.url, ingestSql, client, database.name));
    console.log(ingestTable(ingest));
    await client.end();
  } finally {
    bare?.stop();
    await Promise.all(services.map((service) => service.stop()));
    await database?.drop();
    const admin = new Redis(redisUrl);
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  }

  const pick = (units: number, prefixText: string): Latency | undefined =>
    nearest.find(
      (r) =>
        r.label.startsWith(`${units.toLocaleString('en')}|`) &&
        r.label.split('|')[1].startsWith(prefixText),
    );
  const verdict = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
  const summary: string[] = [];
  for (const size of flags.sizes) {
    const db = pick(size, 'db: nearest_available + ');
    const dbKnn = pick(size, 'db: nearest_available');
    const pgb = pick(size, 'pgbench');
    const halfOurs = nearest.find(
      (r) =>
        r.label.startsWith(`${size.toLocaleString('en')}|HTTP GET /v1/units/nearest @`) &&
        r.label.endsWith("(half of bare's max)"),
    );
    const halfBare = nearest.find(
      (r) =>
        r.label.startsWith(`${size.toLocaleString('en')}|${BARE_LABEL} @`) &&
        r.label.endsWith("(half of bare's max)"),
    );
    const fixed = pick(size, `HTTP GET /v1/units/nearest @ ${flags.rate}/s`);
    const max = pick(size, 'HTTP GET /v1/units/nearest, max');
    const bareFixed = pick(size, `${BARE_LABEL} @ ${flags.rate}/s`);
    const bareMax = pick(size, `${BARE_LABEL}, max`);
    if (!db || !dbKnn || !pgb || !fixed || !max) continue;
    const bareText =
      bareFixed && bareMax
        ? `; bare Fastify + pg running the same statements: p95 at ${flags.rate}/s ${fmt(bareFixed.p95)} ms (${verdict(bareFixed.p95 <= 10)} by the baseline itself), max ${fmt(bareMax.throughput, 0)} req/s (${verdict(bareMax.throughput >= 2_000)} by the baseline itself); gateway/bare max throughput ${fmt((max.throughput / bareMax.throughput) * 100, 0)} %`
        : '';
    summary.push(
      `- ${size.toLocaleString('en')} units: database p95 **${fmt(dbKnn.p95)} ms** for the KNN statement (${verdict(dbKnn.p95 <= 2)}) and **${fmt(db.p95)} ms** with the exclusion count the service adds (${verdict(db.p95 <= 2)}) — budget ≤ 2 ms; pgbench p95 ${fmt(pgb.p95)} ms (node pg / pgbench ${fmt(dbKnn.p95 / pgb.p95)}×); HTTP p95 at ${flags.rate}/s **${fmt(fixed.p95)} ms** (${fmt(fixed.p95 / db.p95, 1)}× the database) — budget ≤ 10 ms: ${verdict(fixed.p95 <= 10)}; HTTP max **${fmt(max.throughput, 0)} req/s** — budget ≥ 2,000: ${verdict(max.throughput >= 2_000)}${bareText}`,
    );
    if (bareMax && halfOurs && halfBare && max.serverCpuMs && bareMax.serverCpuMs) {
      const answered = max.throughput / bareMax.throughput;
      const cpu = max.serverCpuMs / bareMax.serverCpuMs;
      const p95 = halfOurs.p95 / halfBare.p95;
      summary.push(
        `- ${size.toLocaleString('en')} units, issue #21 ratios to the bare server in this run: most answered **${fmt(answered * 100, 0)} %** of bare's (${fmt(max.throughput, 0)} vs ${fmt(bareMax.throughput, 0)} req/s) — budget ≥ 60 %: ${verdict(answered >= 0.6)}; CPU per request at the maximum **${fmt(cpu)}×** (api-gateway + geo-service ${fmt(max.serverCpuMs)} ms vs ${fmt(bareMax.serverCpuMs)} ms) — budget ≤ 2.5×: ${verdict(cpu <= 2.5)}; p95 at ${halfOurs.label.split('@ ')[1]?.split('/s')[0]} req/s (half of bare's max) **${fmt(p95)}×** (${fmt(halfOurs.p95)} vs ${fmt(halfBare.p95)} ms; ${halfOurs.count} and ${halfBare.count} answered) — budget ≤ 1.5×: ${verdict(p95 <= 1.5)}`,
      );
    }
  }
  const raw = ingest.at(-1);
  if (raw && ingest.length === flags.fences.length + 1) {
    for (const [index, fences] of flags.fences.entries()) {
      const stream = ingest[index] as Ingest;
      summary.push(
        `- ingestion: **${fmt(stream.throughput, 0)} positions/s** from the stream with ${fences} geofences — budget ≥ 10,000/s: ${verdict(stream.throughput >= 10_000)}; raw ingest_batch baseline ${fmt(raw.throughput, 0)}/s (service/raw ${fmt((stream.throughput / raw.throughput) * 100, 1)} %); CPU per fix ${fmt(stream.cpuUsPerFix, 0)} µs in geo-service and its PostgreSQL backends against ${fmt(raw.cpuUsPerFix, 0)} µs in the raw statement's backends (raw/service ${fmt((raw.cpuUsPerFix / stream.cpuUsPerFix) * 100, 1)} %, steadier than the throughput ratio on a shared machine)`,
      );
    }
  }
  const totalSeconds = (now() - benchStart) / 1_000;
  console.log(`\n${latencyTable(nearest)}\n\n${ingestTable(ingest)}\n\n${summary.join('\n')}\n`);
  console.log(plans.join('\n\n'));
  log(`done in ${fmt(totalSeconds, 0)} s`);

  const section = [
    '## Geo',
    '',
    `Command: \`node tools/bench/run.mjs geo${args.length ? ` ${args.join(' ')}` : ''}\` (\`npm run bench -- geo\`, after \`node tools/scripts/build.mjs\`). Whole run ${fmt(totalSeconds, 0)} s.`,
    `Recorded ${new Date().toISOString()} on ${machine()}, load average ${fmt(loadBefore, 1)} at the start and ${fmt(loadavg()[0], 1)} at the end, Node ${process.version}, PostgreSQL ${pgVersion}, PostGIS ${postgisVersion}, Redis on loopback; the bench, both services, PostgreSQL and Redis share the machine (and it is shared with other work).`,
    '',
    `Method: a throwaway database (cloned from \`gad_test\`, dropped afterwards); the built geo-service and api-gateway run as processes (\`LOG_LEVEL=warn\`). Units are seeded with one \`INSERT ... SELECT generate_series\` (70 % available, 20 % busy, 10 % without status, 20 % with capability \`als\`, uniform in a ${BOX.size}° box around Madrid, fixes up to 10 min old), then \`VACUUM ANALYZE\` and a \`CHECKPOINT\` (so no phase measures the seeding's disk writes); the 1M run adds 900k units to the same agency. Each query is for a uniform random point, limit ${LIMIT}, no radius, capability or age filter (HTTP sends \`maxAgeS=86400\`, older than any seeded fix, instead of getting geo-service's 300 s default). "db" runs geo-service's prepared statements from \`nearest.repository.sql\` (same names and parameters) on one pg connection with geo-service's connection settings (JIT off, generic plans), one after the other, after a 1 s warm-up; pgbench runs \`nearest_available\` with \`-M prepared\` and the same settings, one client, latencies from its per-transaction log. HTTP runs \`GET /v1/units/nearest\` with a dispatcher token: an open-loop generator (\`tools/bench/load.ts\`) sending ${flags.rate} req/s evenly spaced on at most ${flags.connections} keep-alive connections, then autocannon unthrottled with ${flags.connections} connections ("max"); the same two runs then go to a bare Fastify + pg process (pool of 10 with geo-service's connection settings, running the same two prepared statements as api-gateway runs them on its read-only pool since ADR 0032, no auth, validation or telemetry), which shows what this machine allows any HTTP service doing this query; then each side runs at half of the bare server's maximum (the issue #21 p95 budget); CPU per request at the maximum is the serving processes' (api-gateway and geo-service, or the bare server), the bench's own not counted; p50/p95/p99 are per-response times of 200 answers (at a rate: from the moment each request was due, so waiting for a free connection counts; until 2026-12-07 the rate runs used autocannon's \`overallRate\`, which sends each connection's quota for a second in one burst), the notes add the generator's p97.5/p99 over every answer. Ingestion publishes ${flags.ingest.toLocaleString('en')} fixes (${flags.fixesPerEntry} per \`positions.reported\` entry) to \`${Streams.GeoPositions}\` as fast as possible with ${flags.fences.join(', then ')} zone geofences (0.02° squares) of the agency active (one agency per count), and divides the fixes stored in \`geo.positions\` by the time from the first publish to the last stored row (polled every 250 ms); the baseline calls the same \`ingest_batch\` statement directly. CPU per fix is read from \`/proc\` over each ingestion run: geo-service's process and its PostgreSQL backends (\`application_name\` geo-service) for the stream, the baseline's backends for the raw statement; while the machine is CPU-bound, raw/service CPU per fix is what the throughput ratio tends to, and it moves less with other load on the machine. \`--no-nearest\` seeds the units but skips the nearest runs (ingestion only).`,
    '',
    latencyTable(nearest),
    '',
    ingestTable(ingest),
    '',
    summary.join('\n'),
    '',
    analysis(root, 'geo'),
    '',
    "Plans (EXPLAIN ANALYZE of `nearest_available` with literal parameters, i.e. a custom plan, at the end of each size, with PostgreSQL's default `jit = on`: the JIT block shows what each custom-plan execution cost geo-service before its statements ran with JIT off and generic plans):",
    '',
    '```',
    plans.join('\n\n'),
    '```',
  ].join('\n');
  if (flags.write) {
    writeSection(root, '## Geo', section);
    log('wrote the "## Geo" section of docs/benchmarks.md');
  }
}
