/*
 * `npm run bench -- api`: POST /v1/incidents and GET /v1/incidents on the built api-gateway at a
 * fixed rate (evenly spaced, open loop: load.ts), next to a bare Fastify + pg server running the same SQL in the same run.
 * Flags: --seconds 10 --rate 500 --connections 20 --seed 10000[,1000000] --audit both|on
 * --rounds 2 --warmup 3 --instances 1 --no-write
 * (`--instances` runs that many api-gateway processes on one database and Redis prefix, the
 * generator sends each request to the one with the fewest in flight, as a balancing proxy would;
 * each keeps up to 21 PostgreSQL connections (ADR 0044), so `--audit both --instances 2`, four
 * gateways, needs more than a default `max_connections` of 100; `--seed` lists incident counts: the runs repeat at each, adding incidents up to the next;
 * `--audit both` also runs the same POST on a second api-gateway without the request's audit
 * entry, `--rounds` times alternating with the first, for the audit budget of issue #19)
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createTestDatabase,
  createTestKeyPair,
  deleteKeysWithPrefix,
  startServiceProcess,
  uniqueRedisPrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startBareServer, type BareServer } from './bare-server';
import { seedIncidents } from './incidents';
import { benchServiceEnv, devLoginToken } from './services';
import {
  cpuSnapshot,
  cpuSpent,
  fmt,
  machine,
  percentile,
  progress as log,
  writeSection,
  parseBenchFlags,
  type CpuProbe,
} from './report';
import { answerLog } from './answer-log';
import { generateLoad } from './load';

const AGENCY = 'bench-agency';
/** `application_name` of the bare server's connections (the gateway's: see `startGateway`). */
const BARE_APPLICATION = 'gad-bench-bare';
/** Preloaded into the second gateway only: its audit interceptor passes requests through. */
const WITHOUT_AUDIT_PRELOAD = 'without-audit.preload.js';
/** Audit budget (issue #19): with its entry a REST write costs at most this times without. */
const AUDIT_BUDGET = 1.15;
/** Issue #21: p95 and p99 of each route at the fixed rate against the bare server's. */
const LATENCY_BUDGET = 1.3;
/** Issue #21: CPU per request (server + its PostgreSQL backends) against the bare server's. */
const CPU_BUDGET = 2;
/** The analysis is too long to append to the section; the section points to it. */
const API_ANALYSIS_POINTER =
  'Where the ratios go (profiles, statement times, what was tried and kept) is written down in `tools/bench/analysis/api.md`, newest first; its overload part is appended to the Overload section below.';

interface Flags {
  seconds: number;
  rate: number;
  connections: number;
  /** Incidents seeded, ascending: the four runs repeat at each count. */
  seed: number[];
  /** `both`: POST also on a gateway without the request's audit entry; `on`: the deployed one only. */
  audit: string;
  /** POST runs per gateway when `--audit both`, alternating which goes first (ABBA...). */
  rounds: number;
  /** Seconds of unrecorded load on each server before the first recorded run. */
  warmup: number;
  /** api-gateway instances behind the generator's connections (`--instances`). */
  instances: number;
  write: boolean;
}

interface Latency {
  label: string;
  count: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** CPU per answered request (µs): the server process, and its PostgreSQL backends. */
  cpuServerUs: number;
  cpuDatabaseUs: number;
  note: string;
}

const INCIDENT_BODY = JSON.stringify({
  type: 'structure_fire',
  priority: 'P2',
  location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
  address: 'Puerta del Sol 1, Madrid',
  description: 'bench',
});

/**
 * The baseline: Fastify + pg with no Nest, auth, validation, audit, rate limit or relay, running
 * the statements the api-gateway runs for these routes (incidents.repository.ts,
 * timeline.repository.ts, OutboxWriter): one transaction of three INSERTs, and the list SELECT.
 */
