import { metrics, type Counter, type Histogram, type Meter } from '@opentelemetry/api';

export const GEO_METER_NAME = 'geo-service';

export interface GeoInstruments {
  /** Fixes by outcome: accepted, late, duplicate (attribute `outcome`). */
  positions: Counter;
  /** Rejected fixes by reason (attribute `reason`). */
  rejected: Counter;
  /** Seconds per ingestion batch (statement + geofence evaluation + commit). */
  batchDuration: Histogram;
  /** Fixes per ingestion batch. */
  batchSize: Histogram;
  /** Geofence events written to the outbox (attribute `type`). */
  geofenceEvents: Counter;
  /** `unit.moved` events published. */
  unitMoved: Counter;
  /** Seconds per `geo.nearest` in the database. */
  nearestDuration: Histogram;
  /** Dispatch events applied to the unit projection (attribute `type`). */
  projection: Counter;
}

const byMeter = new WeakMap<Meter, GeoInstruments>();

/** geo-service instruments on the current MeterProvider (no-ops without an SDK). */
export function geoInstruments(): GeoInstruments {
  const meter = metrics.getMeter(GEO_METER_NAME);
  const cached = byMeter.get(meter);
  if (cached) {
    return cached;
  }
  const instruments: GeoInstruments = {
    positions: meter.createCounter('gad_geo_positions', {
      description: 'Position fixes ingested (attribute outcome: accepted|late|duplicate)',
    }),
    rejected: meter.createCounter('gad_geo_positions_rejected', {
      description:
        'Position fixes rejected (attribute reason: out_of_range|accuracy|teleport|future_timestamp|too_old)',
    }),
    batchDuration: meter.createHistogram('gad_geo_ingest_batch_duration_seconds', {
      description: 'Duration of one ingestion batch in the database',
      unit: 's',
    }),
    batchSize: meter.createHistogram('gad_geo_ingest_batch_size', {
      description: 'Fixes per ingestion batch',
    }),
    geofenceEvents: meter.createCounter('gad_geo_geofence_events', {
      description: 'Geofence events emitted (attribute type)',
    }),
    unitMoved: meter.createCounter('gad_geo_unit_moved_published', {
      description: 'unit.moved events published after coalescing',
    }),
    nearestDuration: meter.createHistogram('gad_geo_nearest_duration_seconds', {
      description: 'geo.nearest time in the database',
      unit: 's',
    }),
    projection: meter.createCounter('gad_geo_unit_projection_applied', {
      description: 'Dispatch events applied to the unit projection (attribute type)',
    }),
  };
  byMeter.set(meter, instruments);
  return instruments;
}
