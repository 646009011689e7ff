/*
 * The incidents workload shared by the api and overload benchmarks: seeded incidents of one
 * agency, listed by `GET /v1/incidents`.
 */
import { Client } from 'pg';

/**
 * Seeds incidents `from + 1 .. to` of `agencyId` (priorities P1-P4 in turn, locations in a 0.2°
 * box in Madrid, one a second back from now), then `VACUUM ANALYZE` and a `CHECKPOINT`, so that no
 * run measures the seeding's disk writes (as in the geo bench: a million rows leave the checkpointer
 * writing for a while after the insert).
 */
export async function seedIncidents(
  databaseUrl: string,
  agencyId: string,
  from: number,
  to: number,
): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO dispatch.incidents (id, agency_id, type, priority, location, created_by, created_at)
       SELECT gen_random_uuid(), $1, 'seed', (ARRAY['P1','P2','P3','P4'])[1 + g % 4],
              ST_SetSRID(ST_MakePoint(-3.7 + random() * 0.2, 40.4 + random() * 0.2), 4326)::geography,
              'seed', now() - g * interval '1 second'
         FROM generate_series($3::int + 1, $2::int) AS g`,
      [agencyId, to, from],
    );
    await client.query('VACUUM ANALYZE dispatch.incidents');
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}
