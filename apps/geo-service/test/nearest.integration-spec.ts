import { createEnvelope, type Envelope, type UnitStatus } from '@gad/contracts';
import { join } from 'node:path';
import { pgPoolOf } from '../src/database/pg-pool';
import { loadSqlFile, sqlOf } from '../src/database/sql-file';
import { PositionsRepository } from '../src/positions/positions.repository';
import { createGeoHarness, type GeoHarness } from './geo-test-harness';

const AGENCY = 'agency-near';
const ORIGIN = { lon: -3.7038, lat: 40.4168 };

describe('geo.nearest (PostGIS)', () => {
  let h: GeoHarness;
  let seq = 0;
  let eventTime = Date.now() - 600_000;

  beforeAll(async () => {
    h = await createGeoHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  function statusEvent(
    unitId: string,
    status: UnitStatus,
    capabilities?: string[],
    agencyId = AGENCY,
  ) {
    eventTime += 1000;
    return createEnvelope({
      type: 'unit.status_changed',
      agencyId,
      actor: { kind: 'service', id: 'api-gateway' },
      occurredAt: new Date(eventTime),
      data: { unitId, callSign: unitId.toUpperCase(), status, capabilities },
    });
  }

  /** Places a unit `metres` north of the origin, its fix `ageS` old. */
  async function place(unitId: string, metres: number, ageS = 10, agencyId = AGENCY) {
    seq += 1;
    const lat = ORIGIN.lat + metres / 111_195;
    await h.positions.ingest(agencyId, [
      {
        unitId,
        position: { type: 'Point', coordinates: [ORIGIN.lon, lat] },
        recordedAt: new Date(Date.now() - ageS * 1000).toISOString(),
        seq,
        accuracyM: 5,
      },
    ]);
  }

  beforeAll(async () => {
    await h.units.statusChanged(statusEvent('busy-closest', 'en_route', ['als']));
    await place('busy-closest', 100);
    await h.units.statusChanged(statusEvent('stale-close', 'available', ['als']));
    await place('stale-close', 200, 3_600);
    await h.units.statusChanged(statusEvent('basic-close', 'available', []));
    await place('basic-close', 300);
    await place('unknown-close', 350);
    await h.units.statusChanged(statusEvent('als-mid', 'available', ['als', 'k9']));
    await place('als-mid', 500);
    await h.units.statusChanged(statusEvent('als-far', 'available', ['als']));
    await place('als-far', 2_000);
    await h.units.statusChanged(statusEvent('als-very-far', 'available', ['als']));
    await place('als-very-far', 50_000);
    // Another agency's unit at the very origin is never seen.
    await h.units.statusChanged(statusEvent('foreign', 'available', ['als'], 'agency-other'));
    await place('foreign', 0, 10, 'agency-other');
  });

  it('orders available units by distance with distance in metres and position age', async () => {
    const reply = await h.nearest.nearest({ agencyId: AGENCY, ...ORIGIN, limit: 3 });
    expect(reply.items.map((item) => item.unitId)).toEqual([
      'stale-close',
      'basic-close',
      'als-mid',
    ]);
    expect(reply.items[0].distanceM).toBeGreaterThan(195);
    expect(reply.items[0].distanceM).toBeLessThan(205);
    expect(reply.items[0].ageS).toBeGreaterThanOrEqual(3_600);
    expect(reply.items[2]).toMatchObject({ callSign: 'ALS-MID', capabilities: ['als', 'k9'] });
    // Closer than the third answer: the busy unit and the unit without a known status.
    expect(reply.excluded).toEqual({ busy: 1, unknownStatus: 1, stale: 0, missingCapability: 0 });
  });

  it('skips a busy closer unit, excludes stale positions and missing capabilities, and counts why', async () => {
    const reply = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 2,
      capabilities: ['als'],
      maxAgeS: 600,
    });
    expect(reply.items.map((item) => item.unitId)).toEqual(['als-mid', 'als-far']);
    expect(reply.excluded).toEqual({ busy: 1, stale: 1, missingCapability: 1, unknownStatus: 1 });
  });

  it('honours the maximum radius and counts exclusions within it when fewer units are found', async () => {
    const reply = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 5,
      capabilities: ['k9'],
      maxDistanceM: 1_000,
    });
    expect(reply.items.map((item) => item.unitId)).toEqual(['als-mid']);
    expect(reply.excluded).toEqual({ busy: 1, stale: 0, missingCapability: 2, unknownStatus: 1 });
    const none = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 5,
      maxDistanceM: 50,
    });
    expect(none.items).toEqual([]);
  });

  it('follows status changes and ignores events older than the last applied one', async () => {
    const dispatched = statusEvent('als-mid', 'dispatched', ['als', 'k9']);
    const stale = {
      ...statusEvent('als-mid', 'available'),
      occurredAt: new Date(eventTime - 10_000).toISOString(),
    };
    await h.units.statusChanged(dispatched);
    expect(await h.units.statusChanged(stale as Envelope<never>)).toBe(false);
    const reply = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 1,
      capabilities: ['k9'],
    });
    expect(reply.items).toEqual([]);
    await h.units.statusChanged(statusEvent('als-mid', 'available'));
    const back = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 1,
      capabilities: ['k9'],
    });
    // The capability set is kept when an event does not carry one.
    expect(back.items.map((item) => item.unitId)).toEqual(['als-mid']);
  });

  it('drops removed units (unit.updated)', async () => {
    eventTime += 1000;
    await h.units.updated(
      createEnvelope({
        type: 'unit.updated',
        agencyId: AGENCY,
        actor: { kind: 'service', id: 'api-gateway' },
        occurredAt: new Date(eventTime),
        data: { unitId: 'stale-close', removed: true },
      }),
    );
    const reply = await h.nearest.nearest({ agencyId: AGENCY, ...ORIGIN, limit: 1 });
    expect(reply.items.map((item) => item.unitId)).toEqual(['basic-close']);
  });

  it('runs the prepared statement as a KNN scan of the GiST index', async () => {
    const sql = sqlOf(
      loadSqlFile(join(__dirname, '../src/nearest/nearest.repository.sql')),
      'nearest_available',
    );
    const text = await h.dataSource.transaction(async (manager) => {
      // Few rows here: keep the planner from preferring a sequential scan.
      await manager.query('SET LOCAL enable_seqscan = off');
      const plan: Array<{ 'QUERY PLAN': string }> = await manager.query(`EXPLAIN ${sql}`, [
        AGENCY,
        ORIGIN.lon,
        ORIGIN.lat,
        5,
        [],
        '-infinity',
        20_100_000,
      ]);
      return plan.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(text).toMatch(/Index Scan using units_available_location_idx/);
    expect(text).toMatch(/Order By: \(location <->/);
  });

  it('plans nearest as a KNN index scan from the first execution on a connection', async () => {
    // Planned for its values, a radius wider than the agency made PostgreSQL read and sort every
    // available unit instead of walking the index once the agency had ~100k units (1-5 ms per
    // 10k units). The statement is planned once, generically ($n in the plan), from the start.
    await h.dataSource.query(
      `INSERT INTO geo.units (agency_id, unit_id, call_sign, status, capabilities, location,
                              recorded_at, seq, accuracy_m, received_at, projection_at)
       SELECT 'agency-many', 'm' || g, 'M' || g,
              CASE WHEN g % 10 < 7 THEN 'available' WHEN g % 10 < 9 THEN 'busy' END,
              CASE WHEN g % 5 = 0 THEN ARRAY['als'] ELSE '{}'::text[] END,
              ST_SetSRID(ST_MakePoint(-3.9 + random() * 0.8, 40 + random() * 0.8), 4326)::geography,
              now(), 1, 5, now(), now()
       FROM generate_series(1, 20000) g`,
    );
    await h.dataSource.query('ANALYZE geo.units');
    const sql = sqlOf(
      loadSqlFile(join(__dirname, '../src/nearest/nearest.repository.sql')),
      'nearest_available',
    );
    const client = await pgPoolOf(h.dataSource).connect();
    try {
      await client.query(
        `PREPARE first_nearest (text, float8, float8, int, text[], timestamptz, float8) AS ${sql}`,
      );
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE first_nearest ('agency-many', -3.5, 40.4, 5, '{}', '-infinity', 20100000)`,
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using units_available_location_idx/);
      expect(plan).toMatch(/Order By: \(location <-> \(st_setsrid\(st_makepoint\(\$2, \$3\)/);
      await client.query('DEALLOCATE first_nearest');
    } finally {
      client.release();
    }
    // Position batches are planned for each batch, with its arrays in view.
    const mode = await new PositionsRepository(h.dataSource).transaction(async (tx) => {
      const { rows } = await tx.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
      return rows[0]?.plan_cache_mode;
    });
    expect(mode).toBe('force_custom_plan');
  });
});
