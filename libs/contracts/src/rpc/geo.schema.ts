import { z } from 'zod';
import { text, num } from '../primitives/primitives.schema';
import {
  createGeofenceRequestSchema,
  listGeofencesQuerySchema,
  updateGeofenceRequestSchema,
} from '../http/geofences.schema';
import {
  positionsBatchRequestSchema,
  positionsInBboxQuerySchema,
  unitTrackQuerySchema,
} from '../http/positions.schema';

/**
 * RPCs served by geo-service on `gad:rpc:geo-service` (`rpcStreamOf(GEO_RPC_SERVICE)`). Each
 * request is the HTTP DTO plus the caller's `agencyId` (and path ids), so a REST controller forwards
 * it 1:1; replies are the HTTP response DTOs. `geo.nearest` is in `geo-nearest.schema.ts`.
 */
export const GEO_RPC_SERVICE = 'geo-service';

export const GeoRpcPatterns = {
  Nearest: 'geo.nearest',
  PositionsIngest: 'geo.positions.ingest',
  PositionsInBbox: 'geo.positions.bbox',
  UnitTrack: 'geo.units.track',
  GeofenceCreate: 'geo.geofences.create',
  GeofenceGet: 'geo.geofences.get',
  GeofenceList: 'geo.geofences.list',
  GeofenceUpdate: 'geo.geofences.update',
  GeofenceDelete: 'geo.geofences.delete',
  /** -> `GeoGeofenceUnitsInsideReply`: the units inside a zone now (all-calls to a zone). */
  GeofenceUnitsInside: 'geo.geofences.units_inside',
  /** -> `GeoGeofenceZoneAtReply`: the agency's zone geofence containing a point (incident zones). */
  GeofenceZoneAt: 'geo.geofences.zone_at',
  RetentionSet: 'geo.retention.set',
} as const;

/** Error codes geo-service RPCs reply with (and the HTTP status a gateway maps them to). */
export const GeoErrorCode = {
  /** 422 (platform `ValidationException`): the request does not match its schema. */
  ValidationFailed: 'validation_failed',
  /** 422: polygon not closed, too few or too many vertices, or `ST_IsValid` false (reason in message). */
  InvalidGeometry: 'invalid_geometry',
  /** 404 */
  GeofenceNotFound: 'geofence_not_found',
  /** 409: `expectedVersion` differs from the stored version. */
  GeofenceVersionConflict: 'geofence_version_conflict',
  /** 422: `kind: perimeter` without `incidentId`. */
  PerimeterRequiresIncident: 'perimeter_requires_incident',
  /** 400: `cursor` of `geo.geofences.list` is not one this service issued. */
  InvalidCursor: 'invalid_cursor',
} as const;
export type GeoErrorCodeValue = (typeof GeoErrorCode)[keyof typeof GeoErrorCode];

const agencyIdSchema = text().min(1).max(100);

/** `geo.positions.ingest` -> `PositionsIngestResult`. */
export const geoPositionsIngestRequestSchema = positionsBatchRequestSchema.extend({
  agencyId: agencyIdSchema,
});
export type GeoPositionsIngestRequest = z.infer<typeof geoPositionsIngestRequestSchema>;

/** `geo.positions.bbox` -> `PositionsInBboxResponse`. */
export const geoPositionsInBboxRequestSchema = positionsInBboxQuerySchema.extend({
  agencyId: agencyIdSchema,
});
export type GeoPositionsInBboxRequest = z.infer<typeof geoPositionsInBboxRequestSchema>;

/** `geo.units.track` -> `UnitTrackResponse`. */
export const geoUnitTrackRequestSchema = unitTrackQuerySchema.extend({
  agencyId: agencyIdSchema,
  unitId: text().min(1).max(100),
});
export type GeoUnitTrackRequest = z.infer<typeof geoUnitTrackRequestSchema>;

/** `geo.geofences.create` -> `Geofence`. A `perimeter` needs `incidentId`. */
export const geoGeofenceCreateRequestSchema = createGeofenceRequestSchema.extend({
  agencyId: agencyIdSchema,
});
export type GeoGeofenceCreateRequest = z.infer<typeof geoGeofenceCreateRequestSchema>;

/** `geo.geofences.get` -> `Geofence`. */
export const geoGeofenceGetRequestSchema = z.strictObject({
  agencyId: agencyIdSchema,
  id: text().uuid(),
});
export type GeoGeofenceGetRequest = z.infer<typeof geoGeofenceGetRequestSchema>;

/** `geo.geofences.units_inside`: a zone of the caller's agency (`geofence_not_found` otherwise). */
export const geoGeofenceUnitsInsideRequestSchema = geoGeofenceGetRequestSchema;
export const geoGeofenceUnitsInsideReplySchema = z.object({
  /** Units whose membership state is `inside` (hysteresis applied), by id. */
  unitIds: z.array(text()),
});
export type GeoGeofenceUnitsInsideReply = z.infer<typeof geoGeofenceUnitsInsideReplySchema>;

/**
 * `geo.geofences.zone_at`: the agency's geofence of kind `zone` (not expired) containing a point;
 * the smallest when zones overlap (a beat inside a district), `null` when none does.
 */
export const geoGeofenceZoneAtRequestSchema = z.strictObject({
  agencyId: agencyIdSchema,
  lon: num().min(-180).max(180),
  lat: num().min(-90).max(90),
});
export type GeoGeofenceZoneAtRequest = z.infer<typeof geoGeofenceZoneAtRequestSchema>;
export const geoGeofenceZoneAtReplySchema = z.object({
  zone: z.object({ id: z.uuid(), name: text() }).nullable(),
});
export type GeoGeofenceZoneAtReply = z.infer<typeof geoGeofenceZoneAtReplySchema>;

/** `geo.geofences.list` -> `GeofenceListResponse`. */
export const geoGeofenceListRequestSchema = listGeofencesQuerySchema.extend({
  agencyId: agencyIdSchema,
});
export type GeoGeofenceListRequest = z.infer<typeof geoGeofenceListRequestSchema>;

/** `geo.geofences.update` -> `Geofence`. */
export const geoGeofenceUpdateRequestSchema = updateGeofenceRequestSchema.extend({
  agencyId: agencyIdSchema,
  id: text().uuid(),
});
export type GeoGeofenceUpdateRequest = z.infer<typeof geoGeofenceUpdateRequestSchema>;

/** `geo.geofences.delete` -> `{ deleted: true }` (or `geofence_not_found`). */
export const geoGeofenceDeleteRequestSchema = geoGeofenceGetRequestSchema;
export type GeoGeofenceDeleteRequest = z.infer<typeof geoGeofenceDeleteRequestSchema>;
export const geoGeofenceDeleteReplySchema = z.object({ deleted: z.literal(true) });

/** `geo.retention.set` -> the same object: position history kept for the agency, in days. */
export const geoRetentionSetRequestSchema = z.strictObject({
  agencyId: agencyIdSchema,
  positionRetentionDays: num().int().min(1).max(3_650),
});
export type GeoRetentionSetRequest = z.infer<typeof geoRetentionSetRequestSchema>;
