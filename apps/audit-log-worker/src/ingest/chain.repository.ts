import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface NewChainEntry {
  agencyId: string;
  seq: number;
  id: string;
  prevHash: string;
  hash: string;
  /** Canonical JSON of the entry (stored as jsonb). */
  canonical: string;
}

export interface CheckpointRecord {
  checkpointId: string;
  agencyId: string;
  seq: number;
  headHash: string;
  count: number;
  prevCheckpointSeq: number;
  createdAt: string;
  keyId: string;
  signature: string;
}

/** What a write transaction may do while it holds the chain locks. */
export interface ChainTransaction {
  head(agencyId: string): Promise<ChainHead | undefined>;
  existingIds(agencyId: string, ids: readonly string[]): Promise<Set<string>>;
  insertEntries(entries: readonly NewChainEntry[]): Promise<void>;
  lastCheckpointSeq(agencyId: string): Promise<number>;
  insertCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
}

/** The role every write runs as: it may SELECT and INSERT, nothing else. */
export const AUDIT_WRITER_ROLE = 'gad_audit_writer';

/**
 * Writes to the agencies' chains. One transaction per call, as role `gad_audit_writer`, holding a
 * transaction-scoped advisory lock per agency (taken in sorted order, so replicas never deadlock):
 * exactly one writer extends a chain at a time, and the head is read inside that transaction.
 * `recorded_at` is `clock_timestamp()` taken after the lock, so it grows with `seq` in every chain
 * and a monthly partition holds a contiguous run of each chain.
 */
@Injectable()
export class ChainRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Agencies whose chains received entries since `since` (any replica). */
  async agenciesWrittenSince(since: Date): Promise<string[]> {
    const rows: Array<{ agency_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT agency_id FROM audit.entries WHERE recorded_at >= $1`,
      [since],
    );
    return rows.map((row) => row.agency_id);
  }

  async withChains<T>(
    agencyIds: readonly string[],
    work: (tx: ChainTransaction) => Promise<T>,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SET LOCAL ROLE ${AUDIT_WRITER_ROLE}`);
      for (const agencyId of [...new Set(agencyIds)].sort()) {
        await runner.query(
          `SELECT pg_advisory_xact_lock(hashtextextended('gad:audit:' || $1, 0))`,
          [agencyId],
        );
      }
      const result = await work(transactionOf(runner));
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
      }
      throw error;
    } finally {
      await runner.release();
    }
  }
}

function transactionOf(runner: QueryRunner): ChainTransaction {
  return {
    async head(agencyId) {
      const rows: Array<{ seq: string; hash: string }> = await runner.query(
        `SELECT seq, hash FROM audit.entries WHERE agency_id = $1 ORDER BY seq DESC LIMIT 1`,
        [agencyId],
      );
      return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
    },
    async existingIds(agencyId, ids) {
      if (ids.length === 0) {
        return new Set();
      }
      const rows: Array<{ id: string }> = await runner.query(
        `SELECT id::text AS id FROM audit.entries WHERE agency_id = $1 AND id = ANY($2::uuid[])`,
        [agencyId, ids],
      );
      return new Set(rows.map((row) => row.id));
    },
    async insertEntries(entries) {
      if (entries.length === 0) {
        return;
      }
      await runner.query(
        `INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry, recorded_at)
         SELECT agency_id, seq, id, prev_hash, hash, entry::jsonb, clock_timestamp()
         FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[])
           AS u(agency_id, seq, id, prev_hash, hash, entry)`,
        [
          entries.map((entry) => entry.agencyId),
          entries.map((entry) => entry.seq),
          entries.map((entry) => entry.id),
          entries.map((entry) => entry.prevHash),
          entries.map((entry) => entry.hash),
          entries.map((entry) => entry.canonical),
        ],
      );
    },
    async lastCheckpointSeq(agencyId) {
      const rows: Array<{ seq: string }> = await runner.query(
        `SELECT seq FROM audit.checkpoints WHERE agency_id = $1 ORDER BY seq DESC LIMIT 1`,
        [agencyId],
      );
      return rows[0] ? Number(rows[0].seq) : 0;
    },
    async insertCheckpoint(checkpoint) {
      await runner.query(
        `INSERT INTO audit.checkpoints
           (id, agency_id, seq, head_hash, count, prev_checkpoint_seq, created_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          checkpoint.checkpointId,
          checkpoint.agencyId,
          checkpoint.seq,
          checkpoint.headHash,
          checkpoint.count,
          checkpoint.prevCheckpointSeq,
          checkpoint.createdAt,
          checkpoint.keyId,
          checkpoint.signature,
        ],
      );
    },
  };
}
