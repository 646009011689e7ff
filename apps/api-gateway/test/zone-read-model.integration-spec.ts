import type { Call, Geofence, Incident } from '@gad/contracts';
import { GeoReadModel } from '@gad/geo-read';
import { freePort } from '@gad/testing';
import { Client } from 'pg';
import { pgPoolOf } from '@gad/platform';
import { DataSource } from 'typeorm';
import {
  DispatchTestApp,
  POINT,
  SQUARE,
  startGeoServiceBeside,
  type Caller,
  type GeoServiceBeside,
} from './dispatch-test-app';

type CallWithIncident = { call: Call; incident: Incident };

const CELL = /^[0-9b-hjkmnp-z]{5}$/;

/**
 * The zone of an incident (or of the incident a call creates) read by the gateway itself on its
 * read-only geo pool (docs/adr/0036), with geo-service's statement (@gad/geo-read), against
 * geo-service's tables. geo-service runs only to migrate its schema and to create the fences
 * (`/v1/geofences` is its RPC); every lookup below runs with geo-service stopped.
 */
describe('api-gateway zone lookup on the read-only geo pool', () => {
  let t: DispatchTestApp;
  let geo: GeoServiceBeside | undefined;
  let dispatcherA: Caller;
  let callTakerA: Caller;
  let dispatcherB: Caller;
  const zones: Record<string, Geofence> = {};

  /** A call at Plaza Nueva (-5.99, 37.39), then the incident made from it. */
  const incidentFromCall = async (taker: Caller, app: DispatchTestApp): Promise<Incident> => {
    const call = await app.send<Call>(taker, 'POST', '/v1/calls', {
      channel: 'phone',
      locationText: 'Plaza Nueva',
      location: POINT(-5.99, 37.39),
      incidentType: 'structure_fire',
    });
    expect(call.status).toBe(201);
    const made = await app.send<CallWithIncident>(
      taker,
      'POST',
      `/v1/calls/${call.body.id}/incident`,
      { priority: 'P2' },
    );
    expect({ status: made.status, body: made.body }).toMatchObject({ status: 201 });
    return made.body.incident;
  };

  const create = async (caller: Caller, app: DispatchTestApp, lon: number, lat: number) => {
    const reply = await app.send<Incident>(caller, 'POST', '/v1/incidents', {
      type: 'theft',
      priority: 'P2',
      location: POINT(lon, lat),
    });
    expect(reply.status).toBe(201);
    return reply.body;
  };

  beforeAll(async () => {
    // A short lookup deadline, so a blocked lookup ends within the test.
    t = await DispatchTestApp.start({ ZONE_LOOKUP_TIMEOUT_MS: '300' });
    geo = await startGeoServiceBeside(t);
    dispatcherA = await t.caller('agency-a', 'dispatcher-a', ['dispatcher', 'supervisor']);
    callTakerA = await t.caller('agency-a', 'taker-a', ['call_taker']);
    dispatcherB = await t.caller('agency-b', 'dispatcher-b', ['dispatcher', 'supervisor']);
    const fence = async (caller: Caller, name: string, kind: string, half: number, dLon = 0) => {
      const reply = await t.send<Geofence>(caller, 'POST', '/v1/geofences', {
        name,
        kind,
        geometry: SQUARE(-5.99 + dLon, 37.39, half),
      });
      expect(reply.status).toBe(201);
      zones[name] = reply.body;
    };
    await fence(dispatcherA, 'District', 'zone', 0.02);
    // A beat inside the district: the smaller zone names the incidents in it.
    await fence(dispatcherA, 'Beat', 'zone', 0.003);
    // Not a zone: names nothing.
    await fence(dispatcherA, 'Barracks', 'restricted_area', 0.01, 0.1);
    // Another agency's zone, covering all of agency-a's and more.
    await fence(dispatcherB, 'Theirs', 'zone', 0.3);
    await geo.stop();
    geo = undefined;
  }, 120_000);

  afterAll(async () => {
    await geo?.stop();
    await t?.close();
  }, 60_000);

  it('names the smallest zone of the caller’s agency containing the incident, without geo-service', async () => {
    expect((await create(dispatcherA, t, -5.99, 37.39)).zone).toEqual({
      id: zones['Beat'].id,
      name: 'Beat',
      source: 'geofence',
    });
    expect((await create(dispatcherA, t, -5.98, 37.38)).zone).toEqual({
      id: zones['District'].id,
      name: 'District',
      source: 'geofence',
    });
    // A restricted area is not a zone.
    const barracks = await create(dispatcherA, t, -5.89, 37.39);
    expect(barracks.zone).toMatchObject({ id: null, source: 'cell' });
    expect(barracks.zone?.name).toMatch(CELL);
  });

  it('never matches another agency’s zone', async () => {
    // Inside agency-b's zone but outside every zone of agency-a: agency-a's incident gets its cell.
    const outside = await create(dispatcherA, t, -5.75, 37.5);
    expect(outside.zone).toMatchObject({ id: null, source: 'cell' });
    expect(outside.zone?.name).toMatch(CELL);
    // And agency-b, at agency-a's beat, gets its own zone.
    expect((await create(dispatcherB, t, -5.99, 37.39)).zone).toEqual({
      id: zones['Theirs'].id,
      name: 'Theirs',
      source: 'geofence',
    });
  });

  it('names the zone of the incident a call creates', async () => {
    expect((await incidentFromCall(callTakerA, t)).zone).toEqual({
      id: zones['Beat'].id,
      name: 'Beat',
      source: 'geofence',
    });
  });

  it('creates the incident under its cell, unresolved, when the lookup outlives its deadline', async () => {
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE geo.geofences IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const blocked = await create(dispatcherA, t, -5.99, 37.39);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(blocked.zone).toMatchObject({ id: null, source: 'unresolved' });
      expect(blocked.zone?.name).toMatch(CELL);
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    expect((await create(dispatcherA, t, -5.99, 37.39)).zone?.name).toBe('Beat');
  });

  it('reads on connections that cannot write', async () => {
    const pool = (t.app.get(GeoReadModel) as unknown as { dataSource: DataSource }).dataSource;
    expect(pool.isInitialized).toBe(true);
    expect(pool.options).toMatchObject({ applicationName: 'api-gateway-geo-read' });
    await expect(
      pool.query(`UPDATE geo.geofences SET name = 'moved' WHERE agency_id = 'agency-b'`),
    ).rejects.toThrow(/read-only transaction/);
    await expect(
      pool.query(`DELETE FROM geo.geofences WHERE agency_id = 'agency-b'`),
    ).rejects.toThrow(/read-only transaction/);
    const { rows } = await t.pg.query<{ name: string }>(
      `SELECT name FROM geo.geofences WHERE agency_id = 'agency-b'`,
    );
    expect(rows).toEqual([{ name: 'Theirs' }]);
  });

  it('keeps the connections of both its pools open through quiet spells (docs/adr/0044)', () => {
    // pg-pool closes idle connections above `min` after its idle timeout; at `min` = `max` the
    // connections a load opened stay, so the first request after a quiet spell gets a warm backend.
    const geoRead = (t.app.get(GeoReadModel) as unknown as { dataSource: DataSource }).dataSource;
    for (const dataSource of [t.app.get(DataSource), geoRead]) {
      const { min, max } = pgPoolOf(dataSource).options;
      expect({ min, max }).toEqual({ min: max, max: expect.any(Number) });
      expect(max).toBeGreaterThan(0);
    }
  });

  it('creates incidents and calls’ incidents under their cell, unresolved, while the geo database cannot be reached', async () => {
    const down = await DispatchTestApp.start({
      GEO_READ_DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/gad`,
    });
    try {
      const caller = await down.caller('agency-a', 'dispatcher-a', ['dispatcher']);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const incident = await create(caller, down, -5.99, 37.39);
        expect(incident.zone).toMatchObject({ id: null, source: 'unresolved' });
        expect(incident.zone?.name).toMatch(CELL);
      }
      const taker = await down.caller('agency-a', 'taker-a', ['call_taker']);
      expect((await incidentFromCall(taker, down)).zone).toMatchObject({
        id: null,
        source: 'unresolved',
      });
    } finally {
      await down.close();
    }
  }, 60_000);
});
