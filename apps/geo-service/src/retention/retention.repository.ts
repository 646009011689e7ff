import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, queryResult, queryRows, sqlOf } from '@gad/platform';
import type { PoolClient } from 'pg';

const SQL = loadSqlFile(join(__dirname, 'retention.repository.sql'));
const TRY_LOCK = sqlOf(SQL, 'try_maintenance_lock');
const UNLOCK = sqlOf(SQL, 'maintenance_unlock');
const SET_RETENTION = sqlOf(SQL, 'set_retention');
const CLEAR_RETENTION = sqlOf(SQL, 'clear_retention');
const PARTITIONS = sqlOf(SQL, 'partitions');
const CREATE_PARTITION = sqlOf(SQL, 'create_partition');
const DROP_PARTITION = sqlOf(SQL, 'drop_partition');
const AGENCY_RETENTIONS = sqlOf(SQL, 'agency_retentions');
const DELETE_OLDER_THAN = sqlOf(SQL, 'delete_older_than');
const DELETE_OLDER_THAN_EXCEPT = sqlOf(SQL, 'delete_older_than_except');

const PARTITION_NAME = /^positions_p(\d{4})(\d{2})(\d{2})$/;
const LOCK_KEY = 'geo.positions maintenance';

/** `YYYY-MM-DD` (UTC) of a day. */
export function dayKey(day: Date): string {
  return day.toISOString().slice(0, 10);
}

export function partitionName(day: Date): string {
  return `positions_p${dayKey(day).replaceAll('-', '')}`;
}

/** The UTC day a partition name covers, or undefined for other tables. */
export function dayOfPartition(name: string): Date | undefined {
  const match = PARTITION_NAME.exec(name);
  return match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : undefined;
}

/** The operations the maintenance job runs while holding the maintenance lock. */
export interface MaintenanceSession {
  partitions(): Promise<string[]>;
  createPartition(day: Date): Promise<boolean>;
  dropPartition(name: string): Promise<void>;
  agencyRetentions(): Promise<Array<{ agencyId: string; days: number }>>;
  deleteOlderThan(agencyId: string, cutoff: Date): Promise<number>;
  /** Deletes rows older than `cutoff` of every agency not listed. */
  deleteOlderThanExcept(cutoff: Date, agencyIds: readonly string[]): Promise<number>;
}

/**
 * The daily partitions of `geo.positions` (created and dropped by the schema owner's functions) and
 * per-agency retention.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly database: Database) {}

  /**
   * Runs `fn` holding a session advisory lock, so one replica maintains partitions at a time.
   * Returns undefined when another replica holds it.
   */
  async withMaintenanceLock<T>(
    fn: (session: MaintenanceSession) => Promise<T>,
  ): Promise<T | undefined> {
    const client = await this.database.connect();
    try {
      const [locked] = await queryRows<{ locked: boolean }>(client, {
        text: TRY_LOCK,
        values: [LOCK_KEY],
      });
      if (!locked?.locked) {
        return undefined;
      }
      try {
        return await fn(this.session(client));
      } finally {
        await queryResult(client, { text: UNLOCK, values: [LOCK_KEY] });
      }
    } finally {
      client.release();
    }
  }

  async setRetention(agencyId: string, days: number): Promise<void> {
    await this.database.result({ text: SET_RETENTION, values: [agencyId, days] });
  }

  async clearRetention(agencyId: string): Promise<void> {
    await this.database.result({ text: CLEAR_RETENTION, values: [agencyId] });
  }

  private session(client: PoolClient): MaintenanceSession {
    return {
      partitions: async () => {
        const rows = await queryRows<{ name: string }>(client, { text: PARTITIONS });
        return rows.map((row) => row.name);
      },
      createPartition: async (day) => {
        // As the schema owner (SECURITY DEFINER): the runtime role has DML only (ADR 0025).
        const [created] = await queryRows<{ created: boolean }>(client, {
          text: CREATE_PARTITION,
          values: [dayKey(day)],
        });
        return Boolean(created?.created);
      },
      dropPartition: async (name) => {
        if (!PARTITION_NAME.test(name)) {
          throw new Error(`not a positions partition: ${name}`);
        }
        await queryResult(client, { text: DROP_PARTITION, values: [name] });
      },
      agencyRetentions: async () => {
        const rows = await queryRows<{ agency_id: string; days: number }>(client, {
          text: AGENCY_RETENTIONS,
        });
        return rows.map((row) => ({ agencyId: row.agency_id, days: row.days }));
      },
      deleteOlderThan: async (agencyId, cutoff) => {
        const result = await queryResult(client, {
          text: DELETE_OLDER_THAN,
          values: [agencyId, cutoff],
        });
        return result.rowCount ?? 0;
      },
      deleteOlderThanExcept: async (cutoff, agencyIds) => {
        const result = await queryResult(client, {
          text: DELETE_OLDER_THAN_EXCEPT,
          values: [cutoff, [...agencyIds]],
        });
        return result.rowCount ?? 0;
      },
    };
  }
}
