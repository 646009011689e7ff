/*
 * geo-service's environment: the schema it loads at boot (`geo-service.config.ts`) and the one
 * docker/test holds compose and the k8s overlays to. Variables are listed in the app's README.
 */
import { z } from 'zod';
import { databaseEnvSchema, envInt, outboxEnvSchema, serviceEnvSchema } from '../env-schemas';

export const geoServiceEnvSchema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  PORT: envInt(3002, 1, 65535),
  /** Name of this instance in consumer groups and logs (defaults to geo-service:host:pid). */
  INSTANCE_ID: z.string().min(1).optional(),
  /** Fixes whose accuracy radius is worse than this are rejected (`accuracy`). */
  POSITION_MAX_ACCURACY_M: envInt(1_000, 1, 1_000_000),
  /** Fixes implying a faster movement since the unit's previous fix are rejected (`teleport`). */
  POSITION_MAX_SPEED_MPS: envInt(120, 1, 100_000),
  /** Fixes whose device time is further ahead of the server clock are rejected (`future_timestamp`). */
  POSITION_MAX_FUTURE_SKEW_S: envInt(300, 0, 86_400),
  /** Fixes older than this are rejected (`too_old`); partitions are kept ready this far back. */
  POSITION_MAX_FIX_AGE_H: envInt(72, 1, 24 * 30),
  /** Default position history retention; agencies may set their own (`geo.retention.set`). */
  POSITION_RETENTION_DAYS: envInt(30, 1, 3_650),
  /** Daily history partitions created ahead of today. */
  POSITION_PARTITIONS_AHEAD_DAYS: envInt(3, 1, 60),
  /** Period of partition creation and retention. */
  MAINTENANCE_INTERVAL_MS: envInt(3_600_000, 1_000, 86_400_000),
  /** Fixes per ingestion statement and how long the stream batcher waits to fill one. */
  INGEST_BATCH_MAX: envInt(500, 1, 5_000),
  INGEST_BATCH_DELAY_MS: envInt(20, 0, 5_000),
  /** Stream entries handled concurrently per instance (they are merged into batches). */
  INGEST_CONCURRENCY: envInt(64, 1, 1_000),
  /** `unit.moved` is coalesced to at most one event per unit per this period. */
  UNIT_MOVED_INTERVAL_MS: envInt(1_000, 100, 60_000),
  /**
   * Period of the check that fires `geofence.dwell` for units that stopped reporting inside a fence
   * (a dwell is late by at most about this much).
   */
  GEOFENCE_DWELL_CHECK_MS: envInt(1_000, 100, 60_000),
  /** Vertex limit of a geofence geometry. */
  GEOFENCE_MAX_VERTICES: envInt(10_000, 4, 1_000_000),
  /**
   * Staleness limit of `geo.nearest` when the request names none (`maxAgeS`): units whose latest
   * fix is older are left out (counted as `stale`). Used by `GET /v1/units/nearest` and by the
   * api-gateway's nearest dispatch strategy alike.
   */
  NEAREST_MAX_POSITION_AGE_S: envInt(300, 1, 86_400),
  /** Units scanned (closest first) to count those `geo.nearest` excluded. */
  NEAREST_EXCLUSION_SCAN_LIMIT: envInt(1_000, 0, 100_000),
  /** OUTBOX_POLL_MS, OUTBOX_COALESCE_MS: its outbox relay. */
  ...outboxEnvSchema.shape,
});
