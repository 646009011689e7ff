import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import {
  latitudeSchema,
  longitudeSchema,
  pointInputSchema,
  pointSchema,
  positionSchema,
} from '../geo/geojson.schema';

/** How much a hazard matters to the crew going there. */
export const hazardSeveritySchema = z.enum(['info', 'caution', 'danger']);
export type HazardSeverity = z.infer<typeof hazardSeveritySchema>;

/** A closed ring of at least four positions (first = last), at most 1000. */
const ringSchema = z
  .array(positionSchema)
  .min(4)
  .max(1000)
  .refine(
    (ring) => {
      const first = ring[0];
      const last = ring[ring.length - 1];
      return (
        first !== undefined && last !== undefined && first[0] === last[0] && first[1] === last[1]
      );
    },
    { message: 'a ring must be closed (first position = last position)' },
  );

/** A premise polygon (GeoJSON, one outer ring, holes allowed). */
export const hazardPolygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(ringSchema).min(1).max(20),
});

/** Where a hazard applies: an address point (with `radiusM`) or a polygon. */
export const hazardAreaSchema = z.discriminatedUnion('type', [pointSchema, hazardPolygonSchema]);
export type HazardArea = z.infer<typeof hazardAreaSchema>;

/** The area in a request: unknown keys refused (422), as in every request object. */
export const hazardAreaInputSchema = z.discriminatedUnion('type', [
  pointInputSchema,
  z.strictObject(hazardPolygonSchema.shape),
]);

/**
 * `POST /v1/hazards`: premise and hazard information of the agency ("dog on premises", "oxygen in
 * use"), attached to an address point (matched within `radiusM`, 25 m by default) or a polygon
 * (matched inside, plus `radiusM`, 0 by default).
 */
export const createHazardRequestSchema = z.strictObject({
  title: text().trim().min(1).max(200),
  details: text().trim().max(2000).optional(),
  severity: hazardSeveritySchema.default('caution'),
  address: text().trim().max(500).optional(),
  area: hazardAreaInputSchema,
  radiusM: num().min(0).max(5_000).optional(),
  /** No longer shown nor sent from this moment (a temporary hazard). */
  expiresAt: timestamp().optional(),
});
export type CreateHazardRequest = z.input<typeof createHazardRequestSchema>;

/** `PATCH /v1/hazards/{id}`: the fields to replace; `null` clears details, address or expiry. */
export const updateHazardRequestSchema = z
  .strictObject({
    title: text().trim().min(1).max(200).optional(),
    details: text().trim().max(2000).nullable().optional(),
    severity: hazardSeveritySchema.optional(),
    address: text().trim().max(500).nullable().optional(),
    area: hazardAreaInputSchema.optional(),
    radiusM: num().min(0).max(5_000).optional(),
    expiresAt: timestamp().nullable().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type UpdateHazardRequest = z.infer<typeof updateHazardRequestSchema>;

export const hazardSchema = z.object({
  id: z.uuid(),
  agencyId: text(),
  title: text(),
  details: text().nullable(),
  severity: hazardSeveritySchema,
  address: text().nullable(),
  area: hazardAreaSchema,
  radiusM: num(),
  expiresAt: timestamp().nullable(),
  createdBy: text(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type Hazard = z.infer<typeof hazardSchema>;

/** Query of `GET /v1/hazards`: the agency's current hazards, or those that apply at a point. */
export const listHazardsQuerySchema = z.strictObject({
  lon: queryNumber(longitudeSchema).optional(),
  lat: queryNumber(latitudeSchema).optional(),
  limit: queryNumber(num().int().min(1).max(500).default(100)),
  /** The `id` of the last hazard of the previous page. */
  cursor: z.uuid().optional(),
});
export type ListHazardsQuery = z.infer<typeof listHazardsQuerySchema>;

export const hazardListSchema = z.object({
  items: z.array(hazardSchema),
  nextCursor: text().optional(),
});
export type HazardList = z.infer<typeof hazardListSchema>;

/**
 * What travels with a recommendation and a dispatch command: the hazards that apply at the
 * incident's location, most severe first (at most 20).
 */
export const hazardNoticeSchema = z.object({
  id: z.uuid(),
  title: text().max(200),
  details: text().max(2000).optional(),
  severity: hazardSeveritySchema,
  address: text().max(500).optional(),
});
export type HazardNotice = z.infer<typeof hazardNoticeSchema>;
export const hazardNoticesSchema = z.array(hazardNoticeSchema).max(20);

export const incidentHazardsSchema = z.object({ items: z.array(hazardSchema) });
export type IncidentHazards = z.infer<typeof incidentHazardsSchema>;
