import { DataSource, type DataSourceOptions } from 'typeorm';

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
  /** Server-side `statement_timeout` of every connection (default 5000 ms). */
  statementTimeoutMs?: number;
  /** Connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity. */
  applicationName: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** Table (inside the schema) recording its applied migrations: `<schema>_migrations`. */
export function migrationsTableName(schema: string): string {
  return `${schema}_migrations`;
}

/**
 * A TypeORM postgres DataSource (not yet initialized) with a bounded pg pool, `statement_timeout`,
 * `search_path=<schema>,public`, and migrations recorded per schema, each run in its own transaction.
 * No entities are needed: repositories use `dataSource.query` with raw SQL.
 */
export function createDataSource(options: CreateDataSourceOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name "${options.schema}"`);
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    applicationName: options.applicationName,
    poolSize: options.poolSize ?? 10,
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
      options: `-c search_path=${options.schema},public -c jit=off`,
    },
  });
}

/** Initializes the DataSource, creates its schema and optionally applies pending migrations. */
export async function initializeDataSource(
  dataSource: DataSource,
  { migrationsRun = false }: { migrationsRun?: boolean } = {},
): Promise<void> {
  if (!dataSource.isInitialized) {
    await dataSource.initialize();
  }
  const schema = (dataSource.options as { schema?: string }).schema;
  if (schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  }
  if (migrationsRun) {
    await dataSource.runMigrations({ transaction: 'each' });
  }
}
