import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import { nearestUnitsQuerySchema, nearestUnitsResponseSchema } from '../http/nearest.schema';

/** RPC `geo.nearest` on `gad:rpc:geo-service`: the caller's agency scopes the search. */
export const geoNearestRequestSchema = nearestUnitsQuerySchema.extend({
  agencyId: text().min(1),
});
export type GeoNearestRequest = z.infer<typeof geoNearestRequestSchema>;
export const geoNearestResponseSchema = nearestUnitsResponseSchema;
export type GeoNearestResponse = z.infer<typeof geoNearestResponseSchema>;
