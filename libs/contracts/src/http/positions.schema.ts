import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { pointSchema } from '../geo/geojson.schema';

/** Largest batch of fixes accepted by `POST /v1/positions` and `geo.positions.ingest`. */
export const MAX_POSITIONS_PER_BATCH = 500;

/**
 * A point whose coordinates are only required to be finite numbers: geo-service rejects fixes
 * with out-of-range coordinates one by one (reason `out_of_range`) instead of failing the batch.
 */
export const reportedPointSchema = z.strictObject({
  type: z.literal('Point'),
  coordinates: z.tuple([num(), num()]),
});

/** One fix from a field device or tracker. Device time (`recordedAt`) orders fixes, then `seq`. */
export const positionFixSchema = z.strictObject({
  unitId: text().min(1).max(100),
  position: reportedPointSchema,
  /** Device time of the fix. */
  recordedAt: timestamp(),
  /** Per-device sequence number; breaks ties between fixes with the same device time. */
  seq: num().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Horizontal accuracy radius in metres (68 %). */
  accuracyM: num().min(0).max(1_000_000).optional(),
  speedMps: num().min(0).max(10_000).optional(),
  /** Degrees clockwise from true north. */
  headingDeg: num().min(0).max(360).optional(),
  deviceId: text().min(1).max(200).optional(),
});
export type PositionFix = z.infer<typeof positionFixSchema>;

/** Body of `POST /v1/positions` (trackers without a socket). */
export const positionsBatchRequestSchema = z.strictObject({
  positions: z.array(positionFixSchema).min(1).max(MAX_POSITIONS_PER_BATCH),
});
export type PositionsBatchRequest = z.infer<typeof positionsBatchRequestSchema>;

export const positionRejectReasonSchema = z.enum([
  /** Not an active unit of the caller's agency (REST batches; a socket reports its own unit). */
  'unknown_unit',
  'out_of_range',
  'accuracy',
  'teleport',
  'future_timestamp',
  'too_old',
]);
export type PositionRejectReason = z.infer<typeof positionRejectReasonSchema>;

/** What happened to a batch: every fix is counted exactly once. */
export const positionsIngestResultSchema = z.object({
  /** Stored in the history (includes `late`). */
  accepted: num().int(),
  /** Stored in the history but older than the unit's latest fix, so the latest was kept. */
  late: num().int(),
  /** Already stored (same unit, device time and sequence) or repeated in the batch. */
  duplicates: num().int(),
  rejected: z.array(
    z.object({
      /** Index of the fix in the request. */
      index: num().int(),
      unitId: text(),
      reason: positionRejectReasonSchema,
    }),
  ),
});
export type PositionsIngestResult = z.infer<typeof positionsIngestResultSchema>;

/**
 * `[minLon, minLat, maxLon, maxLat]` (RFC 7946 §5 bbox): a plain longitude/latitude rectangle,
 * edges included, of any size up to the whole world (`-180,-90,180,90`). `minLon > maxLon` means
 * the box crosses the antimeridian (RFC 7946 §5.2: `170,-20,-170,-10` spans 20° around ±180°);
 * `minLat <= maxLat`. In a query string `"a,b,c,d"`: four plain decimals (no hex, exponent or empty
 * part).
 */
export const bboxSchema = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',') : value),
  z
    .tuple([
      queryNumber(num().min(-180).max(180)),
      queryNumber(num().min(-90).max(90)),
      queryNumber(num().min(-180).max(180)),
      queryNumber(num().min(-90).max(90)),
    ])
    .refine(([, minLat, , maxLat]) => minLat <= maxLat, {
      message: 'bbox must be [minLon, minLat, maxLon, maxLat] with minLat <= maxLat',
    }),
);

/** Query string of `GET /v1/positions` (latest position of every unit inside a bbox). */
export const positionsInBboxQuerySchema = z.strictObject({
  bbox: bboxSchema,
  /** Leave out units whose latest fix is older than this. */
  maxAgeS: queryNumber(
    num()
      .int()
      .min(1)
      .max(30 * 86_400),
  ).optional(),
  limit: queryNumber(num().int().min(1).max(5_000).default(1_000)),
});
export type PositionsInBboxQuery = z.infer<typeof positionsInBboxQuerySchema>;

export const unitPositionSchema = z.object({
  unitId: text(),
  position: pointSchema,
  recordedAt: timestamp(),
  seq: num().int(),
  accuracyM: num().nullable(),
  speedMps: num().nullable(),
  headingDeg: num().nullable(),
  /** Last status known to geo-service (null before any dispatch event about the unit). */
  status: text().nullable(),
});
export type UnitPosition = z.infer<typeof unitPositionSchema>;

export const positionsInBboxResponseSchema = z.object({
  items: z.array(unitPositionSchema),
  /** True when more units matched than `limit`. */
  truncated: z.boolean(),
});
export type PositionsInBboxResponse = z.infer<typeof positionsInBboxResponseSchema>;

/** Query string of `GET /v1/units/:unitId/track`: `[from, to)` on device time, at most 7 days. */
export const unitTrackQuerySchema = z.strictObject({
  from: timestamp(),
  to: timestamp(),
  limit: queryNumber(num().int().min(1).max(10_000).default(1_000)),
});
export type UnitTrackQuery = z.infer<typeof unitTrackQuerySchema>;

export const trackPointSchema = z.object({
  position: pointSchema,
  recordedAt: timestamp(),
  receivedAt: timestamp(),
  seq: num().int(),
  accuracyM: num().nullable(),
  speedMps: num().nullable(),
  headingDeg: num().nullable(),
});
export type TrackPoint = z.infer<typeof trackPointSchema>;

/** Fixes in device-time order (then sequence). */
export const unitTrackResponseSchema = z.object({
  unitId: text(),
  items: z.array(trackPointSchema),
  truncated: z.boolean(),
});
export type UnitTrackResponse = z.infer<typeof unitTrackResponseSchema>;
