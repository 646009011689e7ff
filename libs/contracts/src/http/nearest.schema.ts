import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { latitudeSchema, longitudeSchema, pointSchema } from '../geo/geojson.schema';
import { hazardNoticesSchema } from './hazards.schema';

/** Query string of `GET /v1/units/nearest` (strings coerced). */
export const nearestUnitsQuerySchema = z.strictObject({
  lon: queryNumber(longitudeSchema),
  lat: queryNumber(latitudeSchema),
  limit: queryNumber(num().int().min(1).max(50).default(5)),
  maxDistanceM: queryNumber(num().positive().max(500_000)).optional(),
  /** Required capabilities (all of them); `"als,k9"` in a query string. */
  capabilities: z
    .preprocess(
      (value) =>
        typeof value === 'string'
          ? value
              .split(',')
              .map((part) => part.trim())
              .filter((part) => part.length > 0)
          : value,
      z.array(text().min(1).max(64)).max(20),
    )
    .optional(),
  /**
   * Leave out units whose latest fix is older than this (seconds). Not sent: geo-service's
   * `NEAREST_MAX_POSITION_AGE_S` (300 s by default), the limit the nearest dispatch strategy uses.
   */
  maxAgeS: queryNumber(num().int().min(1).max(86_400)).optional(),
});
export type NearestUnitsQuery = z.infer<typeof nearestUnitsQuerySchema>;

export const nearestUnitSchema = z.object({
  unitId: text(),
  distanceM: num(),
  position: pointSchema,
  recordedAt: timestamp(),
  /** Age of the position when answered, in seconds. */
  ageS: num().optional(),
  callSign: text().optional(),
  capabilities: z.array(text()).optional(),
});
/** Units closer than the last answered one (or within the radius) that were left out, by reason. */
export const nearestExclusionsSchema = z.object({
  /** Position older than `maxAgeS` (or the default limit when not sent). */
  stale: num().int(),
  /** Status other than `available`. */
  busy: num().int(),
  /** Lacks a required capability. */
  missingCapability: num().int(),
  /** No status known yet (no dispatch event about the unit). */
  unknownStatus: num().int(),
});
export const nearestUnitsResponseSchema = z.object({
  items: z.array(nearestUnitSchema),
  excluded: nearestExclusionsSchema.optional(),
  /** Premise and hazard information that applies at the queried point (api-gateway adds it). */
  hazards: hazardNoticesSchema.optional(),
});
export type NearestExclusions = z.infer<typeof nearestExclusionsSchema>;
export type NearestUnit = z.infer<typeof nearestUnitSchema>;
export type NearestUnitsResponse = z.infer<typeof nearestUnitsResponseSchema>;
