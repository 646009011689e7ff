import { DataSource } from 'typeorm';
import { CreateAuditSchema1763790000000 } from './migrations/1763790000000-create-audit-schema';

/** Every migration of the `audit` schema, in order. */
export const auditMigrations = [CreateAuditSchema1763790000000];

export interface AuditDataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

/**
 * The worker's TypeORM DataSource (postgres driver, raw SQL only). Migrations are tracked in
 * `public.audit_log_worker_migrations` because the `audit` schema does not exist before the first one.
 */
export function createAuditDataSource(options: AuditDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    migrations: auditMigrations,
    migrationsTableName: 'audit_log_worker_migrations',
    migrationsTransactionMode: 'each',
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'audit-log-worker',
    extra: { statement_timeout: options.statementTimeoutMs ?? 5_000 },
  });
}