const BARE_SERVER = `
const fastify = require(process.env.FASTIFY_PATH)({ logger: false });
const { Pool } = require(process.env.PG_PATH);
const { randomUUID } = require('node:crypto');
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const COLUMNS = \`id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us\`;
fastify.post('/v1/incidents', async (request, reply) => {
  const body = request.body;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      \`INSERT INTO dispatch.incidents (id, agency_id, type, priority, location, address, description, created_by)
       VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography, $7, $8, $9)
       RETURNING \${COLUMNS}\`,
      [randomUUID(), '${AGENCY}', body.type, body.priority, body.location.coordinates[0],
       body.location.coordinates[1], body.address, body.description, 'bench']);
    const row = rows[0];
    await client.query(
      \`INSERT INTO dispatch.incident_timeline (agency_id, incident_id, kind, actor_kind, actor_id, message, reason, detail)
       VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8::jsonb)\`,
      ['${AGENCY}', row.id, 'incident.created', 'user', 'bench', 'bench created an incident', null, '{}']);
    await client.query(
      \`INSERT INTO dispatch.outbox (stream, envelope)
       SELECT $1, e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n\`,
      ['bench:none', '[' + JSON.stringify({ type: 'incident.created', data: { incidentId: row.id } }) + ']']);
    await client.query('COMMIT');
    reply.code(201);
    return row;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
});
fastify.get('/v1/incidents', async () => {
  const { rows } = await pool.query(
    \`SELECT \${COLUMNS} FROM dispatch.incidents
      WHERE agency_id = $1
        AND ($2::text[] IS NULL OR status = ANY($2::text[]))
        AND ($3::text[] IS NULL OR priority = ANY($3::text[]))
        AND ($4::text IS NULL OR type = $4)
        AND ($5::timestamptz IS NULL OR created_at >= $5)
        AND ($6::timestamptz IS NULL OR created_at < $6)
        AND ($7::float8 IS NULL OR ST_Intersects(location,
              ST_MakeEnvelope($7::float8, $8::float8, $9::float8, $10::float8, 4326)::geography))
        AND ($11::bigint IS NULL OR (created_at, id) <
              (timestamptz 'epoch' + $11::bigint * interval '1 microsecond', $12::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $13\`,
    ['${AGENCY}', null, null, null, null, null, null, null, null, null, null, null, 51]);
  return { items: rows.slice(0, 50), nextCursor: rows.length > 50 ? 'x' : undefined };
});
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => console.log('ready'));
`;

function startBare(root: string, databaseUrl: string): Promise<BareServer> {
  return startBareServer(root, BARE_SERVER, { DATABASE_URL: databaseUrl });
}

/** One run of the load generator against a server, with the CPU it cost. */
interface Load {
  samples: number[];
  errors: Record<string, number>;
  failures: number;
  timeouts: number;
  seconds: number;
  generatorP99: number;
  slowest: { at: number; p50: number };
  cpuServerMs: number;
  cpuDatabaseMs: number;
}

async function load(
  url: string | readonly string[],
  method: 'GET' | 'POST',
  path: string,
  token: string | undefined,
  flags: Flags,
  seconds: number,
  probe: CpuProbe,
): Promise<Load> {
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  const cpuBefore = await cpuSnapshot(probe);
  const started = performance.now();
  const urls = [url].flat();
  const log = answerLog(`${method} ${path} ${urls.join(' ')}`);
  const instance = generateLoad({
    url: urls[0],
    urls,
    connections: flags.connections,
    duration: seconds,
    overallRate: flags.rate,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    requests: [{ method, path, ...(method === 'POST' ? { body: INCIDENT_BODY } : {}) }],
  });
  const ok = method === 'POST' ? 201 : 200;
  const due: number[] = [];
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    const dueMs = performance.now() - started - ms;
    log?.record(dueMs, ms, status);
    if (status === ok) {
      samples.push(ms);
      due.push(dueMs);
    } else errors[status] = (errors[status] ?? 0) + 1;
  });
  const result = await instance;
  log?.write();
  const elapsed = (performance.now() - started) / 1_000;
  const cpu = cpuSpent(cpuBefore, await cpuSnapshot(probe));
  return {
    samples,
    errors,
    failures: result.errors,
    timeouts: result.timeouts,
    seconds: elapsed,
    generatorP99: result.latency.p99,
    slowest: slowestWindow(due, samples),
    cpuServerMs: cpu.process,
    cpuDatabaseMs: cpu.database,
  };
}

