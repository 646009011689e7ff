import type {
  Assignment,
  IncidentTimeline,
  NearestUnitsResponse,
  PositionsIngestResult,
  Unit,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import {
  DispatchTestApp,
  POINT,
  startGeoServiceBeside,
  type Caller,
  type GeoServiceBeside,
} from './dispatch-test-app';

/**
 * The nearest strategy against the real geo-service (the built app as a process, on the same
 * Redis prefix): it learns units and their availability from the dispatch events, the gateway
 * reports positions through it, and `strategy: "nearest"` dispatches the closest available unit
 * with a fresh position, recording the recommendation and the decision in the timeline.
 */
describe('api-gateway nearest assignment with geo-service', () => {
  const agencyId = 'agency-n';
  const scene = { lon: -3.7038, lat: 40.4168 };
  let t: DispatchTestApp;
  let geo: GeoServiceBeside;
  let dispatcher: Caller;
  let tracker: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    geo = await startGeoServiceBeside(t);
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    tracker = await t.caller(agencyId, 'tracker-1', ['service']);
  }, 120_000);

  afterAll(async () => {
    await geo?.stop();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts && geo) {
      console.log(geo.process.tail(30));
    }
  });

  async function unitAt(
    callSign: string,
    status: string,
    offset: { north?: number; east?: number },
    capabilities: string[] = [],
    as: Caller = dispatcher,
    ageS = 0,
    reporter: Caller = tracker,
  ): Promise<Unit> {
    const unit = (
      await t.send<Unit>(as, 'POST', '/v1/units', {
        callSign,
        type: 'patrol',
        capabilities,
      })
    ).body;
    if (status !== 'off_duty') {
      await t.send(as, 'POST', `/v1/units/${unit.id}/status`, { status });
    }
    const lat = scene.lat + (offset.north ?? 0) / 111_320;
    const lon = scene.lon + (offset.east ?? 0) / (111_320 * Math.cos((scene.lat * Math.PI) / 180));
    const reported = await t.send<PositionsIngestResult>(reporter, 'POST', '/v1/positions', {
      positions: [
        {
          unitId: unit.id,
          position: POINT(lon, lat),
          recordedAt: new Date(Date.now() - ageS * 1000).toISOString(),
          seq: 1,
        },
      ],
    });
    expect(reported.body).toMatchObject({ accepted: 1, rejected: [] });
    return unit;
  }

  const nearestIds = async () =>
    (
      await t.send<NearestUnitsResponse>(
        dispatcher,
        'GET',
        `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&limit=10`,
      )
    ).body.items.map((item) => item.unitId);

  it('dispatches the closest available unit and records the suggestion and the decision', async () => {
    const closestButOffDuty = await unitAt('U-OFF', 'off_duty', { north: 100 });
    const near = await unitAt('U12', 'available', { north: 850 });
    const far = await unitAt('U30', 'available', { east: 3_000 }, ['k9']);
    await waitFor(
      async () => {
        const ids = await nearestIds();
        return ids.includes(near.id) && ids.includes(far.id) && ids;
      },
      { description: 'geo-service knows both available units', timeoutMs: 15_000 },
    );
    expect(await nearestIds()).not.toContain(closestButOffDuty.id);

    const incident = (
      await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
        type: 'assault',
        priority: 'P1',
        location: POINT(scene.lon, scene.lat),
      })
    ).body;
    const path = `/v1/incidents/${incident.id}/assignments`;
    const first = await t.send<Assignment>(dispatcher, 'POST', path, { strategy: 'nearest' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ unitId: near.id, callSign: 'U12', status: 'proposed' });
    expect(first.body.recommendation).toMatchObject({ unitId: near.id, callSign: 'U12' });
    expect(first.body.recommendation?.distanceM).toBeGreaterThan(800);
    expect(first.body.recommendation?.distanceM).toBeLessThan(900);

    const timeline = await t.send<IncidentTimeline>(
      dispatcher,
      'GET',
      `/v1/incidents/${incident.id}/timeline`,
    );
    const recommended = timeline.body.items.find((e) => e.kind === 'assignment.recommended');
    expect(recommended).toMatchObject({ actor: { kind: 'service', id: 'geo-service' } });
    expect(recommended?.message).toMatch(/^suggested U12 at 8\d\d m, U30 at (29|30)\d\d m$/);
    const decided = timeline.body.items.find((e) => e.kind === 'assignment.created');
    expect(decided?.message).toMatch(/^suggested U12 at 8\d\d m; dispatcher-1 chose U12$/);

    // Once geo-service saw U12 dispatched, only U30 is left; no unit has hazmat.
    await waitFor(async () => !(await nearestIds()).includes(near.id), {
      description: 'geo-service sees U12 dispatched',
      timeoutMs: 15_000,
    });
    const none = await t.send(dispatcher, 'POST', path, {
      strategy: 'nearest',
      capabilities: ['hazmat'],
    });
    expect(none.status).toBe(409);
    expect(none.body).toMatchObject({ code: 'no_unit_available' });
    const second = await t.send<Assignment>(dispatcher, 'POST', path, {
      strategy: 'nearest',
      capabilities: ['k9'],
    });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ unitId: far.id, callSign: 'U30' });
  });
  it('applies the agency’s staleness setting when a query names no maxAgeS', async () => {
    const agency = 'agency-s';
    const local = await t.caller(agency, 'dispatcher-s', ['dispatcher']);
    const admin = await t.caller(agency, 'admin-s', ['admin']);
    const reporter = await t.caller(agency, 'tracker-s', ['service']);
    await t.pg.query(
      `INSERT INTO dispatch.agencies (id, name, created_at, updated_at) VALUES ($1, 'S', now(), now())`,
      [agency],
    );
    const old = await unitAt('S-OLD', 'available', { north: 200 }, [], local, 120, reporter);
    const fresh = await unitAt('S-NEW', 'available', { north: 900 }, [], local, 0, reporter);
    const ids = async (query = '') =>
      (
        await t.send<NearestUnitsResponse>(
          local,
          'GET',
          `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&limit=10${query}`,
        )
      ).body.items.map((item) => item.unitId);
    // An explicit limit does not read the settings: both are fresh enough for 300 s.
    await waitFor(
      async () => {
        const found = await ids('&maxAgeS=300');
        return found.includes(old.id) && found.includes(fresh.id);
      },
      { description: 'geo-service knows both units of agency-s', timeoutMs: 15_000 },
    );
    const patched = await t.send(
      admin,
      'PATCH',
      '/v1/agency/settings',
      { nearestMaxPositionAgeS: 60 },
      {
        'if-match': '"1"',
      },
    );
    expect(patched.status).toBe(200);

    // No maxAgeS: the agency's 60 s, so the 2-minute-old fix is stale.
    expect(await ids()).toEqual([fresh.id]);
    const incident = (
      await t.send<{ id: string }>(local, 'POST', '/v1/incidents', {
        type: 'assault',
        priority: 'P2',
        location: POINT(scene.lon, scene.lat),
      })
    ).body;
    const assigned = await t.send<Assignment>(
      local,
      'POST',
      `/v1/incidents/${incident.id}/assignments`,
      {
        strategy: 'nearest',
      },
    );
    expect(assigned.status).toBe(201);
    expect(assigned.body.unitId).toBe(fresh.id);
  });
});
