import { z } from 'zod';
import { latitudeSchema, longitudeSchema, pointSchema } from '../geo/geojson.schema';

/** Query string of `GET /v1/units/nearest` (strings coerced). */
export const nearestUnitsQuerySchema = z.strictObject({
  lon: z.coerce.number().pipe(longitudeSchema),
  lat: z.coerce.number().pipe(latitudeSchema),
  limit: z.coerce.number().int().min(1).max(50).default(5),
  maxDistanceM: z.coerce.number().positive().max(500_000).optional(),
});
export type NearestUnitsQuery = z.infer<typeof nearestUnitsQuerySchema>;

export const nearestUnitSchema = z.object({
  unitId: z.string(),
  distanceM: z.number(),
  position: pointSchema,
  recordedAt: z.iso.datetime({ offset: true }),
});
export const nearestUnitsResponseSchema = z.object({
  items: z.array(nearestUnitSchema),
});
export type NearestUnit = z.infer<typeof nearestUnitSchema>;
export type NearestUnitsResponse = z.infer<typeof nearestUnitsResponseSchema>;
