import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule } from '@gad/bus';
import { ConfigModule, DatabaseModule } from '@gad/platform';
import { AUDIT_LOG_WORKER_CONFIG, type AuditLogWorkerConfig } from './audit-log-worker.config';
import { CheckpointSigner } from './chain/checkpoint-signer';
import { CHECKPOINT_POLICY } from './checkpoint/checkpoint.service';
import { AUDIT_SCHEMA, auditMigrations } from './database/data-source';
import { AUDIT_WORKER_OPTIONS, type AuditWorkerOptions } from './ingest/audit-batch.processor';
import { CheckpointModule } from './checkpoint/checkpoint.module';
import { IngestModule } from './ingest/ingest.module';
import { QueryModule } from './query/query.module';
import { RETENTION_POLICY } from './retention/retention.service';
import { RetentionModule } from './retention/retention.module';
import { VerifyModule } from './verify/verify.module';
import { WITNESS_OPTIONS, WitnessService } from './witness/witness.service';

@Module({})
export class AppModule {
  static forRoot(config: AuditLogWorkerConfig, instanceId: string): DynamicModule {
    const workerOptions: AuditWorkerOptions = {
      redisUrl: config.REDIS_URL,
      keyPrefix: config.REDIS_KEY_PREFIX,
      concurrency: config.AUDIT_WORKER_CONCURRENCY,
      batchSize: config.AUDIT_BATCH_SIZE,
      writers: config.AUDIT_WRITERS,
      fetchers: config.AUDIT_FETCHERS,
      batchMaxWaitMs: config.AUDIT_BATCH_MAX_WAIT_MS,
      lockDurationMs: config.AUDIT_LOCK_DURATION_MS,
      stalledIntervalMs: config.AUDIT_STALLED_INTERVAL_MS,
    };
    return {
      module: AppModule,
      imports: [
        ConfigModule.forApp(AUDIT_LOG_WORKER_CONFIG, config, [
          {
            provide: CheckpointSigner,
            useFactory: () =>
              new CheckpointSigner(config.AUDIT_SIGNING_KEY, config.AUDIT_VERIFY_PUBLIC_KEYS),
          },
          { provide: AUDIT_WORKER_OPTIONS, useValue: workerOptions },
          // The append-only witness outside the database (docs/adr/0022).
          { provide: WITNESS_OPTIONS, useValue: { dir: config.AUDIT_WITNESS_DIR || undefined } },
          WitnessService,
          {
            provide: CHECKPOINT_POLICY,
            useValue: {
              every: config.AUDIT_CHECKPOINT_EVERY,
              intervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS,
            },
          },
          {
            provide: RETENTION_POLICY,
            useValue: {
              retentionMonths: config.AUDIT_RETENTION_MONTHS,
              partitionsAhead: config.AUDIT_PARTITIONS_AHEAD,
              intervalMs: config.AUDIT_MAINTENANCE_INTERVAL_MS,
            },
          },
        ]),
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          schema: AUDIT_SCHEMA,
          migrations: auditMigrations,
          migrationsRun: config.MIGRATIONS_AT_BOOT,
          poolSize: config.DATABASE_POOL_SIZE,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          applicationName: 'audit-log-worker',
        }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId,
        }),
        // Records the worker's own audited actions (audit.query, audit.verify) through the queue.
        AuditModule.forRoot({
          service: 'audit-log-worker',
          redisUrl: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
        }),
        // The features; each folder under src/ but chain/ and database/ is one module.
        CheckpointModule,
        IngestModule,
        VerifyModule,
        QueryModule,
        RetentionModule,
      ],
    };
  }
}
