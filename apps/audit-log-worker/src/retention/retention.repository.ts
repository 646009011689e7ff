import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface PartitionHead {
  agencyId: string;
  seq: number;
  hash: string;
}

/** Partition maintenance; runs as the schema owner (DDL), never as `gad_audit_writer`. */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async ensurePartitions(monthsBack: number, monthsAhead: number): Promise<number> {
    const rows: Array<{ created: number }> = await this.dataSource.query(
      `SELECT audit.ensure_partitions($1, $2) AS created`,
      [monthsBack, monthsAhead],
    );
    return Number(rows[0]?.created ?? 0);
  }

  /** Monthly partitions (`entries_pYYYYMM`) of `audit.entries`, oldest first. */
  async partitions(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'audit.entries'::regclass AND c.relname ~ '^entries_p[0-9]{6}$'
       ORDER BY c.relname`,
    );
    return rows.map((row) => row.name);
  }

  /** Last entry of each chain in a partition, and whether a checkpoint already covers it. */
  async partitionHeads(partition: string): Promise<Array<PartitionHead & { covered: boolean }>> {
    const rows: Array<{ agency_id: string; seq: string; hash: string; covered: boolean }> =
      await this.dataSource.query(
        `SELECT h.agency_id, h.seq, h.hash,
                EXISTS (SELECT 1 FROM audit.checkpoints c
                        WHERE c.agency_id = h.agency_id AND c.seq >= h.seq) AS covered
         FROM (SELECT DISTINCT ON (agency_id) agency_id, seq, hash
               FROM audit.${quoteIdent(partition)} ORDER BY agency_id, seq DESC) h`,
      );
    return rows.map((row) => ({
      agencyId: row.agency_id,
      seq: Number(row.seq),
      hash: row.hash,
      covered: row.covered,
    }));
  }

  /** Records where each chain was cut, then detaches and drops the whole partition, atomically. */
  async purge(partition: string, heads: readonly PartitionHead[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (heads.length > 0) {
        await manager.query(
          `INSERT INTO audit.purges (agency_id, through_seq, through_hash, partition)
           SELECT agency_id, seq, hash, $4 FROM unnest($1::text[], $2::bigint[], $3::text[])
             AS u(agency_id, seq, hash)`,
          [
            heads.map((head) => head.agencyId),
            heads.map((head) => head.seq),
            heads.map((head) => head.hash),
            partition,
          ],
        );
      }
      await manager.query(
        `ALTER TABLE audit.entries DETACH PARTITION audit.${quoteIdent(partition)}`,
      );
      await manager.query(`DROP TABLE audit.${quoteIdent(partition)}`);
    });
  }
}

function quoteIdent(name: string): string {
  if (!/^entries_p[0-9]{6}$/.test(name)) {
    throw new Error(`not an audit partition: ${name}`);
  }
  return `"${name}"`;
}
