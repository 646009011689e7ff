import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';
import { incidentPrioritySchema, incidentZoneSourceSchema } from './incidents.schema';

/**
 * The milestones of an incident, from its timeline: the first call received (linked calls), the
 * incident created, the first unit dispatched, the first unit en route, the first unit on scene,
 * and the incident cleared (first resolved or closed). `null` while not reached.
 */
export const responseMilestonesSchema = z.object({
  callReceivedAt: timestamp().nullable(),
  createdAt: timestamp(),
  firstDispatchAt: timestamp().nullable(),
  firstEnRouteAt: timestamp().nullable(),
  firstOnSceneAt: timestamp().nullable(),
  clearedAt: timestamp().nullable(),
});
export type ResponseMilestones = z.infer<typeof responseMilestonesSchema>;

/** The intervals the figures are made of (seconds); `response` runs from the call (or creation) to on scene. */
export const responseIntervalSchema = z.enum([
  'callToCreate',
  'createToDispatch',
  'dispatchToEnRoute',
  'enRouteToOnScene',
  'response',
  'onSceneToCleared',
]);
export type ResponseInterval = z.infer<typeof responseIntervalSchema>;

/** `GET /v1/incidents/{id}/response-times`. */
export const incidentResponseTimesSchema = z.object({
  incidentId: z.uuid(),
  priority: incidentPrioritySchema,
  type: text(),
  /** The agency's zone geofence containing the location (its name), else its geohash-5 cell. */
  zone: text(),
  /** The zone geofence (`null` for a cell). */
  zoneId: z.uuid().nullable().optional(),
  /** How the zone was found (`unresolved`: geo-service did not answer, the cell is used). */
  zoneSource: incidentZoneSourceSchema.optional(),
  milestones: responseMilestonesSchema,
  /** Seconds per interval (absent while one of its ends is missing). */
  intervalsS: z.partialRecord(responseIntervalSchema, num()),
  /** The agency's target for the priority (seconds, call or creation to first on scene). */
  targetS: num(),
  /** `null` while no unit is on scene. */
  withinTarget: z.boolean().nullable(),
});
export type IncidentResponseTimes = z.infer<typeof incidentResponseTimesSchema>;

const csvOf = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part.length > 0)
        : value,
    z.array(item).min(1).max(max),
  );

export const responseGroupBySchema = z.enum(['priority', 'type', 'zone', 'period']);
export type ResponseGroupBy = z.infer<typeof responseGroupBySchema>;
export const responsePeriodSchema = z.enum(['hour', 'day', 'week', 'month']);

/** Filters shared by the figures and the CSV export: incidents created in `[from, to)`. */
const responseFilters = {
  from: timestamp(),
  to: timestamp(),
  priority: csvOf(incidentPrioritySchema, 4).optional(),
  type: text().trim().min(1).max(64).optional(),
  /**
   * A zone: the name of one of the agency's zone geofences, or a geohash-5 cell (~5 km) for
   * incidents no zone contained.
   */
  zone: text().trim().min(1).max(200).optional(),
};

/** Query of `GET /v1/reports/response-times` (at most 400 days). */
export const responseFiguresQuerySchema = z
  .strictObject({
    ...responseFilters,
    /** Dimensions to group by (`priority,type`); none = one group for everything. */
    groupBy: csvOf(responseGroupBySchema, 4).optional(),
    /** Period size when grouping by `period` (in the agency's time zone). */
    period: responsePeriodSchema.default('day'),
  })
  .refine((value) => Date.parse(value.from) < Date.parse(value.to), {
    message: 'from must be before to',
    path: ['to'],
  })
  .refine((value) => Date.parse(value.to) - Date.parse(value.from) <= 400 * 86_400_000, {
    message: 'at most 400 days',
    path: ['to'],
  });
export type ResponseFiguresQuery = z.infer<typeof responseFiguresQuerySchema>;

/** Query of `GET /v1/reports/response-times/export` (CSV, one row per incident, any range). */
export const responseExportQuerySchema = z
  .strictObject(responseFilters)
  .refine((value) => Date.parse(value.from) < Date.parse(value.to), {
    message: 'from must be before to',
    path: ['to'],
  });
export type ResponseExportQuery = z.infer<typeof responseExportQuerySchema>;

export const intervalFiguresSchema = z.object({
  /** Incidents that reached both ends of the interval. */
  count: num().int(),
  medianS: num().nullable(),
  p90S: num().nullable(),
});
export type IntervalFigures = z.infer<typeof intervalFiguresSchema>;

export const responseFigureGroupSchema = z.object({
  /** The group's values of the `groupBy` dimensions (`period` is the period's start). */
  key: z.object({
    priority: incidentPrioritySchema.optional(),
    type: text().optional(),
    zone: text().optional(),
    period: timestamp().optional(),
  }),
  /** Incidents created in the range (and the group). */
  count: num().int(),
  /** One entry per interval (named properties, so the published schema defines each). */
  intervals: z.object({
    callToCreate: intervalFiguresSchema,
    createToDispatch: intervalFiguresSchema,
    dispatchToEnRoute: intervalFiguresSchema,
    enRouteToOnScene: intervalFiguresSchema,
    response: intervalFiguresSchema,
    onSceneToCleared: intervalFiguresSchema,
  }),
  /** Incidents with a unit on scene within the agency's target for their priority / those with one on scene. */
  withinTarget: z.object({ count: num().int(), share: num().nullable() }),
});
export type ResponseFigureGroup = z.infer<typeof responseFigureGroupSchema>;

export const responseFiguresSchema = z.object({
  from: timestamp(),
  to: timestamp(),
  groupBy: z.array(responseGroupBySchema),
  /** The agency's targets used (seconds per priority). */
  targetsS: z.object({ P1: num(), P2: num(), P3: num(), P4: num() }),
  groups: z.array(responseFigureGroupSchema),
});
export type ResponseFigures = z.infer<typeof responseFiguresSchema>;

/** Columns of the CSV export, in order. */
export const RESPONSE_EXPORT_COLUMNS = [
  'incident_id',
  'priority',
  'type',
  'zone',
  'call_received_at',
  'created_at',
  'first_dispatch_at',
  'first_en_route_at',
  'first_on_scene_at',
  'cleared_at',
  'response_s',
  'within_target',
] as const;
