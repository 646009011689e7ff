/*
 * audit-log-worker's environment: the schema it loads at boot (`audit-log-worker.config.ts`) and the one
 * docker/test holds compose and the k8s overlays to. Variables are listed in the app's README.
 */
import { z } from 'zod';
import { databaseEnvSchema, envInt, serviceEnvSchema } from '../env-schemas';

export const auditLogWorkerEnvSchema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  PORT: envInt(3003, 1, 65535),
  /** Ed25519 private key (PKCS#8, PEM or base64 DER) that signs checkpoints. */
  AUDIT_SIGNING_KEY: z.string().min(40),
  /** Extra trusted Ed25519 public keys (SPKI PEM or base64 DER), `;`-separated, e.g. before a rotation. */
  AUDIT_VERIFY_PUBLIC_KEYS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(';')
        .map((key) => key.trim())
        .filter((key) => key.length > 0),
    ),
  /** Most jobs written in one transaction. */
  AUDIT_BATCH_SIZE: envInt(500, 1, 10_000),
  /** Longest a job waits for its batch to fill before the batch is written anyway. */
  AUDIT_BATCH_MAX_WAIT_MS: envInt(20, 0, 10_000),
  /** Write transactions in parallel; chains are spread over them by agency (pool size 10). */
  AUDIT_WRITERS: envInt(4, 1, 8),
  /** BullMQ Workers in the process sharing the concurrency (each fetches one job per round trip). */
  AUDIT_FETCHERS: envInt(4, 1, 16),
  /** BullMQ worker concurrency (jobs held at once); writers × batch size keeps every lane busy. */
  AUDIT_WORKER_CONCURRENCY: envInt(2_000, 1, 20_000),
  /** BullMQ lock duration: a job held this long by a dead worker is delivered again. */
  AUDIT_LOCK_DURATION_MS: envInt(30_000, 1_000, 600_000),
  AUDIT_STALLED_INTERVAL_MS: envInt(15_000, 500, 600_000),
  /** Sign a checkpoint after this many entries of one chain... */
  AUDIT_CHECKPOINT_EVERY: envInt(1_000, 1, 1_000_000),
  /** ...or this long after the chain last moved, whichever comes first. */
  AUDIT_CHECKPOINT_INTERVAL_MS: envInt(60_000, 100, 86_400_000),
  /**
   * Directory of the append-only audit witness (docs/adr/0022): each process appends its own signed
   * JSONL file there; mount storage the database administrator cannot alter. Unset: no witness.
   */
  AUDIT_WITNESS_DIR: z.string().optional(),
  /** Months entries are kept at least (whole monthly partitions are purged after that). */
  AUDIT_RETENTION_MONTHS: envInt(12, 12, 1_200),
  /** Monthly partitions created ahead of time. */
  AUDIT_PARTITIONS_AHEAD: envInt(3, 1, 24),
  /** Between partition maintenance runs (create ahead, purge expired). */
  AUDIT_MAINTENANCE_INTERVAL_MS: envInt(3_600_000, 1_000, 86_400_000),
});
