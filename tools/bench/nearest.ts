/*
 * The nearest-unit workload shared by the geo and overload benchmarks: the agency and box the
 * units are seeded in, the seeding itself, and the `GET /v1/units/nearest` request of a random
 * point in the box.
 */
import type { Client } from 'pg';
import { progress as log } from './report';

/** The agency the nearest runs query (its units are seeded by {@link seedUnits}). */
export const NEAREST_AGENCY = 'bench-nearest';
/** Seeded units and fences live in this box (about 68 x 89 km around Madrid). */
export const BOX = { lon: -3.9, lat: 40.0, size: 0.8 };
/** Units asked for per nearest request. */
export const NEAREST_LIMIT = 5;

export const randomPoint = (): [number, number] => [
  BOX.lon + Math.random() * BOX.size,
  BOX.lat + Math.random() * BOX.size,
];

/**
 * `GET /v1/units/nearest` for a uniform random point of the box, limit {@link NEAREST_LIMIT}, no
 * radius or capability filter, and `maxAgeS=86400` (older than any seeded fix, instead of
 * geo-service's 300 s default).
 */
export function nearestPath(): string {
  const [lon, lat] = randomPoint();
  return `/v1/units/nearest?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}&limit=${NEAREST_LIMIT}&maxAgeS=86400`;
}

/** Seeds units `from..to` in one INSERT ... SELECT generate_series (70 % available, 20 % busy). */
export async function seedUnits(client: Client, from: number, to: number): Promise<void> {
  await client.query(
    `INSERT INTO geo.units (agency_id, unit_id, call_sign, status, capabilities, location,
                            recorded_at, seq, accuracy_m, received_at, projection_at)
     SELECT $1, 'u' || g, 'CS-' || g,
            CASE WHEN g % 10 < 7 THEN 'available' WHEN g % 10 < 9 THEN 'busy' END,
            CASE WHEN g % 5 = 0 THEN ARRAY['als'] ELSE '{}'::text[] END,
            ST_SetSRID(ST_MakePoint($4 + random() * $6, $5 + random() * $6), 4326)::geography,
            now() - random() * interval '10 minutes', 1, 5, now(), now()
     FROM generate_series($2::int, $3::int) g`,
    [NEAREST_AGENCY, from, to, BOX.lon, BOX.lat, BOX.size],
  );
  await client.query('VACUUM ANALYZE geo.units');
  await checkpoint(client);
}

/**
 * Writes the seeding's dirty pages out before a measured phase: otherwise the checkpointer flushes
 * the seeded million rows while the phase runs, and the phase measures that disk I/O. Needs a
 * superuser (or pg_checkpoint); skipped with a note otherwise.
 */
export async function checkpoint(client: Client): Promise<void> {
  try {
    await client.query('CHECKPOINT');
  } catch (error) {
    log(`CHECKPOINT skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
}
