import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { pointInputSchema, pointSchema } from '../geo/geojson.schema';
import { bboxSchema } from './positions.schema';

export const incidentPrioritySchema = z.enum(['P1', 'P2', 'P3', 'P4']);
export const incidentStatusSchema = z.enum([
  'new',
  'dispatched',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
]);
export type IncidentPriority = z.infer<typeof incidentPrioritySchema>;
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

/**
 * `POST /v1/incidents`. `priority` may be left out when `type` is a code of the agency's incident
 * type catalogue (its default priority applies).
 */
export const createIncidentRequestSchema = z.strictObject({
  type: text().trim().min(1).max(64),
  priority: incidentPrioritySchema.optional(),
  location: pointInputSchema,
  address: text().trim().max(500).optional(),
  description: text().trim().max(4000).optional(),
});
export type CreateIncidentRequest = z.infer<typeof createIncidentRequestSchema>;

/** A disposition code of the agency's list (agency settings `dispositionCodes`). */
export const dispositionCodeSchema = text()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and "_"');

export const incidentDispositionSchema = z.object({
  code: text(),
  summary: text().nullable(),
  by: text(),
  at: timestamp(),
});
export type IncidentDisposition = z.infer<typeof incidentDispositionSchema>;

/**
 * How an incident's zone was found when it was created or moved: `geofence` a zone geofence of the
 * agency (kind `zone`) contains the location; `cell` none does, so the geohash-5 cell (~5 km) of
 * the location is the zone; `unresolved` geo-service did not answer in time, so the cell is used.
 */
export const incidentZoneSourceSchema = z.enum(['geofence', 'cell', 'unresolved']);
export type IncidentZoneSource = z.infer<typeof incidentZoneSourceSchema>;

/** The zone an incident is reported under (response-time figures `zone`). */
export const incidentZoneSchema = z.object({
  /** The zone geofence (`null` for a cell). */
  id: z.uuid().nullable(),
  /** The zone geofence's name, or the geohash-5 cell of the location. */
  name: text(),
  source: incidentZoneSourceSchema,
});
export type IncidentZone = z.infer<typeof incidentZoneSchema>;

export const incidentSchema = z.object({
  id: text().uuid(),
  agencyId: text(),
  type: text(),
  priority: incidentPrioritySchema,
  status: incidentStatusSchema,
  location: pointSchema,
  address: text().nullable(),
  description: text().nullable(),
  createdBy: text(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
  /** Optimistic-concurrency version; the `ETag` is `"<version>"`. */
  version: num().int().min(1).optional(),
  /** How the incident ended (set when it is closed, or cancelled with a disposition). */
  disposition: incidentDispositionSchema.nullable().optional(),
  /** The primary incident this one was merged into as a duplicate. */
  mergedIntoId: z.uuid().nullable().optional(),
  /** The incident this one was split off. */
  splitFromId: z.uuid().nullable().optional(),
  /** The zone the incident is reported under (the agency's zone geofence at its location). */
  zone: incidentZoneSchema.optional(),
});
export type Incident = z.infer<typeof incidentSchema>;

/** `PATCH /v1/incidents/{id}` (needs `If-Match`). `null` clears address or description. */
export const updateIncidentRequestSchema = z
  .strictObject({
    type: text().trim().min(1).max(64).optional(),
    priority: incidentPrioritySchema.optional(),
    location: pointInputSchema.optional(),
    address: text().trim().max(500).nullable().optional(),
    description: text().trim().max(4000).nullable().optional(),
    /** Why the change was made (kept in the timeline). */
    reason: text().trim().min(1).max(500).optional(),
  })
  .refine((value) => Object.keys(value).some((key) => key !== 'reason'), {
    message: 'nothing to update',
  });
export type UpdateIncidentRequest = z.infer<typeof updateIncidentRequestSchema>;

/**
 * `POST /v1/incidents/{id}/status`. Closing (`closed`) needs a `disposition` code of the agency's
 * list (422 `disposition_required` / `disposition_unknown` naming the allowed codes); a
 * cancellation may carry one. `summary` goes with the disposition.
 */
export const changeIncidentStatusRequestSchema = z.strictObject({
  status: incidentStatusSchema,
  reason: text().trim().min(1).max(500).optional(),
  disposition: dispositionCodeSchema.optional(),
  summary: text().trim().min(1).max(4000).optional(),
});
export type ChangeIncidentStatusRequest = z.infer<typeof changeIncidentStatusRequestSchema>;

const csvOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part.length > 0)
        : value,
    z.array(item).min(1).max(20),
  );

/** Query of `GET /v1/incidents`: newest first, cursor pagination. */
export const listIncidentsQuerySchema = z.strictObject({
  status: csvOf(incidentStatusSchema).optional(),
  priority: csvOf(incidentPrioritySchema).optional(),
  type: text().trim().min(1).max(64).optional(),
  /** Created at or after (inclusive). */
  from: timestamp().optional(),
  /** Created before (exclusive). */
  to: timestamp().optional(),
  /** `minLon,minLat,maxLon,maxLat` (WGS84). */
  bbox: bboxSchema.optional(),
  limit: queryNumber(num().int().min(1).max(200).default(50)),
  cursor: text().min(1).max(300).optional(),
});
export type ListIncidentsQuery = z.infer<typeof listIncidentsQuerySchema>;

export const incidentListSchema = z.object({
  items: z.array(incidentSchema),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: text().optional(),
});
export type IncidentList = z.infer<typeof incidentListSchema>;

export const timelineEntryKindSchema = z.enum([
  'incident.created',
  'incident.updated',
  'incident.status_changed',
  'assignment.recommended',
  'assignment.created',
  'assignment.updated',
  'call.linked',
  'note.added',
  'incident.merged',
  'incident.split',
  'plan.dispatched',
]);
export type TimelineEntryKind = z.infer<typeof timelineEntryKindSchema>;

/** One append-only entry of an incident's timeline: what changed, who did it and why. */
export const timelineEntrySchema = z.object({
  id: text(),
  incidentId: text(),
  kind: timelineEntryKindSchema,
  at: timestamp(),
  actor: z.object({ kind: text(), id: text() }),
  /** Human-readable summary ("suggested U12 at 850 m; dispatcher chose U12"). */
  message: text(),
  reason: text().nullable(),
  /** Structured detail (changed fields, statuses, recommendation...). */
  detail: z.record(text(), z.unknown()),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const incidentTimelineSchema = z.object({ items: z.array(timelineEntrySchema) });
export type IncidentTimeline = z.infer<typeof incidentTimelineSchema>;