/** Width of the windows in which {@link slowestWindow} looks for a stall. */
const WINDOW_MS = 250;

/**
 * The 250 ms window (by due time) with the highest median latency: a p95 made by one stall (a cold
 * pool, a pause) shows as a window far above the run's p50, a queue spread over the run does not.
 */
function slowestWindow(due: readonly number[], ms: readonly number[]): { at: number; p50: number } {
  const windows = new Map<number, number[]>();
  due.forEach((at, i) => {
    const key = Math.floor(at / WINDOW_MS);
    const list = windows.get(key) ?? [];
    list.push(ms[i]);
    windows.set(key, list);
  });
  let slowest = { at: Number.NaN, p50: Number.NaN };
  for (const [key, list] of windows) {
    const p50 = percentile(
      [...list].sort((a, b) => a - b),
      50,
    );
    if (!(p50 <= slowest.p50)) slowest = { at: (key * WINDOW_MS) / 1_000, p50 };
  }
  return slowest;
}

/** One table row from one or more runs of the same requests (their samples and CPU pooled). */
function summarise(label: string, loads: readonly Load[]): Latency {
  const sorted = loads.flatMap((l) => l.samples).sort((a, b) => a - b);
  const seconds = loads.reduce((sum, l) => sum + l.seconds, 0);
  const errors: Record<string, number> = {};
  for (const l of loads) {
    for (const [status, n] of Object.entries(l.errors)) errors[status] = (errors[status] ?? 0) + n;
  }
  const problems = Object.entries(errors).map(([status, n]) => `${n}× ${status}`);
  const failures = loads.reduce((sum, l) => sum + l.failures, 0);
  const timeouts = loads.reduce((sum, l) => sum + l.timeouts, 0);
  if (failures || timeouts) problems.push(`${failures} errors, ${timeouts} timeouts`);
  const perRequestUs = (ms: number): number => (ms * 1_000) / Math.max(1, sorted.length);
  return {
    label,
    count: sorted.length,
    throughput: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    cpuServerUs: perRequestUs(loads.reduce((sum, l) => sum + l.cpuServerMs, 0)),
    cpuDatabaseUs: perRequestUs(loads.reduce((sum, l) => sum + l.cpuDatabaseMs, 0)),
    note: `generator p99 ${loads.map((l) => l.generatorP99).join(' / ')} ms (every response, from its due time); slowest ${WINDOW_MS} ms window p50 ${loads.map((l) => `${fmt(l.slowest.p50)} ms at ${fmt(l.slowest.at, 2)} s`).join(' / ')}${loads.length > 1 ? `; ${loads.length} runs pooled` : ''}${problems.length ? `; ${problems.join(', ')}` : ''}`,
  };
}

function table(rows: Latency[]): string {
  const lines = [
    '| run | answered | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | CPU/req server (µs) | CPU/req PostgreSQL (µs) | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.count} | ${fmt(r.throughput, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.cpuServerUs, 0)} | ${fmt(r.cpuDatabaseUs, 0)} | ${r.note} |`,
    );
  }
  return lines.join('\n');
}

async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** An api-gateway of the bench in its own throwaway database and Redis prefix. */
interface Gateway {
  /** The first instance (the dev login, the log lines). */
  process: ServiceProcess;
  /** Every instance, sharing the database and Redis prefix (`--instances`). */
  instances: ServiceProcess[];
  urls: string[];
  /** The geo-service beside it, as deployed (it creates the geo tables the zone lookup reads). */
  geo: ServiceProcess;
  database: TestDatabase;
  prefix: string;
  token: string;
  probe: CpuProbe;
}

