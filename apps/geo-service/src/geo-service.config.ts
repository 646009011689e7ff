import { geoServiceEnvSchema, loadConfig } from '@gad/config';
import { z } from 'zod';

// The schema lives in @gad/config (libs/config/src/lib/services), where docker/test reads it too.
export { geoServiceEnvSchema };

export type GeoServiceConfig = z.infer<typeof geoServiceEnvSchema>;
export const GEO_SERVICE_CONFIG = Symbol('GEO_SERVICE_CONFIG');

export function loadGeoServiceConfig(): GeoServiceConfig {
  return loadConfig('geo-service', geoServiceEnvSchema);
}
