import { shutdownTelemetry, startTelemetry } from '@gad/observability';
import { Inject, Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Redis } from 'ioredis';
import { Client } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DataSource } from 'typeorm';
import {
  createTestDatabase,
  freePort,
  startRedisServer,
  uniqueRedisPrefix,
  waitFor,
  type RedisServerHandle,
  type TestDatabase,
} from '@gad/testing';
import {
  bootstrapService,
  createDataSource,
  DatabaseModule,
  pgPoolOf,
  REDIS_CLIENT,
  RedisModule,
} from '../src';

startTelemetry({ serviceName: 'db-redis-it', env: { LOG_LEVEL: 'fatal' } });

class CreatePlaces1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE places (id serial PRIMARY KEY, name text NOT NULL, geom geometry(Point, 4326))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE places');
  }
}

@Injectable()
class Probe {
  constructor(
    readonly dataSource: DataSource,
    @Inject(REDIS_CLIENT) readonly redis: Redis,
  ) {}
}

const WARM_UP_SQL = 'SELECT ST_AsText(ST_MakePoint(1, 2)) AS warm_up_probe';

describe('DatabaseModule and RedisModule', () => {
  let database: TestDatabase;
  let redisServer: RedisServerHandle;
  let app: NestFastifyApplication;
  let baseUrl: string;
  const keyPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    redisServer = await startRedisServer();
    @Module({
      imports: [
        DatabaseModule.forRoot({
          url: database.url,
          schema: 'fixture',
          migrations: [CreatePlaces1700000000000],
          migrationsRun: true,
          poolSize: 2,
          statementTimeoutMs: 1500,
          applicationName: 'platform-it',
          warmUpSql: WARM_UP_SQL,
        }),
        RedisModule.forRoot({
          url: redisServer.url,
          keyPrefix,
          commandTimeoutMs: 500,
          maxRetriesPerRequest: 0,
        }),
      ],
      providers: [Probe],
    })
    class AppModule {}
    const port = await freePort();
    app = await bootstrapService({
      name: 'db-redis-it',
      module: AppModule,
      port,
      handleSignals: false,
    });
    baseUrl = `http://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await redisServer?.dispose();
    await database?.drop();
    await shutdownTelemetry();
  });

  it('opens the whole pool before the service is ready and warms every connection', async () => {
    const observer = new Client({ connectionString: database.url });
    await observer.connect();
    try {
      const { rows } = await observer.query<{ state: string; query: string }>(
        `SELECT state, query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'platform-it'`,
      );
      expect(rows).toEqual([
        { state: 'idle', query: WARM_UP_SQL },
        { state: 'idle', query: WARM_UP_SQL },
      ]);
    } finally {
      await observer.end();
    }
  });

  it('runs migrations into the service schema, recorded in its own migrations table', async () => {
    const { dataSource } = app.get(Probe);

    const tables = (await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'fixture' ORDER BY table_name`,
    )) as { table_name: string }[];
    const applied = (await dataSource.query('SELECT name FROM fixture.fixture_migrations')) as {
      name: string;
    }[];

    expect(tables.map((row) => row.table_name)).toEqual(['fixture_migrations', 'places']);
    expect(applied.map((row) => row.name)).toEqual(['CreatePlaces1700000000000']);
  });

  it('sets search_path, statement_timeout and application_name on pooled connections', async () => {
    const { dataSource } = app.get(Probe);

    const [row] = (await dataSource.query(
      `SELECT current_setting('search_path') AS search_path, current_setting('statement_timeout') AS timeout,
              current_setting('application_name') AS app`,
    )) as { search_path: string; timeout: string; app: string }[];
    await dataSource.query(
      `INSERT INTO places (name, geom) VALUES ('a', ST_SetSRID(ST_MakePoint(1, 2), 4326))`,
    );

    expect(row).toEqual({ search_path: 'fixture,public', timeout: '1500ms', app: 'platform-it' });
    await expect(dataSource.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
  });

  it('prefixes Redis keys', async () => {
    const { redis } = app.get(Probe);

    await redis.set('greeting', 'hola');

    expect(await redis.keys('*')).toContain(`${keyPrefix}greeting`);
  });

  it('reports postgres and redis readiness, and 503 while Redis is down', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });

    await redisServer.stop();
    const down = await waitFor(
      async () => {
        const response = await fetch(`${baseUrl}/health/ready`);
        return response.status === 503
          ? ((await response.json()) as Record<string, unknown>)
          : undefined;
      },
      { description: 'readiness to fail without Redis' },
    );
    expect(down).toMatchObject({
      checks: { postgres: { status: 'up' }, redis: { status: 'down', error: expect.any(String) } },
    });

    await redisServer.start();
    await waitFor(async () => (await fetch(`${baseUrl}/health/ready`)).status === 200, {
      description: 'readiness to recover with Redis back',
    });
  });

  it('closes the pool and the Redis connection on shutdown', async () => {
    const { dataSource, redis } = app.get(Probe);

    await app.close();

    expect(dataSource.isInitialized).toBe(false);
    expect(redis.status).toBe('end');
  });
});