async function startGateway(
  database: TestDatabase,
  prefix: string,
  redisUrl: string,
  admin: Client,
  extraEnv: Record<string, string>,
  instances: number,
): Promise<Gateway> {
  const env = benchServiceEnv({
    databaseUrl: database.url,
    redisUrl,
    prefix,
    privateKeyPem: createTestKeyPair().privateKeyPem,
  });
  // As deployed: geo-service owns the geo schema; POST /v1/incidents reads the zone at the
  // incident's location from it on the gateway's read-only geo pool (ADR 0036).
  const geo = await startServiceProcess({ app: 'geo-service', env, readyTimeoutMs: 60_000 });
  // One at a time: each runs the migrations before it reports ready (they take a lock).
  const started: ServiceProcess[] = [];
  for (let i = 0; i < instances; i += 1) {
    started.push(
      await startServiceProcess({
        app: 'api-gateway',
        env: {
          ...env,
          // The edge's in-flight limit would answer most of the load with 503, and the adaptive
          // concurrency limit (ADR 0024) would shed when latency moves: both fixed out of the way.
          MAX_IN_FLIGHT_REQUESTS: '10000',
          CONCURRENCY_LIMIT_MIN: '10000',
          ...extraEnv,
        },
        readyTimeoutMs: 60_000,
      }),
    );
  }
  const gateway = started[0];
  const accessToken = await devLoginToken(gateway.url, AGENCY);
  return {
    process: gateway,
    instances: started,
    urls: started.map((instance) => instance.url),
    geo,
    database,
    prefix,
    token: accessToken,
    // Both of the gateway's pools: its own and the geo read pool (docs/adr/0032).
    probe: {
      pid: started.map((instance) => instance.pid),
      admin,
      database: database.name,
      applicationName: ['api-gateway', 'api-gateway-geo-read'],
    },
  };
}

