import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

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
  constructor(private readonly dataSource: DataSource) {}

  async purgeAnchor(agencyId: string): Promise<{ seq: number; hash: string } | undefined> {
    const rows: Array<{ through_seq: string; through_hash: string }> = await this.dataSource.query(
      `SELECT through_seq, through_hash FROM audit.purges WHERE agency_id = $1
       ORDER BY through_seq DESC LIMIT 1`,
      [agencyId],
    );
    return rows[0] ? { seq: Number(rows[0].through_seq), hash: rows[0].through_hash } : undefined;
  }

  /** Highest sequence stored and highest sequence a checkpoint names (0 when none). */
  async extent(agencyId: string): Promise<{ headSeq: number; checkpointSeq: number }> {
    const rows: Array<{ head_seq: string | null; checkpoint_seq: string | null }> =
      await this.dataSource.query(
        `SELECT (SELECT max(seq) FROM audit.entries WHERE agency_id = $1) AS head_seq,
                (SELECT max(seq) FROM audit.checkpoints WHERE agency_id = $1) AS checkpoint_seq`,
        [agencyId],
      );
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
    const rows: Array<{ min: string | null; max: string | null }> = await this.dataSource.query(
      `SELECT min(seq) AS min, max(seq) AS max FROM audit.entries
       WHERE agency_id = $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2)
         AND ($3::timestamptz IS NULL OR occurred_at < $3)`,
      [agencyId, from ?? null, to ?? null],
    );
    const row = rows[0];
    return row?.min && row.max ? { min: Number(row.min), max: Number(row.max) } : undefined;
  }

  async page(
    agencyId: string,
    afterSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<ChainRow[]> {
    const rows: Array<{
      seq: string;
      id: string;
      prev_hash: string;
      hash: string;
      entry: unknown;
    }> = await this.dataSource.query(
      `SELECT seq, id::text AS id, prev_hash, hash, entry FROM audit.entries
         WHERE agency_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      [agencyId, afterSeq, toSeq, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      id: row.id,
      prevHash: row.prev_hash,
      hash: row.hash,
      entry: row.entry,
    }));
  }

  async checkpoints(agencyId: string, fromSeq: number, toSeq: number): Promise<CheckpointRow[]> {
    const rows: Array<{
      id: string;
      agency_id: string;
      seq: string;
      head_hash: string;
      count: number;
      prev_checkpoint_seq: string;
      created_at: Date;
      key_id: string;
      signature: string;
    }> = await this.dataSource.query(
      `SELECT id::text AS id, agency_id, seq, head_hash, count, prev_checkpoint_seq, created_at,
              key_id, signature
       FROM audit.checkpoints WHERE agency_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq`,
      [agencyId, fromSeq, toSeq],
    );
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
