import { GENERIC_PLAN_SETTINGS } from '@gad/platform';
import { CreateGeoSchema1732300000000 } from './migrations/1732300000000-create-geo-schema';
import { StoreGeofencesAsGeometry1796577516000 } from './migrations/1796577516000-store-geofences-as-geometry';
import { PartitionMaintenanceAsOwner1765300000001 } from './migrations/1765300000001-partition-maintenance-as-owner';
import { GeofenceVersions1797200000000 } from './migrations/1797200000000-geofence-versions';

/** The schema geo-service owns. */
export const GEO_SCHEMA = 'geo';

/** Migrations of the `geo` schema, in order. */
export const geoMigrations = [
  CreateGeoSchema1732300000000,
  StoreGeofencesAsGeometry1796577516000,
  PartitionMaintenanceAsOwner1765300000001,
  GeofenceVersions1797200000000,
];

/**
 * Server settings of geo-service's connections. The nearest statements must always run as KNN
 * index scans. With PostgreSQL's default (`plan_cache_mode = auto`) the first five executions of a
 * prepared statement on each connection are planned for their values, and for a wide radius that
 * plan reads every available unit of the agency and sorts them (120-230 ms instead of 1 ms at 100k
 * units): after every start, a burst of requests on the fresh connections hit the RPC deadline
 * (docs/benchmarks.md, Geo). Position batches are planned for each batch instead, with its arrays in
 * view (`PositionsRepository.transaction`).
 */
export const GEO_CONNECTION_SETTINGS = GENERIC_PLAN_SETTINGS;

/**
 * Run on every pooled connection when geo-service starts (`DatabaseModule` `warmUpSql`): loads
 * PostGIS's geography functions and the units' GiST index into the backend before the first
 * request needs them.
 */
export const GEO_WARM_UP_SQL = `
SELECT ST_DWithin(ST_MakePoint(0, 0)::geography, ST_MakePoint(0, 0.001)::geography, 200, false);
SELECT unit_id FROM geo.units WHERE agency_id = ''
ORDER BY location <-> ST_MakePoint(0, 0)::geography LIMIT 1;
`;
