import type { Pool, PoolClient } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  assertSchemaCurrent,
  migrationsTableName,
  runPendingMigrations,
} from './schema-migrations';

type Migrations = NonNullable<DataSourceOptions['migrations']>;

export interface CreateDataSourceOptions {
  /** `postgres://user@host:port/database` */
  url: string;
  /** The service's own schema: search path, migrations table, created at init by DatabaseModule. */
  schema: string;
  /** Migration classes (or glob paths) of the service. */
  migrations?: Migrations;
  /** pg pool size (default 10). */
  poolSize?: number;
  /**
   * Keep idle connections open instead of closing them after `idleTimeoutMs` (default false).
   * For pools on a request's path: a connection closed in a quiet spell is a new backend for the
   * first request after it (docs/adr/0044).
   */
  keepIdleConnections?: boolean;
  /** How long an idle connection stays open without `keepIdleConnections` (default 10,000 ms). */
  idleTimeoutMs?: number;
  /** Further server settings of every connection (`-c name=value` at connect). */
  settings?: Readonly<Record<string, string>>;
  /** Server-side `statement_timeout` of every connection (default 5000 ms). */
  statementTimeoutMs?: number;
  /** Connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity. */
  applicationName: string;
}

/**
 * Connection settings (`settings` above) under which every prepared statement runs its generic
 * plan (`plan_cache_mode = force_generic_plan`) from the first execution: geo-service's
 * connections (`GEO_CONNECTION_SETTINGS`, why in its `database/data-source.ts` and ADR 0009) and
 * the geo bench's, which must plan the same statements the same way.
 */
export const GENERIC_PLAN_SETTINGS: Readonly<Record<string, string>> = {
  plan_cache_mode: 'force_generic_plan',
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;
const SETTING = /^[a-z_][a-z0-9_.]*$/;
const SETTING_VALUE = /^[A-Za-z0-9_.:-]+$/;
export const DEFAULT_POOL_SIZE = 10;

export { migrationsTableName };

/**
 * A TypeORM postgres DataSource (not yet initialized) with a bounded pg pool, `statement_timeout`,
 * `search_path=<schema>,public`, and migrations recorded per schema, each run in its own transaction.
 * No entities are needed: repositories use `dataSource.query` with raw SQL.
 */
export function createDataSource(options: CreateDataSourceOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name "${options.schema}"`);
  }
  const settings = Object.entries(options.settings ?? {});
  for (const [name, value] of settings) {
    if (!SETTING.test(name) || !SETTING_VALUE.test(value)) {
      throw new Error(`invalid connection setting ${name}=${value}`);
    }
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    applicationName: options.applicationName,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectTimeoutMS: options.connectTimeoutMs ?? 5_000,
    installExtensions: false,
    entities: [],
    migrations: options.migrations ?? [],
    migrationsTableName: migrationsTableName(options.schema),
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: {
      statement_timeout: options.statementTimeoutMs ?? 5_000,
      // JIT compiles plans for queries the planner thinks are expensive; for our short OLTP and
      // KNN queries it cost 150-600 ms per execution (docs/benchmarks.md, Geo), so it is off.
      options: [
        `-c search_path=${options.schema},public -c jit=off`,
        ...settings.map(([name, value]) => `-c ${name}=${value}`),
      ].join(' '),
      // pg-pool closes idle connections above `min` after `idleTimeoutMillis` (10 s by default);
      // `min` opens nothing by itself, it only keeps what the load opened.
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMillis: options.idleTimeoutMs } : {}),
      ...(options.keepIdleConnections ? { min: options.poolSize ?? DEFAULT_POOL_SIZE } : {}),
    },
  });
}

/**
 * Initializes the DataSource, then either applies pending migrations under the migration advisory
 * lock (`migrationsRun`, creating the schema), or checks that the schema holds exactly the
 * migrations this build knows (`verifySchema`: production, where `npm run db:migrate` is a step of
 * the deployment; no DDL), or only creates the schema (neither).
 */
export async function initializeDataSource(
  dataSource: DataSource,
  {
    migrationsRun = false,
    verifySchema = false,
  }: { migrationsRun?: boolean; verifySchema?: boolean } = {},
): Promise<void> {
  if (!dataSource.isInitialized) {
    await dataSource.initialize();
  }
  if (migrationsRun) {
    await runPendingMigrations(dataSource);
    return;
  }
  if (verifySchema) {
    await assertSchemaCurrent(dataSource);
    return;
  }
  const schema = (dataSource.options as { schema?: string }).schema;
  if (schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  }
}

/**
 * The pg Pool under an initialized TypeORM DataSource, for hot paths that issue named (prepared)
 * statements, which TypeORM's `query()` cannot.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver as unknown as { master?: Pool };
  if (!driver.master) {
    throw new Error('the DataSource is not initialized (no pg pool)');
  }
  return driver.master;
}

/**
 * Opens `size` pooled connections at once and runs `sql` on each, so the first requests do not pay
 * for connection setup and per-backend warm-up (catalog caches, extension libraries).
 */
export async function warmPool(dataSource: DataSource, size: number, sql: string): Promise<void> {
  const pool = pgPoolOf(dataSource);
  const clients: PoolClient[] = [];
  try {
    for (const client of await Promise.allSettled(
      Array.from({ length: size }, () => pool.connect()),
    )) {
      if (client.status === 'rejected') {
        throw client.reason;
      }
      clients.push(client.value);
    }
    await Promise.all(clients.map((client) => client.query(sql)));
  } finally {
    clients.forEach((client) => client.release());
  }
}
