/*
 * `npm run bench -- api`: POST /v1/incidents and GET /v1/incidents on the built api-gateway at a
 * fixed rate (autocannon), next to a bare Fastify + pg server running the same SQL in the same run.
 * Flags: --seconds 10 --rate 500 --connections 20 --seed 10000[,1000000] --no-write
 * (`--seed` lists incident counts: the runs repeat at each, adding incidents up to the next)
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
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startBareServer, type BareServer } from './bare-server';
import { fmt, machine, percentile, progress as log, writeSection, parseBenchFlags } from './report';

const AGENCY = 'bench-agency';

interface Flags {
  seconds: number;
  rate: number;
  connections: number;
  /** Incidents seeded, ascending: the four runs repeat at each count. */
  seed: number[];
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
       SELECT $1, e FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n\`,
      ['bench:none', [JSON.stringify({ type: 'incident.created', data: { incidentId: row.id } })]]);
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

async function run(
  label: string,
  url: string,
  method: 'GET' | 'POST',
  path: string,
  token: string | undefined,
  flags: Flags,
): Promise<Latency> {
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  const started = performance.now();
  const instance = autocannon({
    url,
    connections: flags.connections,
    duration: flags.seconds,
    overallRate: flags.rate,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    requests: [{ method, path, ...(method === 'POST' ? { body: INCIDENT_BODY } : {}) }],
  });
  const ok = method === 'POST' ? 201 : 200;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === ok) samples.push(ms);
    else errors[status] = (errors[status] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1_000;
  const sorted = [...samples].sort((a, b) => a - b);
  const problems = Object.entries(errors).map(([status, n]) => `${n}× ${status}`);
  if (result.errors || result.timeouts) {
    problems.push(`${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    label,
    count: samples.length,
    throughput: samples.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    note: `autocannon p99 ${result.latency.p99} ms (coordinated-omission corrected)${problems.length ? `; ${problems.join(', ')}` : ''}`,
  };
}

