import { join } from 'node:path';
import { Database, loadSqlFile, queryRows, sqlOf } from '@gad/platform';

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
  /** Fixes older than this are stale. */
  oldest: Date;
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
 * KNN queries as named prepared statements (nearest.repository.sql), on whichever pool `database`
 * is: geo-service's own, or the api-gateway's read-only pool (`GeoReadModule`, docs/adr/0032).
 * JIT is off on every connection (`createDataSource`): compiling these 0.3 ms lookups cost
 * 150-600 ms (docs/benchmarks.md, Geo).
 */
export class NearestRepository {
  constructor(private readonly database: Pick<Database, 'pool'>) {}

  async nearestAvailable(search: NearestSearch): Promise<NearestRow[]> {
    return queryRows<NearestRow>(this.database.pool, {
      name: 'geo_nearest_available_v1',
      text: NEAREST_AVAILABLE,
      values: [
        search.agencyId,
        search.lon,
        search.lat,
        search.limit,
        search.capabilities,
        search.oldest,
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
    const rows = await queryRows<ExclusionRow>(this.database.pool, {
      name: 'geo_nearest_excluded_v1',
      text: NEAREST_EXCLUDED,
      values: [
        search.agencyId,
        search.lon,
        search.lat,
        scanLimit,
        search.capabilities,
        search.oldest,
        boundM,
      ],
    });
    return rows[0];
  }
}
