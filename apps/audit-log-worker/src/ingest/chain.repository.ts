import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, queryResult, queryRows, sqlOf } from '@gad/platform';
import type { PoolClient } from 'pg';

const SQL = loadSqlFile(join(__dirname, 'chain.repository.sql'));
const AGENCIES_WRITTEN_SINCE = sqlOf(SQL, 'agencies_written_since');
const LOCK_CHAIN = sqlOf(SQL, 'lock_chain');
const LOCK_CHAINS = sqlOf(SQL, 'lock_chains');
const CHAIN_STATES = sqlOf(SQL, 'chain_states');
const HEAD = sqlOf(SQL, 'head');
const EXISTING_IDS = sqlOf(SQL, 'existing_ids');
const INSERT_ENTRIES = sqlOf(SQL, 'insert_entries');
const LAST_CHECKPOINT_SEQ = sqlOf(SQL, 'last_checkpoint_seq');
const HASH_AT = sqlOf(SQL, 'hash_at');
const INSERT_CHECKPOINT = sqlOf(SQL, 'insert_checkpoint');

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

/** A chain as a batch's write finds it (read under the chain's lock). */
export interface ChainState {
  head: ChainHead | undefined;
  lastCheckpointSeq: number;
  /** Ids asked about that this chain already holds. */
  storedIds: Set<string>;
}

/** What a write transaction may do while it holds the chain locks. */
export interface ChainTransaction {
  head(agencyId: string): Promise<ChainHead | undefined>;
  /** Head, last checkpoint and which of `ids` each chain holds, for many chains in one query. */
  states(agencyIds: readonly string[], ids: readonly string[]): Promise<Map<string, ChainState>>;
  existingIds(agencyId: string, ids: readonly string[]): Promise<Set<string>>;
  insertEntries(entries: readonly NewChainEntry[]): Promise<void>;
  lastCheckpointSeq(agencyId: string): Promise<number>;
  /** Stored hash of entry `seq` (undefined when there is none). */
  hashAt(agencyId: string, seq: number): Promise<string | undefined>;
  insertCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
}

/** The role every write runs as: it may SELECT and INSERT, nothing else. */
export const AUDIT_WRITER_ROLE = 'gad_audit_writer';

/**
 * Writes to the agencies' chains. One transaction per call, as role `gad_audit_writer`, holding a
 * transaction-scoped advisory lock per agency (taken in one statement, in byte order of the agency
 * id, so replicas never deadlock):
 * exactly one writer extends a chain at a time, and the head is read inside that transaction.
 * `recorded_at` is `clock_timestamp()` taken after the lock, so it grows with `seq` in every chain
 * and a monthly partition holds a contiguous run of each chain.
 */
@Injectable()
export class ChainRepository {
  constructor(private readonly database: Database) {}

  /** Agencies whose chains received entries since `since` (any replica). */
  async agenciesWrittenSince(since: Date): Promise<string[]> {
    const rows = await this.database.rows<{ agency_id: string }>({
      text: AGENCIES_WRITTEN_SINCE,
      values: [since],
    });
    return rows.map((row) => row.agency_id);
  }

  async withChains<T>(
    agencyIds: readonly string[],
    work: (tx: ChainTransaction) => Promise<T>,
  ): Promise<T> {
    const agencies = [...new Set(agencyIds)];
    return this.database.transaction(
      async (client) => {
        if (agencies.length === 1) {
          await queryResult(client, { text: LOCK_CHAIN, values: agencies });
        } else if (agencies.length > 1) {
          await queryResult(client, { text: LOCK_CHAINS, values: [agencies] });
        }
        return work(transactionOf(client));
      },
      { begin: `BEGIN; SET LOCAL ROLE ${AUDIT_WRITER_ROLE}` },
    );
  }
}

function transactionOf(client: PoolClient): ChainTransaction {
  return {
    async head(agencyId) {
      const rows = await queryRows<{ seq: string; hash: string }>(client, {
        text: HEAD,
        values: [agencyId],
      });
      return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
    },
    async states(agencyIds, ids) {
      const rows = await queryRows<{
        agency_id: string;
        seq: string | null;
        hash: string | null;
        checkpoint_seq: string | null;
        stored_ids: string[] | null;
      }>(client, { text: CHAIN_STATES, values: [agencyIds, ids] });
      return new Map(
        rows.map((row) => [
          row.agency_id,
          {
            head:
              row.seq === null || row.hash === null
                ? undefined
                : { seq: Number(row.seq), hash: row.hash },
            lastCheckpointSeq: row.checkpoint_seq === null ? 0 : Number(row.checkpoint_seq),
            storedIds: new Set(row.stored_ids ?? []),
          },
        ]),
      );
    },
    async existingIds(agencyId, ids) {
      if (ids.length === 0) {
        return new Set();
      }
      const rows = await queryRows<{ id: string }>(client, {
        text: EXISTING_IDS,
        values: [agencyId, ids],
      });
      return new Set(rows.map((row) => row.id));
    },
    async insertEntries(entries) {
      if (entries.length === 0) {
        return;
      }
      await queryResult(client, {
        text: INSERT_ENTRIES,
        values: [
          entries.map((entry) => entry.agencyId),
          entries.map((entry) => entry.seq),
          entries.map((entry) => entry.id),
          entries.map((entry) => entry.prevHash),
          entries.map((entry) => entry.hash),
          // Canonical texts are JSON already: joined, they are the array's text as it is (a
          // text[] parameter would escape every quote of every entry, in JavaScript).
          `[${entries.map((entry) => entry.canonical).join(',')}]`,
        ],
      });
    },
    async hashAt(agencyId, seq) {
      const rows = await queryRows<{ hash: string }>(client, {
        text: HASH_AT,
        values: [agencyId, seq],
      });
      return rows[0]?.hash;
    },
    async lastCheckpointSeq(agencyId) {
      const rows = await queryRows<{ seq: string }>(client, {
        text: LAST_CHECKPOINT_SEQ,
        values: [agencyId],
      });
      return rows[0] ? Number(rows[0].seq) : 0;
    },
    async insertCheckpoint(checkpoint) {
      await queryResult(client, {
        text: INSERT_CHECKPOINT,
        values: [
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
      });
    },
  };
}
