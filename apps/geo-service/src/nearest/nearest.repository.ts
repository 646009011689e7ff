import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { pgPoolOf, queryRows, type NamedQuery } from '../database/pg-pool';
import { loadSqlFile, sqlOf } from '../database/sql-file';

const SQL = loadSqlFile(join(__dirname, 'nearest.repository.sql'));
const NEAREST_AVAILABLE = sqlOf(SQL, 'nearest_available');
const NEAREST_EXCLUDED = sqlOf(SQL, 'nearest_excluded');

/** "No radius": more than half the Earth's circumference. */
export const UNBOUNDED_RADIUS_M = 20_100_000;

export interface NearestSearch {
  agencyId: string;
  lon: number;
  lat: number;
  limit: number;
  capabilities: readonly string[];
  /** Fixes older than this are stale; `null` = any age. */
  oldest: Date | null;
  radiusM: number;
}

export interface NearestRow {
  unit_id: string;
  call_sign: string | null;
  capabilities: string[];
  lon: number;
  lat: number;
  recorded_at: Date;
  distance_m: number;
  age_s: number;
}

export interface ExclusionRow {
  unknown_status: number;
  busy: number;
  missing_capability: number;
  stale: number;
}

/**
 * Pooled connections on which JIT is off. PostgreSQL compiles a query with JIT when its estimated
 * cost exceeds `jit_above_cost` (100,000). The KNN scan's estimate grows with the radius and the
 * agency's units (the planner expects ~10 matching rows and prices the whole index), so custom
 * plans with a wide or no radius (every execution until the generic plan takes over, and again
 * whenever the plan is replanned) spent 150-250 ms compiling a query that reads 5 index entries
 * in 0.3 ms (see the Geo section of docs/benchmarks.md). These short lookups never gain from JIT.
 */
const jitDisabled = new WeakSet<object>();

async function queryWithoutJit<R extends QueryResultRow>(
  pool: Pool,
  query: NamedQuery,
): Promise<R[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    if (!jitDisabled.has(client)) {
      await client.query('SET jit = off');
      jitDisabled.add(client);
    }
    return await queryRows<R>(client, query);
  } catch (error) {
    broken = !jitDisabled.has(client);
    throw error;
  } finally {
    client.release(broken);
  }
}

/** KNN queries as named prepared statements (nearest.repository.sql), with JIT off. */
@Injectable()
export class NearestRepository {
  constructor(private readonly dataSource: DataSource) {}

  async nearestAvailable(search: NearestSearch): Promise<NearestRow[]> {
    return queryWithoutJit<NearestRow>(pgPoolOf(this.dataSource), {
      name: 'geo_nearest_available_v1',
      text: NEAREST_AVAILABLE,
      values: [
        search.agencyId,
        search.lon,
        search.lat,
        search.limit,
        search.capabilities,
        search.oldest ?? '-infinity',
        search.radiusM,
      ],
    });
  }

  /** Reasons units within `boundM` were left out, scanning at most `scanLimit` units. */
  async exclusions(
    search: NearestSearch,
    boundM: number,
    scanLimit: number,
  ): Promise<ExclusionRow> {
    const rows = await queryWithoutJit<ExclusionRow>(pgPoolOf(this.dataSource), {
      name: 'geo_nearest_excluded_v1',
      text: NEAREST_EXCLUDED,
      values: [
        search.agencyId,
        search.lon,
        search.lat,
        scanLimit,
        search.capabilities,
        search.oldest ?? '-infinity',
        boundM,
      ],
    });
    return rows[0];
  }
}
