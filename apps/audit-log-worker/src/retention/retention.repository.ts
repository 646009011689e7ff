import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, queryResult, sqlOf } from '@gad/platform';
import type { PurgeAnchor } from '../chain/purge-anchor';

const SQL = loadSqlFile(join(__dirname, 'retention.repository.sql'));
const ENSURE_PARTITIONS = sqlOf(SQL, 'ensure_partitions');
const PARTITIONS = sqlOf(SQL, 'partitions');
const INSERT_PURGES = sqlOf(SQL, 'insert_purges');
const DROP_EXPIRED_PARTITION = sqlOf(SQL, 'drop_expired_partition');

export interface PartitionHead {
  agencyId: string;
  seq: number;
  hash: string;
}

/** Partition maintenance; its DDL runs in the schema owner's SECURITY DEFINER functions. */
@Injectable()
export class RetentionRepository {
  constructor(private readonly database: Database) {}

  async ensurePartitions(monthsBack: number, monthsAhead: number): Promise<number> {
    const rows = await this.database.rows<{ created: number }>({
      text: ENSURE_PARTITIONS,
      values: [monthsBack, monthsAhead],
    });
    return Number(rows[0]?.created ?? 0);
  }

  /** Monthly partitions (`entries_pYYYYMM`) of `audit.entries`, oldest first. */
  async partitions(): Promise<string[]> {
    const rows = await this.database.rows<{ name: string }>({ text: PARTITIONS });
    return rows.map((row) => row.name);
  }

  /** Last entry of each chain in a partition, and whether a checkpoint already covers it. */
  async partitionHeads(partition: string): Promise<Array<PartitionHead & { covered: boolean }>> {
    // Names a partition: built here from a checked name, not a named statement.
    const rows = await this.database.rows<{
      agency_id: string;
      seq: string;
      hash: string;
      covered: boolean;
    }>({
      text: `SELECT h.agency_id, h.seq, h.hash,
                EXISTS (SELECT 1 FROM audit.checkpoints c
                        WHERE c.agency_id = h.agency_id AND c.seq >= h.seq) AS covered
         FROM (SELECT DISTINCT ON (agency_id) agency_id, seq, hash
               FROM audit.${quoteIdent(partition)} ORDER BY agency_id, seq DESC) h`,
    });
    return rows.map((row) => ({
      agencyId: row.agency_id,
      seq: Number(row.seq),
      hash: row.hash,
      covered: row.covered,
    }));
  }

  /**
   * Records where each chain was cut (the signed anchors of one partition, one `purgedAt` and key),
   * then detaches and drops the whole partition, atomically.
   */
  async purge(partition: string, anchors: readonly PurgeAnchor[]): Promise<void> {
    await this.database.transaction(async (client) => {
      const [first] = anchors;
      if (first) {
        await queryResult(client, {
          text: INSERT_PURGES,
          values: [
            anchors.map((anchor) => anchor.agencyId),
            anchors.map((anchor) => anchor.throughSeq),
            anchors.map((anchor) => anchor.throughHash),
            partition,
            first.purgedAt,
            first.keyId,
            anchors.map((anchor) => anchor.signature),
          ],
        });
      }
      // Detach and drop in the schema owner's function: the runtime role has SELECT and INSERT
      // only (ADR 0025); the function refuses partitions under 12 months old or uncovered.
      await queryResult(client, {
        text: DROP_EXPIRED_PARTITION,
        values: [checkedPartition(partition)],
      });
    });
  }
}

function quoteIdent(name: string): string {
  return `"${checkedPartition(name)}"`;
}

function checkedPartition(name: string): string {
  if (!/^entries_p[0-9]{6}$/.test(name)) {
    throw new Error(`not an audit partition: ${name}`);
  }
  return name;
}