describe('createDataSource idle connections (docs/adr/0044)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  /** Opens three connections at once, waits past the idle timeout, counts the backends left. */
  async function backendsAfterQuietSpell(keepIdleConnections: boolean): Promise<number[]> {
    const applicationName = `idle-it-${keepIdleConnections}`;
    const dataSource = createDataSource({
      url: database.url,
      schema: 'public',
      poolSize: 3,
      idleTimeoutMs: 100,
      keepIdleConnections,
      applicationName,
    });
    await dataSource.initialize();
    const observer = new Client({ connectionString: database.url });
    await observer.connect();
    const backends = async (): Promise<number> =>
      (
        await observer.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        )
      ).rows[0].n;
    try {
      await Promise.all([1, 2, 3].map(() => dataSource.query('SELECT pg_sleep(0.05)')));
      const busy = await backends();
      // Six idle timeouts of quiet. A closed connection's backend leaves pg_stat_activity a moment
      // after its socket closes, so the count that should fall is awaited (bounded), not sampled.
      await new Promise((resolve) => setTimeout(resolve, 600));
      if (!keepIdleConnections) {
        await waitFor(async () => (await backends()) === 0, {
          description: 'the idle backends to go',
        });
      }
      return [busy, await backends(), pgPoolOf(dataSource).totalCount];
    } finally {
      await observer.end();
      await dataSource.destroy();
    }
  }

  it('keeps the connections a load opened through a quiet spell', async () => {
    expect(await backendsAfterQuietSpell(true)).toEqual([3, 3, 3]);
  });

  it('closes them after the idle timeout without keepIdleConnections', async () => {
    expect(await backendsAfterQuietSpell(false)).toEqual([3, 0, 0]);
  });

  it('replaces a kept connection whose backend PostgreSQL ended while it was idle', async () => {
    const applicationName = 'idle-it-terminated';
    const dataSource = createDataSource({
      url: database.url,
      schema: 'public',
      poolSize: 2,
      keepIdleConnections: true,
      applicationName,
    });
    await dataSource.initialize();
    const observer = new Client({ connectionString: database.url });
    await observer.connect();
    try {
      await Promise.all([1, 2].map(() => dataSource.query('SELECT pg_sleep(0.05)')));
      // As a restart or an administrator would: every idle backend of the pool is ended.
      const { rows: ended } = await observer.query<{ pid: number; ended: boolean }>(
        // The pool's backends first (OFFSET 0 keeps the filter apart from the call), then each ended.
        `SELECT pid, pg_terminate_backend(pid) AS ended FROM (
           SELECT pid FROM pg_stat_activity WHERE application_name = $1 OFFSET 0) pool`,
        [applicationName],
      );
      expect(ended.map((row) => row.ended)).toEqual([true, true]);
      await waitFor(async () => pgPoolOf(dataSource).totalCount === 0, {
        description: 'the pool to drop the ended connections',
      });

      const [row] = (await dataSource.query('SELECT 1 AS one')) as { one: number }[];
      expect(row).toEqual({ one: 1 });
    } finally {
      await observer.end();
      await dataSource.destroy();
    }
  });
});
