/**
 * Geo reads shared by geo-service (its `geo.nearest` and `geo.geofences.zone_at` RPCs) and
 * api-gateway (on a read-only pool of its own): the statements, their repositories and the reads
 * themselves (docs/adr/0032, 0036).
 */
export {
  UNBOUNDED_RADIUS_M,
  NearestRepository,
  type ExclusionRow,
  type NearestRow,
  type NearestSearch,
} from './lib/nearest.repository';
export { NearestReader, type NearestReaderOptions } from './lib/nearest.reader';
export { toExclusions, toNearestUnit } from './lib/nearest.mapper';
export { ZoneRepository, type ZoneRow } from './lib/zone.repository';
export { ZoneReader } from './lib/zone.reader';
export {
  GEO_READ_CONNECTION_SETTINGS,
  GEO_READ_SCHEMA,
  GeoReadModel,
  GeoReadModule,
  type GeoReadModuleOptions,
} from './lib/geo-read.module';