/** `incident.create` audit entries in a gateway's outbox (sent or not). */
async function createEntries(gateway: Gateway): Promise<number> {
  const client = new Client({ connectionString: gateway.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dispatch.outbox
        WHERE stream = 'queue:audit' AND envelope->>'action' = 'incident.create'`,
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

const ratio = (ours: number, baseline: number): number => ours / baseline;

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('api', args, {
    seconds: 10,
    rate: 500,
    connections: 20,
    seed: [10_000],
    audit: 'both',
    rounds: 4,
    warmup: 3,
    instances: 1,
    write: true,
  });
  if (flags.audit !== 'both' && flags.audit !== 'on') {
    throw new Error(`--audit takes both or on, not ${flags.audit}`);
  }
  const compareAudit = flags.audit === 'both';
  const rounds = Math.max(1, Math.floor(flags.rounds));
  const benchStart = performance.now();
  const loadBefore = loadavg()[0];
  if (!existsSync(join(root, 'dist', 'apps', 'api-gateway', 'src', 'main.js'))) {
    throw new Error('dist/apps/api-gateway is missing: run node tools/scripts/build.mjs first');
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const databases: TestDatabase[] = [];
  const prefixes: string[] = [];
  const gateways: Gateway[] = [];
  let admin: Client | undefined;
  let bare: BareServer | undefined;
  const rows: Latency[] = [];
  const auditPairs: { size: number; withAudit: Latency; without: Latency }[] = [];
  let pgVersion = '?';
  let entries: { withAudit: number; without: number } | undefined;
  try {
    const newDatabase = async (): Promise<TestDatabase> => {
      const database = await createTestDatabase();
      databases.push(database);
      return database;
    };
    const newPrefix = (): string => {
      const prefix = uniqueRedisPrefix();
      prefixes.push(prefix);
      return prefix;
    };
    const mainDatabase = await newDatabase();
    admin = new Client({ connectionString: mainDatabase.url });
    await admin.connect();
    pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
    const withAudit = await startGateway(
      mainDatabase,
      newPrefix(),
      redisUrl,
      admin,
      {},
      flags.instances,
    );
    gateways.push(withAudit);
    log(`throwaway database ${mainDatabase.name}, redis prefix ${withAudit.prefix}`);
    let without: Gateway | undefined;
    if (compareAudit) {
      // The same build with its audit interceptor passing requests through (bench-only preload),
      // in a database and Redis prefix of its own so neither relay moves the other's rows.
      const preload = join(root, 'tools', 'bench', WITHOUT_AUDIT_PRELOAD);
      without = await startGateway(
        await newDatabase(),
        newPrefix(),
        redisUrl,
        admin,
        {
          NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${preload}`.trim(),
        },
        flags.instances,
      );
      gateways.push(without);
      log(`without-audit api-gateway in ${without.database.name}, redis prefix ${without.prefix}`);
    }
    const bareUrl = new URL(mainDatabase.url);
    bareUrl.searchParams.set('application_name', BARE_APPLICATION);
    bare = await startBare(root, bareUrl.toString());
    const bareProbe: CpuProbe = {
      pid: bare.pid,
      admin,
      database: mainDatabase.name,
      applicationName: BARE_APPLICATION,
    };
    let seeded = 0;
    for (const size of flags.seed) {
      for (const gateway of gateways) {
        await seedIncidents(gateway.database.url, AGENCY, seeded, size);
      }
      seeded = Math.max(seeded, size);
      log(`seeded ${seeded} incidents; api-gateway ${withAudit.process.url}`);
      if (size === flags.seed[0] && flags.warmup > 0) {
        log(`warm-up: ${flags.warmup} s on each server (not recorded)`);
        for (const gateway of gateways) {
          for (const method of ['POST', 'GET'] as const) {
            await load(
              gateway.urls,
              method,
              '/v1/incidents',
              gateway.token,
              flags,
              flags.warmup,
              gateway.probe,
            );
          }
        }
        for (const method of ['POST', 'GET'] as const) {
          await load(bare.url, method, '/v1/incidents', undefined, flags, flags.warmup, bareProbe);
        }
      }
      const at = `@ ${flags.rate}/s`;
      const n = `${size.toLocaleString('en')} incidents:`;
      const post = (gateway: Gateway): Promise<Load> =>
        load(
          gateway.urls,
          'POST',
          '/v1/incidents',
          gateway.token,
          flags,
          flags.seconds,
          gateway.probe,
        );
      const withLoads: Load[] = [];
      const withoutLoads: Load[] = [];
      for (let round = 0; round < (without ? rounds : 1); round += 1) {
        // Alternating order (with, without, without, with, ...): drift of the shared machine
        // during the run weighs on both sides alike.
        if (without && round % 2 === 1) withoutLoads.push(await post(without));
        withLoads.push(await post(withAudit));
        if (without && round % 2 === 0) withoutLoads.push(await post(without));
      }
      const postWith = summarise(`${n} api-gateway POST /v1/incidents ${at}`, withLoads);
      rows.push(postWith);
      rows.push(
        summarise(`${n} bare Fastify + pg POST ${at}`, [
          await load(bare.url, 'POST', '/v1/incidents', undefined, flags, flags.seconds, bareProbe),
        ]),
      );
      rows.push(
        summarise(`${n} api-gateway GET /v1/incidents ${at}`, [
          await load(
            withAudit.urls,
            'GET',
            '/v1/incidents',
            withAudit.token,
            flags,
            flags.seconds,
            withAudit.probe,
          ),
        ]),
      );
      rows.push(
        summarise(`${n} bare Fastify + pg GET ${at}`, [
          await load(bare.url, 'GET', '/v1/incidents', undefined, flags, flags.seconds, bareProbe),
        ]),
      );
      if (without) {
        const postWithout = summarise(
          `${n} api-gateway POST /v1/incidents without its audit entry ${at}`,
          withoutLoads,
        );
        rows.push(postWithout);
        auditPairs.push({ size, withAudit: postWith, without: postWithout });
      }
    }
    if (without) {
      entries = {
        withAudit: await createEntries(withAudit),
        without: await createEntries(without),
      };
      if (entries.without !== 0 || entries.withAudit === 0) {
        throw new Error(
          `the audit switch did not hold: ${entries.withAudit} incident.create entries with audit, ${entries.without} without`,
        );
      }
    }
  } finally {
    bare?.stop();
    for (const gateway of gateways) {
      for (const instance of gateway.instances) await instance.stop();
      await gateway.geo.stop();
    }
    await admin?.end().catch(() => undefined);
    for (const database of databases) await database.drop();
    for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
  }

  // Issue #21: at the fixed rate, p95 and p99 within 1.3× the bare server's, CPU per request
  // (the server and its PostgreSQL backends) within 2× the bare server's.
  const cpuOf = (row: Latency): number => row.cpuServerUs + row.cpuDatabaseUs;
  const against = (route: string, ours: Latency, bare: Latency): string => {
    const figures: [string, number, number][] = [
      ['p95', ratio(ours.p95, bare.p95), LATENCY_BUDGET],
      ['p99', ratio(ours.p99, bare.p99), LATENCY_BUDGET],
      ['CPU/req (server + its PostgreSQL backends)', ratio(cpuOf(ours), cpuOf(bare)), CPU_BUDGET],
    ];
    const over = figures.filter(([, r, budget]) => !(r <= budget)).map(([name]) => name);
    return `${route} at ${flags.rate}/s: api-gateway p95 **${fmt(ours.p95)} ms**, p99 **${fmt(ours.p99)} ms**, ${fmt(ours.throughput, 0)} answered/s, CPU ${fmt(ours.cpuServerUs, 0)} + ${fmt(ours.cpuDatabaseUs, 0)} µs; bare p95 ${fmt(bare.p95)} ms, p99 ${fmt(bare.p99)} ms, ${fmt(bare.throughput, 0)} answered/s, CPU ${fmt(bare.cpuServerUs, 0)} + ${fmt(bare.cpuDatabaseUs, 0)} µs; ratios ${figures.map(([name, r]) => `${name} **${fmt(r)}×**`).join(', ')} — budget p95/p99 ≤ ${LATENCY_BUDGET}×, CPU ≤ ${CPU_BUDGET}×: ${over.length === 0 ? 'met' : `**NOT met** (${over.join(', ')})`}`;
  };
  const perSize = rows.length / flags.seed.length;
  const summary: string[] = [];
  for (const [index, size] of flags.seed.entries()) {
    const [postGw, postBare, getGw, getBare] = rows.slice(index * perSize, index * perSize + 4);
    if (!postGw || !postBare || !getGw || !getBare) continue;
    const n = `${size.toLocaleString('en')} incidents`;
    summary.push(
      `- ${n}, ${against('POST /v1/incidents', postGw, postBare)}`,
      `- ${n}, ${against('GET /v1/incidents', getGw, getBare)}`,
    );
  }
  for (const { size, withAudit, without } of auditPairs) {
    const cpu = (row: Latency): number => row.cpuServerUs + row.cpuDatabaseUs;
    const ratios: [string, number][] = [
      ['p50', ratio(withAudit.p50, without.p50)],
      ['p95', ratio(withAudit.p95, without.p95)],
      ['p99', ratio(withAudit.p99, without.p99)],
      ['CPU/req (gateway + its PostgreSQL backends)', ratio(cpu(withAudit), cpu(without))],
    ];
    const over = ratios.filter(([, r]) => !(r <= AUDIT_BUDGET)).map(([name]) => name);
    summary.push(
      `- ${size.toLocaleString('en')} incidents, POST /v1/incidents with its audit entry in the transaction vs without (same build, same run, ${withAudit.count} and ${without.count} answers): p50 ${fmt(withAudit.p50)} vs ${fmt(without.p50)} ms, p95 ${fmt(withAudit.p95)} vs ${fmt(without.p95)} ms, p99 ${fmt(withAudit.p99)} vs ${fmt(without.p99)} ms, CPU per request ${fmt(withAudit.cpuServerUs, 0)} + ${fmt(withAudit.cpuDatabaseUs, 0)} vs ${fmt(without.cpuServerUs, 0)} + ${fmt(without.cpuDatabaseUs, 0)} µs (gateway + PostgreSQL); ratios ${ratios.map(([name, r]) => `${name} **${fmt(r)}×**`).join(', ')} — budget ≤ ${AUDIT_BUDGET}×: ${over.length === 0 ? 'met' : `**NOT met** (${over.join(', ')})`}`,
    );
  }
  if (entries) {
    summary.push(
      `- check: ${entries.withAudit} \`incident.create\` entries in the outbox of the gateway with audit (warm-up included), ${entries.without} in the one without`,
    );
  }
  const totalSeconds = (performance.now() - benchStart) / 1_000;
  console.log(`\n${table(rows)}\n\n${summary.join('\n')}\n`);
  const section = [
    '## API',
    '',
    `Command: \`node tools/bench/run.mjs api${args.length ? ` ${args.join(' ')}` : ''}\` (\`npm run bench -- api\`, after \`node tools/scripts/build.mjs\`). Whole run ${fmt(totalSeconds, 0)} s.`,
    `Recorded ${new Date().toISOString()} on ${machine()}, load average ${fmt(loadBefore, 1)} at the start and ${fmt(loadavg()[0], 1)} at the end, Node ${process.version}, PostgreSQL ${pgVersion}, Redis on loopback; the bench, the servers, PostgreSQL and Redis share the machine (and it is shared with other work).`,
    '',
    `Method: a throwaway database (cloned from \`gad_test\`, dropped afterwards) with ${flags.seed.map((n) => n.toLocaleString('en')).join(', then ')} seeded incidents of the agency (the runs repeat at each count); the built api-gateway runs as ${flags.instances === 1 ? 'a process' : `${flags.instances} processes (replicas on one database and Redis prefix; each request goes to the one with the fewest requests in flight, as a balancing proxy sends them; CPU is theirs summed)`} beside a built geo-service, as deployed (each create reads its zone on the gateway's read-only geo pool, ADR 0036, whose PostgreSQL backends count as the gateway's) (\`LOG_LEVEL=warn\`, edge limits raised and the concurrency limit fixed so no request is shed), with a dispatcher token. An open-loop generator (\`tools/bench/load.ts\`) sending ${flags.rate} req/s evenly spaced (one every ${fmt(1_000 / flags.rate, 1)} ms) on at most ${flags.connections} keep-alive connections for ${flags.seconds} s per run, after ${flags.warmup} s of unrecorded load per server and route: \`POST /v1/incidents\` (one transaction: incident, timeline entry, the request's audit entry and the event as outbox rows in one INSERT; the relay then moves the event to its stream and the entry to the BullMQ queue \`audit\`) and \`GET /v1/incidents\` (first page of 50, newest first). The baseline is a bare Fastify + pg process (pool of 10, no auth, validation, audit, rate limit or relay) running the same statements. p50/p95/p99 are per-response times of successful answers, counted from the moment each request was due, so a request that waited for a free connection behind slow answers counts its wait (no coordinated omission); a server that cannot keep the rate builds a queue that these times show. The notes give each run's slowest 250 ms window (by due time) and its median: a p95 made by one stall shows as one window far above the run's p50. (Until 2026-12-07 the runs used autocannon's \`overallRate\`, which sends each connection's quota for a second back to back when its one-second interval fires: 500/s arrived as bursts at each second, and the latencies measured how long a server took to drain one second's burst.) CPU per request is the CPU time (/proc) of the server process and of its PostgreSQL backends (\`pg_stat_activity\` by database and \`application_name\`) during the run, divided by the answers; Redis's CPU and geo-service's are not counted (the Redis server is shared with other work).${compareAudit ? ` Audit budget (issue #19): a second api-gateway of the same build, in its own throwaway database and Redis prefix, runs with \`tools/bench/${WITHOUT_AUDIT_PRELOAD}\` preloaded (\`NODE_OPTIONS=--require\`, that process only), which makes the audit interceptor pass requests straight to their handler: the same POST without the request's audit entry (no entry built, validated or serialised, no outbox row, nothing for the relay to add to BullMQ). Nothing in the apps can switch auditing off. The two POST runs alternate ${rounds} times (with/without, then without/with, ...), each side's samples and CPU pooled; the bench fails unless the gateway with audit has \`incident.create\` entries in its outbox and the one without has none.` : ''}`,
    '',
    table(rows),
    '',
    summary.join('\n'),
    '',
    API_ANALYSIS_POINTER,
  ].join('\n');
  if (flags.write) {
    writeSection(root, '## API', section);
    log('wrote the "## API" section of docs/benchmarks.md');
  }
}
