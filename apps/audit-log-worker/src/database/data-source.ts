import { createDataSource, initializeDataSource } from '@gad/platform';
import type { DataSource } from 'typeorm';
import { CreateAuditSchema1763790000000 } from './migrations/1763790000000-create-audit-schema';
import { SignPurgeAnchors1765600000001 } from './migrations/1765600000001-sign-purge-anchors';
import { PartitionMaintenanceAsOwner1765300000002 } from './migrations/1765300000002-partition-maintenance-as-owner';

/** Every migration of the `audit` schema, in order. */
export const auditMigrations = [
  CreateAuditSchema1763790000000,
  PartitionMaintenanceAsOwner1765300000002,
  SignPurgeAnchors1765600000001,
];

export const AUDIT_SCHEMA = 'audit';

export interface AuditDataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

/** The `audit` schema's DataSource outside Nest (tests, the verify CLI): raw SQL only. */
export function createAuditDataSource(options: AuditDataSourceOptions): DataSource {
  return createDataSource({
    url: options.url,
    schema: AUDIT_SCHEMA,
    migrations: auditMigrations,
    poolSize: options.poolSize ?? 10,
    statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
    applicationName: options.applicationName ?? 'audit-log-worker',
  });
}

/** Creates and initializes it (schema created; migrations applied when `migrate`). */
export async function openAuditDataSource(
  options: AuditDataSourceOptions & { migrate?: boolean },
): Promise<DataSource> {
  const dataSource = createAuditDataSource(options);
  await initializeDataSource(dataSource, { migrationsRun: options.migrate ?? false });
  return dataSource;
}
