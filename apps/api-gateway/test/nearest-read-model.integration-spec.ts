import type { NearestUnitsResponse } from '@gad/contracts';
import { GEO_READ_CONNECTION_SETTINGS, GEO_READ_SCHEMA } from '@gad/geo-read';
import { createDataSource } from '@gad/platform';
import { freePort } from '@gad/testing';
import { Client } from 'pg';
import {
  DispatchTestApp,
  startGeoServiceBeside,
  type Caller,
  type GeoServiceBeside,
} from './dispatch-test-app';

/**
 * `GET /v1/units/nearest` read by the gateway itself on its read-only geo pool (docs/adr/0032),
 * against geo-service's tables (the built geo-service migrates them in the gateway's database, as
 * deployed). Units are written straight into `geo.units`, as geo-service's projection writes them.
 */
describe('api-gateway nearest on the read-only geo pool', () => {
  const scene = { lon: -3.7038, lat: 40.4168 };
  const path = `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&limit=10&maxAgeS=600`;
  let t: DispatchTestApp;
  let geo: GeoServiceBeside;
  let dispatcherA: Caller;
  let dispatcherB: Caller;

  beforeAll(async () => {
    // A short read deadline, so a blocked read ends within the test.
    t = await DispatchTestApp.start({ GEO_READ_STATEMENT_TIMEOUT_MS: '300' });
    geo = await startGeoServiceBeside(t);
    dispatcherA = await t.caller('agency-a', 'dispatcher-a', ['dispatcher']);
    dispatcherB = await t.caller('agency-b', 'dispatcher-b', ['dispatcher']);
    for (const [agencyId, unitId, north] of [
      ['agency-a', 'a-near', 100],
      ['agency-a', 'a-far', 2_000],
      ['agency-b', 'b-closest', 10],
    ] as const) {
      await t.pg.query(
        `INSERT INTO geo.units (agency_id, unit_id, call_sign, status, capabilities, location,
                                recorded_at, seq, accuracy_m, received_at, projection_at)
         VALUES ($1, $2, upper($2), 'available', '{}',
                 ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, now(), 1, 5, now(), now())`,
        [agencyId, unitId, scene.lon, scene.lat + north / 111_320],
      );
    }
  }, 120_000);

  afterAll(async () => {
    await geo?.stop();
    await t?.close();
  }, 60_000);

  it('answers only the units of the caller’s agency, closest first', async () => {
    const a = await t.send<NearestUnitsResponse>(dispatcherA, 'GET', path);
    expect(a.status).toBe(200);
    expect(a.body.items.map((item) => item.unitId)).toEqual(['a-near', 'a-far']);
    expect(a.body.items[0]).toMatchObject({
      callSign: 'A-NEAR',
      position: { type: 'Point', coordinates: [scene.lon, expect.any(Number)] },
    });
    expect(a.body.items[0].distanceM).toBeGreaterThan(95);
    expect(a.body.items[0].distanceM).toBeLessThan(105);
    expect(a.body.excluded).toEqual({ stale: 0, busy: 0, missingCapability: 0, unknownStatus: 0 });
    const b = await t.send<NearestUnitsResponse>(dispatcherB, 'GET', path);
    expect(b.body.items.map((item) => item.unitId)).toEqual(['b-closest']);
  });

  it('refuses a query naming an agency, or out of range, with 422 as before', async () => {
    const other = await t.send(dispatcherB, 'GET', `${path}&agencyId=agency-a`);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'validation_failed' });
    const far = await t.send(dispatcherA, 'GET', `/v1/units/nearest?lon=200&lat=${scene.lat}`);
    expect(far.status).toBe(422);
    expect(far.body).toMatchObject({ code: 'validation_failed' });
  });

  it('answers 503 query_timeout when a read outlives its deadline, then reads again', async () => {
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE geo.units IN ACCESS EXCLUSIVE MODE');
      const blocked = await t.send(dispatcherA, 'GET', path);
      expect(blocked.status).toBe(503);
      expect(blocked.body).toMatchObject({ code: 'query_timeout' });
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    const again = await t.send<NearestUnitsResponse>(dispatcherA, 'GET', path);
    expect(again.status).toBe(200);
    expect(again.body.items).toHaveLength(2);
  });

  it('opens its connections read-only: a write on them is refused', async () => {
    const dataSource = createDataSource({
      url: t.db.url,
      schema: GEO_READ_SCHEMA,
      poolSize: 1,
      applicationName: 'geo-read-test',
      settings: GEO_READ_CONNECTION_SETTINGS,
    });
    await dataSource.initialize();
    try {
      await expect(
        dataSource.query(`UPDATE geo.units SET status = 'busy' WHERE agency_id = 'agency-a'`),
      ).rejects.toThrow(/read-only transaction/);
      const [{ count }] = await dataSource.query(
        `SELECT count(*)::int AS count FROM geo.units WHERE status = 'available'`,
      );
      expect(count).toBe(3);
    } finally {
      await dataSource.destroy();
    }
  });

  it('answers 503 upstream_unavailable with Retry-After while PostgreSQL cannot be reached, and serves the rest', async () => {
    const down = await DispatchTestApp.start({
      GEO_READ_DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/gad`,
    });
    try {
      const caller = await down.caller('agency-a', 'dispatcher-a', ['dispatcher']);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const reply = await down.send(caller, 'GET', path);
        expect(reply.status).toBe(503);
        expect(reply.body).toMatchObject({ code: 'upstream_unavailable' });
        expect(reply.headers.get('retry-after')).toBe('1');
      }
      expect((await down.send(caller, 'GET', '/v1/incidents')).status).toBe(200);
      expect((await down.send(undefined, 'GET', '/health/live')).status).toBe(200);
    } finally {
      await down.close();
    }
  }, 60_000);
});
