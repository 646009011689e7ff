import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';

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

/** DDL for the daily partitions of `geo.positions` and per-agency retention. */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `fn` holding a session advisory lock, so one replica maintains partitions at a time.
   * Returns undefined when another replica holds it.
   */
  async withMaintenanceLock<T>(
    fn: (session: MaintenanceSession) => Promise<T>,
  ): Promise<T | undefined> {
    const client = await pgPoolOf(this.dataSource).connect();
    try {
      const locked = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [LOCK_KEY],
      );
      if (!locked.rows[0]?.locked) {
        return undefined;
      }
      try {
        return await fn(this.session(client));
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  async setRetention(agencyId: string, days: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO geo.agency_settings (agency_id, position_retention_days)
       VALUES ($1, $2)
       ON CONFLICT (agency_id) DO UPDATE
         SET position_retention_days = EXCLUDED.position_retention_days, updated_at = now()`,
      [agencyId, days],
    );
  }

  private session(client: PoolClient): MaintenanceSession {
    return {
      partitions: async () => {
        const result = await client.query<{ name: string }>(
          `SELECT c.relname AS name
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'geo.positions'::regclass
           ORDER BY c.relname`,
        );
        return result.rows.map((row) => row.name);
      },
      createPartition: async (day) => {
        const name = partitionName(day);
        const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
          `geo.${name}`,
        ]);
        if ((exists.rows[0] as { present: boolean }).present) {
          return false;
        }
        const next = new Date(day.getTime() + 86_400_000);
        // Names and bounds come from dates formatted here, never from input.
        await client.query(
          `CREATE TABLE IF NOT EXISTS geo.${name} PARTITION OF geo.positions
           FOR VALUES FROM ('${dayKey(day)} 00:00:00+00') TO ('${dayKey(next)} 00:00:00+00')`,
        );
        return true;
      },
      dropPartition: async (name) => {
        if (!PARTITION_NAME.test(name)) {
          throw new Error(`not a positions partition: ${name}`);
        }
        await client.query(`DROP TABLE IF EXISTS geo.${name}`);
      },
      agencyRetentions: async () => {
        const result = await client.query<{ agency_id: string; days: number }>(
          `SELECT agency_id, position_retention_days AS days FROM geo.agency_settings`,
        );
        return result.rows.map((row) => ({ agencyId: row.agency_id, days: row.days }));
      },
      deleteOlderThan: async (agencyId, cutoff) => {
        const result = await client.query(
          `DELETE FROM geo.positions WHERE agency_id = $1 AND recorded_at < $2`,
          [agencyId, cutoff],
        );
        return result.rowCount ?? 0;
      },
      deleteOlderThanExcept: async (cutoff, agencyIds) => {
        const result = await client.query(
          `DELETE FROM geo.positions WHERE recorded_at < $1 AND agency_id <> ALL($2::text[])`,
          [cutoff, [...agencyIds]],
        );
        return result.rowCount ?? 0;
      },
    };
  }
}
