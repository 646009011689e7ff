import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';
import type { PurgeAnchor } from '../chain/purge-anchor';

const SQL = loadSqlFile(join(__dirname, 'verify.repository.sql'));
const PURGE_ANCHOR = sqlOf(SQL, 'purge_anchor');
const EXTENT = sqlOf(SQL, 'extent');
const SEQ_BOUNDS_FOR_TIME = sqlOf(SQL, 'seq_bounds_for_time');
const PAGE = sqlOf(SQL, 'page');
const CHECKPOINTS = sqlOf(SQL, 'checkpoints');

export interface ChainRow {
  seq: number;
  id: string;
  prevHash: string;
  hash: string;
  entry: unknown;
}

export interface CheckpointRow {
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

/** Reads a chain for verification (any role with SELECT on `audit`). */
@Injectable()
export class VerifyRepository {
  constructor(private readonly database: Database) {}

  /** The latest cut retention made in the chain (signed since migration 1765600000001). */
  async purgeAnchor(agencyId: string): Promise<PurgeAnchor | undefined> {
    const rows = await this.database.rows<{
      through_seq: string;
      through_hash: string;
      partition: string;
      purged_at: Date;
      key_id: string;
      signature: string;
    }>({ text: PURGE_ANCHOR, values: [agencyId] });
    const row = rows[0];
    return row
      ? {
          agencyId,
          throughSeq: Number(row.through_seq),
          throughHash: row.through_hash,
          partition: row.partition,
          purgedAt: row.purged_at.toISOString(),
          keyId: row.key_id,
          signature: row.signature,
        }
      : undefined;
  }

  /** Highest sequence stored and highest sequence a checkpoint names (0 when none). */
  async extent(agencyId: string): Promise<{ headSeq: number; checkpointSeq: number }> {
    const rows = await this.database.rows<{
      head_seq: string | null;
      checkpoint_seq: string | null;
    }>({ text: EXTENT, values: [agencyId] });
    return {
      headSeq: Number(rows[0]?.head_seq ?? 0),
      checkpointSeq: Number(rows[0]?.checkpoint_seq ?? 0),
    };
  }

  /** Sequence bounds of the entries that occurred in [from, to). */
  async seqBoundsForTime(
    agencyId: string,
    from: string | undefined,
    to: string | undefined,
  ): Promise<{ min: number; max: number } | undefined> {
    const rows = await this.database.rows<{ min: string | null; max: string | null }>({
      text: SEQ_BOUNDS_FOR_TIME,
      values: [agencyId, from ?? null, to ?? null],
    });
    const row = rows[0];
    return row?.min && row.max ? { min: Number(row.min), max: Number(row.max) } : undefined;
  }

  async page(
    agencyId: string,
    afterSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<ChainRow[]> {
    const rows = await this.database.rows<{
      seq: string;
      id: string;
      prev_hash: string;
      hash: string;
      entry: unknown;
    }>({ text: PAGE, values: [agencyId, afterSeq, toSeq, limit] });
    return rows.map((row) => ({
      seq: Number(row.seq),
      id: row.id,
      prevHash: row.prev_hash,
      hash: row.hash,
      entry: row.entry,
    }));
  }

  async checkpoints(agencyId: string, fromSeq: number, toSeq: number): Promise<CheckpointRow[]> {
    const rows = await this.database.rows<{
      id: string;
      agency_id: string;
      seq: string;
      head_hash: string;
      count: number;
      prev_checkpoint_seq: string;
      created_at: Date;
      key_id: string;
      signature: string;
    }>({ text: CHECKPOINTS, values: [agencyId, fromSeq, toSeq] });
    return rows.map((row) => ({
      checkpointId: row.id,
      agencyId: row.agency_id,
      seq: Number(row.seq),
      headHash: row.head_hash,
      count: Number(row.count),
      prevCheckpointSeq: Number(row.prev_checkpoint_seq),
      createdAt: row.created_at.toISOString(),
      keyId: row.key_id,
      signature: row.signature,
    }));
  }
}
