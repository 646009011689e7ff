import type { AuditCheckpointV1, AuditEntry } from '@gad/contracts';
import { uuidv7 } from '@gad/contracts';
import { createAuditSigningKeyPem } from '@gad/testing';
import type { DataSource } from 'typeorm';
import { Database } from '@gad/platform';
import { CheckpointSigner } from '../../src/chain/checkpoint-signer';
import type { CheckpointPublisher } from '../../src/checkpoint/checkpoint.publisher';
import { CheckpointService } from '../../src/checkpoint/checkpoint.service';
import { openAuditDataSource } from '../../src/database/data-source';
import {
  AuditBatchProcessor,
  type AuditWorkerOptions,
} from '../../src/ingest/audit-batch.processor';
import { ChainRepository } from '../../src/ingest/chain.repository';
import { IngestService } from '../../src/ingest/ingest.service';
import { VerifyRepository } from '../../src/verify/verify.repository';
import { VerifyService } from '../../src/verify/verify.service';
import { WitnessService } from '../../src/witness/witness.service';

/** A fresh Ed25519 key as the worker reads it from AUDIT_SIGNING_KEY (PEM PKCS#8). */
export const newSigningKey = (): string => createAuditSigningKeyPem();

export class CollectingPublisher implements CheckpointPublisher {
  readonly published: AuditCheckpointV1[] = [];
  async publish(checkpoints: readonly AuditCheckpointV1[]): Promise<void> {
    this.published.push(...checkpoints);
  }
}

export interface WorkerParts {
  dataSource: DataSource;
  signer: CheckpointSigner;
  publisher: CollectingPublisher;
  checkpoints: CheckpointService;
  ingest: IngestService;
  verifier: VerifyService;
  /** Writes to `witnessDir` when given (disabled otherwise). */
  witness: WitnessService;
  processor: AuditBatchProcessor;
  close(): Promise<void>;
}

export interface WorkerPartsOptions {
  databaseUrl: string;
  signingKey: string;
  redisUrl: string;
  keyPrefix: string;
  checkpointEvery?: number;
  /** The append-only witness directory (AUDIT_WITNESS_DIR); none when absent. */
  witnessDir?: string;
  worker?: Partial<AuditWorkerOptions>;
  /** Run the migrations (only once per database). */
  migrate?: boolean;
  /** Wraps what the processor writes with (the crash fixture hangs after a commit). */
  wrapIngest?: (ingest: IngestService) => Pick<IngestService, 'append'>;
}

/** The worker's real parts wired by hand (what app.module wires through Nest). */
export async function createWorkerParts(options: WorkerPartsOptions): Promise<WorkerParts> {
  const dataSource = await openAuditDataSource({
    url: options.databaseUrl,
    poolSize: 4,
    migrate: options.migrate ?? false,
  });
  const database = new Database(dataSource);
  const signer = new CheckpointSigner(options.signingKey);
  const publisher = new CollectingPublisher();
  const chains = new ChainRepository(database);
  const witness = new WitnessService(signer, { dir: options.witnessDir });
  const checkpoints = new CheckpointService(
    chains,
    signer,
    publisher,
    { every: options.checkpointEvery ?? 5, intervalMs: 60_000 },
    witness,
  );
  const ingest = new IngestService(chains, checkpoints);
  const verifier = new VerifyService(new VerifyRepository(database), signer);
  const processor = new AuditBatchProcessor(options.wrapIngest?.(ingest) ?? ingest, {
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    concurrency: 50,
    batchSize: 20,
    batchMaxWaitMs: 10,
    writers: 2,
    fetchers: 2,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    ...options.worker,
  });
  return {
    dataSource,
    signer,
    publisher,
    checkpoints,
    ingest,
    verifier,
    witness,
    processor,
    close: async () => {
      await processor.close();
      checkpoints.onModuleDestroy();
      await witness.onModuleDestroy();
      await dataSource.destroy();
    },
  };
}

let counter = 0;

/** A valid audit entry for `agencyId`. */
export function makeEntry(agencyId: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  counter += 1;
  return {
    id: uuidv7(),
    occurredAt: new Date().toISOString(),
    agencyId,
    actor: { kind: 'user', id: `user-${counter % 3}`, roles: ['dispatcher'] },
    service: 'api-gateway',
    action: counter % 2 === 0 ? 'incident.create' : 'incident.update',
    object: { type: 'incident', id: `inc-${counter}` },
    outcome: 'success',
    changes: { before: { status: 'new' }, after: { status: 'dispatched', n: counter } },
    source: { ip: '10.0.0.1', userAgent: 'jest' },
    traceId: 'a'.repeat(32),
    ...overrides,
  };
}
