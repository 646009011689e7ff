import { MigrationExecutor, type DataSource, type QueryRunner } from 'typeorm';

/** Table (inside the schema) recording its applied migrations: `<schema>_migrations`. */
export function migrationsTableName(schema: string): string {
  return `${schema}_migrations`;
}

/**
 * Key of the PostgreSQL advisory lock every migration run holds (`npm run db:migrate`, and services
 * that migrate at boot in development): two runs at once take turns, and the second finds nothing
 * pending. One key for every schema, so cross-schema steps (roles, extensions) never race either.
 * 0x6761645f6d696772 = 'gad_migr'.
 */
export const MIGRATION_LOCK_KEY = '7449362393358608242';

/** Where a schema stands against the migrations a build knows. */
export interface SchemaMigrationStatus {
  readonly schema: string;
  /** Recorded in `<schema>.<schema>_migrations`, oldest first. */
  readonly applied: readonly string[];
  /** Known to this build and not applied. */
  readonly pending: readonly string[];
  /** Applied and not known to this build (a newer build migrated this database). */
  readonly unknown: readonly string[];
}

/** Thrown at boot (migrations off) when the schema is not exactly the one this build knows. */
export class SchemaVersionError extends Error {
  constructor(readonly status: SchemaMigrationStatus) {
    const parts = [
      status.pending.length > 0 ? `pending migrations: ${status.pending.join(', ')}` : '',
      status.unknown.length > 0
        ? `unknown migrations (applied by a newer build): ${status.unknown.join(', ')}`
        : '',
    ].filter(Boolean);
    super(
      `schema "${status.schema}" is not the version this build knows (${parts.join('; ')}); ` +
        'run `npm run db:migrate -- up` with this build before starting it (docs/operations/migrations.md)',
    );
    this.name = 'SchemaVersionError';
  }
}

function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) {
    throw new Error('the DataSource has no schema');
  }
  return schema;
}

/** Names of the migrations a DataSource knows, oldest first (TypeORM orders by timestamp). */
export function knownMigrations(dataSource: DataSource): string[] {
  return dataSource.migrations
    .map((migration) => ({
      name: migration.name ?? migration.constructor.name,
      timestamp: Number(/(\d{13})$/.exec(migration.name ?? migration.constructor.name)?.[1] ?? 0),
    }))
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((migration) => migration.name);
}

/** Reads the schema's migrations table (absent: nothing applied). Runs no DDL. */
export async function schemaMigrationStatus(
  dataSource: DataSource,
  queryRunner?: QueryRunner,
): Promise<SchemaMigrationStatus> {
  const schema = schemaOf(dataSource);
  const table = `"${schema}"."${migrationsTableName(schema)}"`;
  const run = (sql: string, parameters?: unknown[]) =>
    queryRunner ? queryRunner.query(sql, parameters) : dataSource.query(sql, parameters);
  const [{ present }] = (await run('SELECT to_regclass($1) IS NOT NULL AS present', [table])) as [
    { present: boolean },
  ];
  const applied = present
    ? (
        (await run(`SELECT name FROM ${table} ORDER BY timestamp, id`)) as Array<{ name: string }>
      ).map((row) => row.name)
    : [];
  const known = knownMigrations(dataSource);
  return {
    schema,
    applied,
    pending: known.filter((name) => !applied.includes(name)),
    unknown: applied.filter((name) => !known.includes(name)),
  };
}

/**
 * Fails with a {@link SchemaVersionError} naming them when the schema has pending or unknown
 * migrations: what a service does at boot when it does not migrate (production).
 */
export async function assertSchemaCurrent(dataSource: DataSource): Promise<SchemaMigrationStatus> {
  const status = await schemaMigrationStatus(dataSource);
  if (status.pending.length > 0 || status.unknown.length > 0) {
    throw new SchemaVersionError(status);
  }
  return status;
}

/**
 * Runs `work` on one connection of `dataSource` while holding the migration advisory lock there, so
 * concurrent migrators (replicas starting together, the db-migrate step) take turns.
 */
export async function withMigrationLock<T>(
  dataSource: DataSource,
  work: (queryRunner: QueryRunner) => Promise<T>,
): Promise<T> {
  const queryRunner = dataSource.createQueryRunner();
  await queryRunner.connect();
  try {
    await queryRunner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      return await work(queryRunner);
    } finally {
      // A broken connection has released its session lock already: keep the original error.
      await queryRunner
        .query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY])
        .catch(() => undefined);
    }
  } finally {
    await queryRunner.release();
  }
}

/**
 * Creates the schema and applies its pending migrations (each in its own transaction) while holding
 * the migration advisory lock on the same connection, so concurrent runs are harmless. Returns the
 * names of the migrations this call applied.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  const schema = schemaOf(dataSource);
  return withMigrationLock(dataSource, async (queryRunner) => {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const executor = new MigrationExecutor(dataSource, queryRunner);
    executor.transaction = 'each';
    const applied = await executor.executePendingMigrations();
    return applied.map((migration) => migration.name);
  });
}
