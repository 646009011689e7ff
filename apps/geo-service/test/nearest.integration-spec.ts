import { createEnvelope, type Envelope, type UnitStatus } from '@gad/contracts';
import { Database, loadSqlFile, pgPoolOf, sqlOf } from '@gad/platform';
import { join } from 'node:path';
import { PositionsRepository } from '../src/positions/positions.repository';
import { haversineM } from '../src/positions/positions.service';
import { createGeoHarness, type GeoHarness } from './geo-test-harness';

const AGENCY = 'agency-near';

/**
 * Oracle: geodesic distance on the WGS 84 ellipsoid (Vincenty's inverse formula, converges for
 * anything but near-antipodal points; sub-millimetre at these distances).
 */
function vincentyM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const a = 6_378_137;
  const f = 1 / 298.257223563;
  const b = a * (1 - f);
  const rad = Math.PI / 180;
  const L = (lon2 - lon1) * rad;
  const U1 = Math.atan((1 - f) * Math.tan(lat1 * rad));
  const U2 = Math.atan((1 - f) * Math.tan(lat2 * rad));
  const [sinU1, cosU1, sinU2, cosU2] = [Math.sin(U1), Math.cos(U1), Math.sin(U2), Math.cos(U2)];
  let lambda = L;
  let sinSigma = 0;
  let cosSigma = 0;
  let sigma = 0;
  let cos2Alpha = 0;
  let cos2SigmaM = 0;
  for (let iteration = 0; iteration < 200; iteration += 1) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    cos2Alpha = 1 - sinAlpha ** 2;
    cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
    const previous = lambda;
    lambda =
      L +
      (1 - C) *
        f *
        sinAlpha *
        (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
    if (Math.abs(lambda - previous) < 1e-13) {
      break;
    }
  }
  const uSq = (cos2Alpha * (a * a - b * b)) / (b * b);
  const A = 1 + (uSq / 16384) * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
  const B = (uSq / 1024) * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
  const deltaSigma =
    B *
    sinSigma *
    (cos2SigmaM +
      (B / 4) *
        (cosSigma * (-1 + 2 * cos2SigmaM ** 2) -
          (B / 6) * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
  return b * A * (sigma - deltaSigma);
}
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

  it('orders available units by distance, leaving out fixes older than the default limit', async () => {
    // No maxAgeS: NEAREST_MAX_POSITION_AGE_S (300 s) applies, so the hour-old fix is stale.
    const reply = await h.nearest.nearest({ agencyId: AGENCY, ...ORIGIN, limit: 3 });
    expect(reply.items.map((item) => item.unitId)).toEqual(['basic-close', 'als-mid', 'als-far']);
    expect(reply.excluded).toEqual({ busy: 1, unknownStatus: 1, stale: 1, missingCapability: 0 });

    const anyAge = await h.nearest.nearest({
      agencyId: AGENCY,
      ...ORIGIN,
      limit: 3,
      maxAgeS: 86_400,
    });
    expect(anyAge.items.map((item) => item.unitId)).toEqual([
      'stale-close',
      'basic-close',
      'als-mid',
    ]);
    expect(anyAge.items[0].distanceM).toBeGreaterThan(195);
    expect(anyAge.items[0].distanceM).toBeLessThan(205);
    expect(anyAge.items[0].ageS).toBeGreaterThanOrEqual(3_600);
    expect(anyAge.items[2]).toMatchObject({ callSign: 'ALS-MID', capabilities: ['als', 'k9'] });
    // Closer than the third answer: the busy unit and the unit without a known status.
    expect(anyAge.excluded).toEqual({ busy: 1, unknownStatus: 1, stale: 0, missingCapability: 0 });
  });

  it('applies a configured default staleness limit', async () => {
    const strict = await createGeoHarness({ NEAREST_MAX_POSITION_AGE_S: '5' });
    try {
      seq += 1;
      await strict.units.statusChanged(statusEvent('ten-seconds-old', 'available'));
      await strict.positions.ingest(AGENCY, [
        {
          unitId: 'ten-seconds-old',
          position: { type: 'Point', coordinates: [ORIGIN.lon, ORIGIN.lat] },
          recordedAt: new Date(Date.now() - 10_000).toISOString(),
          seq,
        },
      ]);
      const reply = await strict.nearest.nearest({ agencyId: AGENCY, ...ORIGIN, limit: 1 });
      expect(reply.items).toEqual([]);
      expect(reply.excluded).toMatchObject({ stale: 1 });
    } finally {
      await strict.close();
    }
  });

  it('ranks, measures and applies the radius on the spheroid, where the sphere gets them wrong', async () => {
    const agencyId = 'agency-spheroid';
    const { lon, lat } = ORIGIN;
    const put = async (unitId: string, at: [number, number]) => {
      seq += 1;
      await h.units.statusChanged(statusEvent(unitId, 'available', [], agencyId));
      await h.positions.ingest(agencyId, [
        {
          unitId,
          position: { type: 'Point', coordinates: at },
          recordedAt: new Date(Date.now() - 10_000).toISOString(),
          seq,
        },
      ]);
    };
    /** The point due east of the origin at `metres` on the ellipsoid (per the oracle). */
    const east = (metres: number): [number, number] => {
      const perDegree = vincentyM(lon, lat, lon + 0.01, lat) / 0.01;
      return [lon + metres / perDegree, lat];
    };
    const north: [number, number] = [lon, lat + 0.009];
    const northM = vincentyM(lon, lat, ...north);
    const nearTie = east(northM + 1.5);
    const justOutside = east(1_010);
    const oracle = (at: [number, number]) => vincentyM(lon, lat, ...at);
    const sphere = (at: [number, number]) => haversineM(lon, lat, ...at);
    // The scenario: the sphere swaps the near-tie and puts the outside unit inside 1,008 m.
    expect(sphere(nearTie)).toBeLessThan(sphere(north));
    expect(oracle(nearTie)).toBeGreaterThan(oracle(north));
    expect(sphere(justOutside)).toBeLessThan(1_008);
    expect(oracle(justOutside)).toBeGreaterThan(1_008);
    await put('north', north);
    await put('near-tie-east', nearTie);
    await put('just-outside-east', justOutside);

    const first = await h.nearest.nearest({ agencyId, lon, lat, limit: 1 });
    expect(first.items.map((item) => item.unitId)).toEqual(['north']);
    const within = await h.nearest.nearest({ agencyId, lon, lat, limit: 5, maxDistanceM: 1_008 });
    expect(within.items.map((item) => item.unitId)).toEqual(['north', 'near-tie-east']);
    expect(within.items[0].distanceM).toBeCloseTo(oracle(north), 0);
    expect(within.items[1].distanceM).toBeCloseTo(oracle(nearTie), 0);
    const all = await h.nearest.nearest({ agencyId, lon, lat, limit: 5, maxDistanceM: 1_011 });
    expect(all.items.map((item) => item.unitId)).toEqual([
      'north',
      'near-tie-east',
      'just-outside-east',
    ]);
    expect(all.items[2].distanceM).toBeCloseTo(oracle(justOutside), 0);
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
      loadSqlFile(join(__dirname, '../../../libs/geo-read/src/lib/nearest.repository.sql')),
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
      loadSqlFile(join(__dirname, '../../../libs/geo-read/src/lib/nearest.repository.sql')),
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
    const mode = await new PositionsRepository(new Database(h.dataSource)).transaction(
      async (tx) => {
        const { rows } = await tx.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
        return rows[0]?.plan_cache_mode;
      },
    );
    expect(mode).toBe('force_custom_plan');
  });
});
