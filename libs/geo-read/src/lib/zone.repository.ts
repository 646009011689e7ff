import { join } from 'node:path';
import { Database, loadSqlFile, queryRows, sqlOf } from '@gad/platform';

const ZONE_AT = sqlOf(loadSqlFile(join(__dirname, 'zone.repository.sql')), 'zone_at');

export interface ZoneRow {
  id: string;
  name: string;
}

/**
 * The zone lookup as a named prepared statement (zone.repository.sql), on whichever pool
 * `database` is: geo-service's own, or api-gateway's read-only pool (`GeoReadModule`,
 * docs/adr/0036).
 */
export class ZoneRepository {
  constructor(private readonly database: Pick<Database, 'pool'>) {}

  /** The agency's zone containing a point (the smallest of overlapping ones), if any. */
  async zoneAt(agencyId: string, lon: number, lat: number): Promise<ZoneRow | undefined> {
    const rows = await queryRows<ZoneRow>(this.database.pool, {
      name: 'geo_geofence_zone_at_v1',
      text: ZONE_AT,
      values: [agencyId, lon, lat],
    });
    return rows[0];
  }
}
