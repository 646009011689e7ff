import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { positionSchema } from '../geo/geojson.schema';

/** `zone` (standing area), `restricted_area` (units must not enter), `perimeter` (temporary, tied to an incident). */
export const geofenceKindSchema = z.enum(['zone', 'restricted_area', 'perimeter']);
export type GeofenceKind = z.infer<typeof geofenceKindSchema>;

/**
 * Rings are only checked for shape here; closure, ring size, vertex limit and validity
 * (`ST_IsValid`) are checked by geo-service, which answers `invalid_geometry` (422) with a reason.
 */
const ringSchema = z.array(positionSchema).min(1);

export const geofencePolygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(ringSchema).min(1),
});
export const geofenceMultiPolygonSchema = z.object({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(ringSchema).min(1)).min(1),
});
export const geofenceGeometrySchema = z.discriminatedUnion('type', [
  geofencePolygonSchema,
  geofenceMultiPolygonSchema,
]);
export type GeofenceGeometry = z.infer<typeof geofenceGeometrySchema>;

/** The geometry in a request: unknown keys refused (422), as in every request object. */
export const geofenceGeometryInputSchema = z.discriminatedUnion('type', [
  z.strictObject(geofencePolygonSchema.shape),
  z.strictObject(geofenceMultiPolygonSchema.shape),
]);

const seconds = num()
  .int()
  .min(0)
  .max(7 * 86_400);

/** Body of `POST /v1/geofences`. */
export const createGeofenceRequestSchema = z.strictObject({
  name: text().trim().min(1).max(200),
  kind: geofenceKindSchema,
  geometry: geofenceGeometryInputSchema,
  /** Required for `perimeter`. */
  incidentId: text().min(1).max(100).optional(),
  /** Hysteresis: time a unit must stay inside before `geofence.entered` fires. */
  minInsideS: seconds.default(0),
  /** Hysteresis: time a unit must stay outside before `geofence.exited` fires. */
  minOutsideS: seconds.default(0),
  /** `geofence.dwell` fires once per stay when a unit is inside this long. */
  dwellThresholdS: seconds.min(1).optional(),
  /** Fixes whose accuracy radius is worse (larger) than this are ignored for this fence. */
  accuracyMarginM: num().min(0).max(100_000).optional(),
  /** The fence stops being evaluated at this time (perimeters). */
  expiresAt: timestamp().optional(),
});
export type CreateGeofenceRequest = z.infer<typeof createGeofenceRequestSchema>;

/** Body of `PATCH /v1/geofences/:id`: any subset; `null` clears an optional setting. */
export const updateGeofenceRequestSchema = z.strictObject({
  name: text().trim().min(1).max(200).optional(),
  geometry: geofenceGeometryInputSchema.optional(),
  minInsideS: seconds.optional(),
  minOutsideS: seconds.optional(),
  dwellThresholdS: seconds.min(1).nullable().optional(),
  accuracyMarginM: num().min(0).max(100_000).nullable().optional(),
  expiresAt: timestamp().nullable().optional(),
  /** Optimistic concurrency: fails with `geofence_version_conflict` when the fence changed since. */
  expectedVersion: num().int().min(1).optional(),
});
export type UpdateGeofenceRequest = z.infer<typeof updateGeofenceRequestSchema>;

/** Query string of `GET /v1/geofences`. */
export const listGeofencesQuerySchema = z.strictObject({
  kind: geofenceKindSchema.optional(),
  incidentId: text().min(1).max(100).optional(),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: text().min(1).max(200).optional(),
  limit: queryNumber(num().int().min(1).max(500).default(100)),
});
export type ListGeofencesQuery = z.infer<typeof listGeofencesQuerySchema>;

export const geofenceSchema = z.object({
  id: text().uuid(),
  agencyId: text(),
  name: text(),
  kind: geofenceKindSchema,
  incidentId: text().nullable(),
  geometry: geofenceGeometrySchema,
  vertexCount: num().int(),
  minInsideS: num().int(),
  minOutsideS: num().int(),
  dwellThresholdS: num().int().nullable(),
  accuracyMarginM: num().nullable(),
  expiresAt: timestamp().nullable(),
  version: num().int(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type Geofence = z.infer<typeof geofenceSchema>;

export const geofenceListResponseSchema = z.object({
  items: z.array(geofenceSchema),
  nextCursor: text().optional(),
});
export type GeofenceListResponse = z.infer<typeof geofenceListResponseSchema>;
