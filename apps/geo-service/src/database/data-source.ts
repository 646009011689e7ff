import { CreateGeoSchema1732300000000 } from './migrations/1732300000000-create-geo-schema';

/** The schema geo-service owns. */
export const GEO_SCHEMA = 'geo';

/** Migrations of the `geo` schema, in order. */
export const geoMigrations = [CreateGeoSchema1732300000000];