function table(rows: Latency[]): string {
  const lines = [
    '| run | answered | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.count} | ${fmt(r.throughput, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.note} |`,
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

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('api', args, {
    seconds: 10,
    rate: 500,
    connections: 20,
    seed: [10_000],
    write: true,
  });
  const benchStart = performance.now();
  const loadBefore = loadavg()[0];
  if (!existsSync(join(root, 'dist', 'apps', 'api-gateway', 'src', 'main.js'))) {
    throw new Error('dist/apps/api-gateway is missing: run node tools/scripts/build.mjs first');
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = uniqueRedisPrefix();
  let database: TestDatabase | undefined;
  let gateway: ServiceProcess | undefined;
  let bare: BareServer | undefined;
  const rows: Latency[] = [];
  let pgVersion = '?';
  try {
    database = await createTestDatabase();
    log(`throwaway database ${database.name}, redis prefix ${prefix}`);
    const jwt = createTestKeyPair();
    gateway = await startServiceProcess({
      app: 'api-gateway',
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        JWT_PRIVATE_KEY: jwt.privateKeyPem,
        AUTH_DEV_LOGIN: 'true',
        // The edge limits would answer most of the load with 429/503.
        RATE_LIMIT_IP_POINTS: '10000000',
        RATE_LIMIT_USER_POINTS: '10000000',
        MAX_IN_FLIGHT_REQUESTS: '10000',
        // A fixed limit: the adaptive one (ADR 0024) would shed when latency moves.
        CONCURRENCY_LIMIT_MIN: '10000',
      },
      readyTimeoutMs: 60_000,
    });
    const login = await fetch(`${gateway.url}/v1/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agencyId: AGENCY, userId: 'bench', roles: ['dispatcher'] }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const client = new Client({ connectionString: database.url });
    await client.connect();
    pgVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
    bare = await startBare(root, database.url);
    let seeded = 0;
    for (const size of flags.seed) {
      await client.query(
        `INSERT INTO dispatch.incidents (id, agency_id, type, priority, location, created_by, created_at)
         SELECT gen_random_uuid(), $1, 'seed', (ARRAY['P1','P2','P3','P4'])[1 + g % 4],
                ST_SetSRID(ST_MakePoint(-3.7 + random() * 0.2, 40.4 + random() * 0.2), 4326)::geography,
                'seed', now() - g * interval '1 second'
           FROM generate_series($3::int + 1, $2::int) AS g`,
        [AGENCY, size, seeded],
      );
      seeded = Math.max(seeded, size);
      await client.query('VACUUM ANALYZE dispatch.incidents');
      log(`seeded ${seeded} incidents; api-gateway ${gateway.url}`);
      const at = `@ ${flags.rate}/s`;
      const n = `${size.toLocaleString('en')} incidents:`;
      rows.push(
        await run(
          `${n} api-gateway POST /v1/incidents ${at}`,
          gateway.url,
          'POST',
          '/v1/incidents',
          accessToken,
          flags,
        ),
      );
      rows.push(
        await run(
          `${n} bare Fastify + pg POST ${at}`,
          bare.url,
          'POST',
          '/v1/incidents',
          undefined,
          flags,
        ),
      );
      rows.push(
        await run(
          `${n} api-gateway GET /v1/incidents ${at}`,
          gateway.url,
          'GET',
          '/v1/incidents',
          accessToken,
          flags,
        ),
      );
      rows.push(
        await run(
          `${n} bare Fastify + pg GET ${at}`,
          bare.url,
          'GET',
          '/v1/incidents',
          undefined,
          flags,
        ),
      );
    }
    await client.end();
  } finally {
    bare?.stop();
    await gateway?.stop();
    await database?.drop();
    await dropPrefix(redisUrl, prefix);
  }

  const verdict = (row: Latency): string =>
    row.p95 <= 20 && row.p99 <= 50 ? 'met' : '**NOT met**';
  const summary: string[] = [];
  for (const [index, size] of flags.seed.entries()) {
    const [postGw, postBare, getGw, getBare] = rows.slice(index * 4, index * 4 + 4);
    if (!postGw || !postBare || !getGw || !getBare) continue;
    const n = `${size.toLocaleString('en')} incidents`;
    summary.push(
      `- ${n}, POST /v1/incidents at ${flags.rate}/s: p95 **${fmt(postGw.p95)} ms**, p99 **${fmt(postGw.p99)} ms** — budget p95 ≤ 20 ms, p99 ≤ 50 ms: ${verdict(postGw)}; bare baseline p95 ${fmt(postBare.p95)} ms (gateway/bare ${fmt(postGw.p95 / postBare.p95, 1)}×)`,
      `- ${n}, GET /v1/incidents at ${flags.rate}/s: p95 **${fmt(getGw.p95)} ms**, p99 **${fmt(getGw.p99)} ms** — budget: ${verdict(getGw)}; bare baseline p95 ${fmt(getBare.p95)} ms (gateway/bare ${fmt(getGw.p95 / getBare.p95, 1)}×)`,
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
    `Method: a throwaway database (cloned from \`gad_test\`, dropped afterwards) with ${flags.seed.map((n) => n.toLocaleString('en')).join(', then ')} seeded incidents of the agency (the runs repeat at each count); the built api-gateway runs as a process (\`LOG_LEVEL=warn\`, edge limits raised and the concurrency limit fixed so no request is shed), with a dispatcher token. autocannon, ${flags.connections} connections at a fixed ${flags.rate} req/s for ${flags.seconds} s per run: \`POST /v1/incidents\` (one transaction: incident, timeline entry, outbox row; then audit, relay to the stream) and \`GET /v1/incidents\` (first page of 50, newest first). The baseline is a bare Fastify + pg process (pool of 10, no auth, validation, audit, rate limit or relay) running the same statements. p50/p95/p99 are per-response times of successful answers.`,
    '',
    table(rows),
    '',
    summary.join('\n'),
  ].join('\n');
  if (flags.write) {
    writeSection(root, '## API', section);
    log('wrote the "## API" section of docs/benchmarks.md');
  }
}
