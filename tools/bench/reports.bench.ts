/*
 * `npm run bench -- reports`: the response-time figures route (GET /v1/reports/response-times on
 * the built api-gateway) over a year of incidents, next to the same aggregate SQL run bare on the
 * same database (pg, no HTTP, no service), for several groupings. Prints the figures; it does not
 * write docs/benchmarks.md (the lead reruns it on a quiet machine).
 * Flags: --incidents 1000000 --runs 5
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSqlFile, sqlOf } from '@gad/platform';
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
import { fmt, machine, percentile, progress as log, parseBenchFlags } from './report';
import { benchServiceEnv } from './services';

type Flags = { incidents: number; runs: number };

const AGENCY = 'bench-reports';
const YEAR_START = '2025-01-01T00:00:00Z';
const YEAR_END = '2026-01-01T00:00:00Z';
const TARGETS = [480, 900, 1800, 3600];
const TYPES = ['structure_fire', 'traffic_accident', 'medical', 'assault', 'flood', 'alarm'];

/** Groupings measured: the route's `groupBy` and the same switches for the bare statement. */
const VARIANTS: { label: string; groupBy: string[]; period?: string }[] = [
  { label: 'whole year, one group', groupBy: [] },
  { label: 'by priority', groupBy: ['priority'] },
  { label: 'by priority and type', groupBy: ['priority', 'type'] },
  { label: 'by zone', groupBy: ['zone'] },
  { label: 'by month', groupBy: ['period'], period: 'month' },
];

/** One year of incidents of a large city: milestones spread like a busy centre's. */
async function seed(client: Client, incidents: number): Promise<void> {
  await client.query(
    `INSERT INTO dispatch.agencies (id, name) VALUES ($1, 'Bench') ON CONFLICT DO NOTHING`,
    [AGENCY],
  );
  const batch = 200_000;
  for (let done = 0; done < incidents; done += batch) {
    const upto = Math.min(incidents, done + batch);
    await client.query(
      `WITH g AS (
         SELECT gen_random_uuid() AS id, n,
                $4::timestamptz + random() * ($5::timestamptz - $4::timestamptz) AS created_at,
                (ARRAY['P1','P2','P3','P4'])[1 + n % 4] AS priority,
                ($6::text[])[1 + n % 6] AS type,
                ST_SetSRID(ST_MakePoint(-3.85 + random() * 0.3, 40.3 + random() * 0.25), 4326) AS geom
           FROM generate_series($2::int + 1, $3::int) AS n),
       i AS (
         INSERT INTO dispatch.incidents (id, agency_id, type, priority, status, location, created_by,
                                         created_at, updated_at)
         SELECT id, $1, type, priority, 'closed', geom::geography, 'bench', created_at, created_at FROM g
         RETURNING id)
       INSERT INTO dispatch.incident_response_times
         (incident_id, agency_id, priority, type, zone, created_at, call_received_at,
          first_dispatch_at, first_en_route_at, first_on_scene_at, cleared_at)
       SELECT id, $1, priority, type, ST_GeoHash(geom, 5), created_at,
              CASE WHEN n % 5 <> 0 THEN created_at - random() * interval '90 seconds' END,
              created_at + (20 + random() * 100) * interval '1 second',
              created_at + (60 + random() * 200) * interval '1 second',
              CASE WHEN n % 50 <> 0 THEN created_at + (300 + random() * 900) * interval '1 second' END,
              created_at + (1800 + random() * 5400) * interval '1 second'
         FROM g`,
      [AGENCY, done, upto, YEAR_START, YEAR_END, TYPES],
    );
    log(`seeded ${upto.toLocaleString('en')} incidents`);
  }
  await client.query('VACUUM ANALYZE dispatch.incidents');
  await client.query('VACUUM ANALYZE dispatch.incident_response_times');
}

async function timed(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  await work(); // warm-up (plans, caches)
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('reports', args, { incidents: 1_000_000, runs: 5 });
  if (!existsSync(join(root, 'dist', 'apps', 'api-gateway', 'src', 'main.js'))) {
    throw new Error('dist/apps/api-gateway is missing: run node tools/scripts/build.mjs first');
  }
  const loadBefore = loadavg()[0];
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = uniqueRedisPrefix();
  const figuresSql = sqlOf(
    loadSqlFile(join(root, 'apps/api-gateway/src/reports/response-times.repository.sql')),
    'figures',
  );
  let database: TestDatabase | undefined;
  let gateway: ServiceProcess | undefined;
  try {
    database = await createTestDatabase();
    log(`throwaway database ${database.name}`);
    gateway = await startServiceProcess({
      app: 'api-gateway',
      env: {
        ...benchServiceEnv({ databaseUrl: database.url, redisUrl, prefix }),
        // Default statement timeouts: the figures run under REPORTS_STATEMENT_TIMEOUT_MS (60 s),
        // everything else under DATABASE_STATEMENT_TIMEOUT_MS (5 s), as deployed.
      },
      readyTimeoutMs: 60_000,
    });
    const bare = new Client({ connectionString: database.url });
    await bare.connect();
    await seed(bare, flags.incidents);
    const size = (
      await bare.query<{ table: string; index: string }>(
        `SELECT pg_size_pretty(pg_table_size('dispatch.incident_response_times')) AS table,
                pg_size_pretty(pg_relation_size('dispatch.incident_response_times_range_idx')) AS index`,
      )
    ).rows[0];
    const login = await fetch(`${gateway.url}/v1/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agencyId: AGENCY, userId: 'bench', roles: ['supervisor'] }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };

    const lines = [
      `reports bench: ${flags.incidents.toLocaleString('en')} incidents over ${YEAR_START.slice(0, 4)}, ` +
        `summary table ${size?.table}, covering index ${size?.index}; ${flags.runs} runs each after a warm-up`,
      machine(),
      '',
      '| grouping | groups | route p50 (ms) | route max (ms) | bare SQL p50 (ms) | bare SQL max (ms) | route / bare |',
      '|---|---:|---:|---:|---:|---:|---:|',
    ];
    for (const variant of VARIANTS) {
      const query = new URLSearchParams({ from: YEAR_START, to: YEAR_END });
      if (variant.groupBy.length > 0) query.set('groupBy', variant.groupBy.join(','));
      if (variant.period) query.set('period', variant.period);
      let groups = 0;
      const route = await timed(flags.runs, async () => {
        const reply = await fetch(`${gateway?.url}/v1/reports/response-times?${query}`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        if (reply.status !== 200)
          throw new Error(`route answered ${reply.status}: ${await reply.text()}`);
        groups = ((await reply.json()) as { groups: unknown[] }).groups.length;
      });
      const values = [
        AGENCY,
        YEAR_START,
        YEAR_END,
        null,
        null,
        null,
        variant.groupBy.includes('priority'),
        variant.groupBy.includes('type'),
        variant.groupBy.includes('zone'),
        variant.groupBy.includes('period'),
        variant.period ?? 'day',
        'Europe/Madrid',
        ...TARGETS,
      ];
      const sql = await timed(flags.runs, () => bare.query({ text: figuresSql, values }));
      const routeP50 = percentile(route, 50);
      const sqlP50 = percentile(sql, 50);
      lines.push(
        `| ${variant.label} | ${groups} | ${fmt(routeP50, 0)} | ${fmt(route[route.length - 1] ?? NaN, 0)} | ${fmt(sqlP50, 0)} | ${fmt(sql[sql.length - 1] ?? NaN, 0)} | ${fmt(routeP50 / sqlP50)}× |`,
      );
      log(`${variant.label}: route ${fmt(routeP50, 0)} ms, bare SQL ${fmt(sqlP50, 0)} ms`);
    }
    lines.push('', `load average ${fmt(loadBefore)} before, ${fmt(loadavg()[0])} after`);
    console.log(lines.join('\n'));
    await bare.end();
  } finally {
    await gateway?.stop();
    await database?.drop();
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  }
}
