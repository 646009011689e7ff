import type {
  Assignment,
  AssignmentCreatedV1,
  Geofence,
  Hazard,
  HazardList,
  Incident,
  IncidentHazards,
  IncidentReplayFrame,
  IncidentResponseTimes,
  NearestUnitsResponse,
  PositionsIngestResult,
  ResponseFigures,
  Unit,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { Client } from 'pg';
import {
  DispatchTestApp,
  POINT,
  SQUARE,
  startGeoServiceBeside,
  type Caller,
  type GeoServiceBeside,
} from './dispatch-test-app';

/**
 * Issue #23 part B against the real api-gateway (in process), geo-service (the built app as a
 * process), PostgreSQL/PostGIS and Redis: premise and hazard information (CRUD, at a point, with
 * the nearest units, in `assignment.created` for the command), the response-time figures of an
 * incident taken from call to cleared (per incident, grouped, CSV export) and the flight recorder
 * at three moments and as a stream of frames.
 */
describe('api-gateway hazards, response-time figures and the flight recorder', () => {
  const agencyId = 'agency-cad-b';
  const scene = { lon: -3.6905, lat: 40.4192 };
  let t: DispatchTestApp;
  let geo: GeoServiceBeside;
  let dispatcher: Caller;
  let supervisor: Caller;
  let tracker: Caller;
  let outsider: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    geo = await startGeoServiceBeside(t);
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    supervisor = await t.caller(agencyId, 'supervisor-1', ['supervisor']);
    tracker = await t.caller(agencyId, 'tracker-1', ['service']);
    outsider = await t.caller(`${agencyId}-other`, 'supervisor-x', ['supervisor', 'dispatcher']);
  }, 120_000);

  afterAll(async () => {
    await geo?.stop();
    await t?.close();
  }, 60_000);

  it('keeps hazards per agency and finds those that apply at a point, most severe first', async () => {
    const dog = await t.send<Hazard>(dispatcher, 'POST', '/v1/hazards', {
      title: 'Dog on premises',
      severity: 'caution',
      address: 'Calle de Alcalá 50',
      area: POINT(scene.lon + 0.0001, scene.lat),
    });
    expect(dog.status).toBe(201);
    expect(dog.body).toMatchObject({
      agencyId,
      radiusM: 25,
      severity: 'caution',
      createdBy: 'dispatcher-1',
    });
    const oxygen = await t.send<Hazard>(supervisor, 'POST', '/v1/hazards', {
      title: 'Oxygen in use',
      details: 'Home oxygen, 3rd floor',
      severity: 'danger',
      area: SQUARE(scene.lon, scene.lat, 0.001),
    });
    expect(oxygen.status).toBe(201);
    const farAway = await t.send<Hazard>(dispatcher, 'POST', '/v1/hazards', {
      title: 'Far away',
      area: POINT(scene.lon + 0.05, scene.lat),
    });
    expect(farAway.status).toBe(201);

    // A bow-tie polygon and an unknown key are refused; nothing is stored.
    const bowTie = await t.send(dispatcher, 'POST', '/v1/hazards', {
      title: 'Bad',
      area: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [1, 0],
            [0, 1],
            [0, 0],
          ],
        ],
      },
    });
    expect(bowTie).toMatchObject({ status: 422, body: { code: 'hazard_area_invalid' } });
    expect(
      (await t.send(dispatcher, 'POST', '/v1/hazards', { title: 'x', area: POINT(0, 0), extra: 1 }))
        .status,
    ).toBe(422);

    const here = await t.send<HazardList>(
      dispatcher,
      'GET',
      `/v1/hazards?lon=${scene.lon}&lat=${scene.lat}`,
    );
    expect(here.body.items.map((hazard) => hazard.title)).toEqual([
      'Oxygen in use',
      'Dog on premises',
    ]);
    const all = await t.send<HazardList>(dispatcher, 'GET', '/v1/hazards?limit=2');
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toBeDefined();

    // Another agency neither sees nor changes them.
    expect((await t.send(outsider, 'GET', `/v1/hazards/${dog.body.id}`)).status).toBe(404);
    expect(
      (await t.send(outsider, 'PATCH', `/v1/hazards/${dog.body.id}`, { title: 'x' })).status,
    ).toBe(404);
    expect((await t.send(outsider, 'DELETE', `/v1/hazards/${dog.body.id}`)).status).toBe(404);
    expect((await t.send<HazardList>(outsider, 'GET', '/v1/hazards')).body.items).toEqual([]);

    const renamed = await t.send<Hazard>(dispatcher, 'PATCH', `/v1/hazards/${farAway.body.id}`, {
      title: 'Far away (checked)',
      details: 'gone',
    });
    expect(renamed.body).toMatchObject({ title: 'Far away (checked)', details: 'gone' });
    expect((await t.send(dispatcher, 'DELETE', `/v1/hazards/${farAway.body.id}`)).status).toBe(204);
    expect((await t.send(dispatcher, 'GET', `/v1/hazards/${farAway.body.id}`)).status).toBe(404);
  });

  it('shows a hazard with the nearest units at once when written here, and within seconds when another replica wrote it', async () => {
    const nearestHazards = async (caller: Caller) =>
      (
        await t.send<NearestUnitsResponse>(
          caller,
          'GET',
          `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&maxAgeS=3600`,
        )
      ).body.hazards?.map((hazard) => hazard.title) ?? [];
    const here = await t.caller(`${agencyId}-here`, 'dispatcher-h', ['dispatcher']);
    expect(await nearestHazards(here)).toEqual([]);
    await t.send(here, 'POST', '/v1/hazards', {
      title: 'Gas main',
      severity: 'danger',
      area: POINT(scene.lon, scene.lat),
    });
    expect(await nearestHazards(here)).toEqual(['Gas main']);

    // Written by another api-gateway replica: this one has not seen the write.
    const elsewhere = await t.caller(`${agencyId}-elsewhere`, 'dispatcher-e', ['dispatcher']);
    expect(await nearestHazards(elsewhere)).toEqual([]);
    await t.pg.query(
      `INSERT INTO dispatch.hazards (id, agency_id, title, severity, area, radius_m, created_by)
       VALUES (gen_random_uuid(), $1, 'Collapsed roof', 'danger',
               ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 25, 'other-replica')`,
      [`${agencyId}-elsewhere`, scene.lon, scene.lat],
    );
    await waitFor(async () => (await nearestHazards(elsewhere)).includes('Collapsed roof'), {
      description: "the other replica's hazard shows with the nearest units",
      timeoutMs: 5_000,
    });
  });

  it('shows the hazards with the nearest units, sends them with the dispatch, and reports the response times and the replay', async () => {
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', { callSign: 'Bomba 7', type: 'engine' })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    const report = async (lon: number, lat: number, seq: number, at: Date) =>
      expect(
        (
          await t.send<PositionsIngestResult>(tracker, 'POST', '/v1/positions', {
            positions: [
              {
                unitId: unit.id,
                position: POINT(lon, lat),
                recordedAt: at.toISOString(),
                seq,
                // Wide enough that moving closer within a second is no teleport.
                accuracyM: 250,
              },
            ],
          })
        ).body,
      ).toMatchObject({ rejected: [], duplicates: 0, late: 0, accepted: 1 });
    await report(scene.lon + 0.01, scene.lat, 1, new Date(Date.now() - 600_000));

    const nearest = await waitFor(
      async () => {
        const reply = await t.send<NearestUnitsResponse>(
          dispatcher,
          'GET',
          `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&maxAgeS=3600`,
        );
        return reply.body.items.some((item) => item.unitId === unit.id) && reply.body;
      },
      { description: 'geo-service knows the unit', timeoutMs: 15_000 },
    );
    expect(nearest.hazards?.map((hazard) => hazard.title)).toEqual([
      'Oxygen in use',
      'Dog on premises',
    ]);

    const incident = (
      await t.send<{ id: string; createdAt: string }>(dispatcher, 'POST', '/v1/incidents', {
        type: 'structure_fire',
        priority: 'P1',
        location: POINT(scene.lon, scene.lat),
      })
    ).body;
    const hazards = await t.send<IncidentHazards>(
      dispatcher,
      'GET',
      `/v1/incidents/${incident.id}/hazards`,
    );
    expect(hazards.body.items.map((hazard) => hazard.severity)).toEqual(['danger', 'caution']);
    expect((await t.send(outsider, 'GET', `/v1/incidents/${incident.id}/hazards`)).status).toBe(
      404,
    );

    const beforeDispatch = new Date();
    const assignment = (
      await t.send<Assignment>(dispatcher, 'POST', `/v1/incidents/${incident.id}/assignments`, {
        unitId: unit.id,
      })
    ).body;
    const created = await t.waitForEvent<AssignmentCreatedV1>(
      (event) => event.type === 'assignment.created' && event.data.assignmentId === assignment.id,
      'assignment.created of the dispatch',
    );
    expect(created.data.hazards).toEqual([
      expect.objectContaining({
        title: 'Oxygen in use',
        severity: 'danger',
        details: 'Home oxygen, 3rd floor',
      }),
      expect.objectContaining({
        title: 'Dog on premises',
        severity: 'caution',
        address: 'Calle de Alcalá 50',
      }),
    ]);

    const step = async (status: string) =>
      expect(
        (await t.send(dispatcher, 'POST', `/v1/assignments/${assignment.id}/status`, { status }))
          .status,
      ).toBe(200);
    await step('en_route');
    const enRouteAt = new Date();
    await report(scene.lon + 0.005, scene.lat, 2, enRouteAt);
    await waitFor(async () => Date.now() > enRouteAt.getTime() + 20, {
      description: 'a moment later',
    });
    const whileEnRoute = new Date();
    await step('on_scene');
    await report(scene.lon, scene.lat, 3, new Date());
    const resolved = await t.send(dispatcher, 'POST', `/v1/incidents/${incident.id}/status`, {
      status: 'resolved',
    });
    expect(resolved.status).toBe(200);
    const afterResolved = new Date(Date.now() + 5);
    await waitFor(async () => Date.now() > afterResolved.getTime(), { description: 'after' });

    // Response times: every milestone in order, within the P1 target.
    const times = (
      await t.send<IncidentResponseTimes>(
        supervisor,
        'GET',
        `/v1/incidents/${incident.id}/response-times`,
      )
    ).body;
    const m = times.milestones;
    expect(m.callReceivedAt).toBeNull();
    const order = [m.createdAt, m.firstDispatchAt, m.firstEnRouteAt, m.firstOnSceneAt, m.clearedAt];
    expect(order.every((value) => value !== null)).toBe(true);
    expect([...order].sort()).toEqual(order);
    expect(times).toMatchObject({
      priority: 'P1',
      type: 'structure_fire',
      targetS: 480,
      withinTarget: true,
    });
    expect(times.intervalsS.response).toBeGreaterThan(0);

    const range = `from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const figures = await t.send<ResponseFigures>(
      supervisor,
      'GET',
      `/v1/reports/response-times?${range}&groupBy=priority,type`,
    );
    expect(figures.status).toBe(200);
    expect(figures.body.groups).toEqual([
      expect.objectContaining({
        key: { priority: 'P1', type: 'structure_fire' },
        count: 1,
        withinTarget: { count: 1, share: 1 },
      }),
    ]);
    expect(figures.body.groups[0]?.intervals.response.medianS).toBeCloseTo(
      times.intervalsS.response ?? -1,
      1,
    );
    expect((await t.send(dispatcher, 'GET', `/v1/reports/response-times?${range}`)).status).toBe(
      403,
    );
    expect(
      (await t.send<ResponseFigures>(outsider, 'GET', `/v1/reports/response-times?${range}`)).body
        .groups,
    ).toEqual([]);
    expect(
      (
        await t.send(
          supervisor,
          'GET',
          `/v1/reports/response-times?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
        )
      ).status,
    ).toBe(422);

    const csv = await fetch(`${t.baseUrl}/v1/reports/response-times/export?${range}`, {
      headers: { authorization: `Bearer ${supervisor.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'incident_id,priority,type,zone,call_received_at,created_at,first_dispatch_at,first_en_route_at,first_on_scene_at,cleared_at,response_s,within_target',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${incident.id},P1,structure_fire,ezjm\\w,,`));
    expect(lines[1]?.endsWith(',true')).toBe(true);

    // The flight recorder at three moments.
    const replay = async (at: Date) =>
      (
        await t.send<IncidentReplayFrame>(
          supervisor,
          'GET',
          `/v1/incidents/${incident.id}/replay?at=${encodeURIComponent(at.toISOString())}`,
        )
      ).body;
    const first = await replay(beforeDispatch);
    expect(first).toMatchObject({
      existed: true,
      incident: { status: 'new', priority: 'P1' },
      units: [],
    });
    const second = await replay(whileEnRoute);
    expect(second.incident?.status).toBe('dispatched');
    expect(second.units).toEqual([
      expect.objectContaining({
        unitId: unit.id,
        callSign: 'Bomba 7',
        status: 'en_route',
        position: POINT(scene.lon + 0.005, scene.lat),
      }),
    ]);
    const third = await replay(afterResolved);
    expect(third.incident?.status).toBe('resolved');
    expect(third.units[0]).toMatchObject({
      status: 'on_scene',
      position: POINT(scene.lon, scene.lat),
    });
    expect(
      (
        await t.send(
          outsider,
          'GET',
          `/v1/incidents/${incident.id}/replay?at=${encodeURIComponent(afterResolved.toISOString())}`,
        )
      ).status,
    ).toBe(404);

    // ... and as a stream of frames, one a second.
    // Whole steps back from the end, so the last frame is at `afterResolved` and the first before the incident.
    const steps = Math.ceil((afterResolved.getTime() - Date.parse(incident.createdAt)) / 1000) + 1;
    const from = new Date(afterResolved.getTime() - steps * 1000);
    const framesReply = await fetch(
      `${t.baseUrl}/v1/incidents/${incident.id}/replay/frames?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(afterResolved.toISOString())}&stepS=1`,
      { headers: { authorization: `Bearer ${supervisor.token}` } },
    );
    expect(framesReply.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const frames = (await framesReply.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as IncidentReplayFrame);
    expect(frames).toHaveLength(steps + 1);
    expect(frames[0]).toMatchObject({ existed: false, incident: null });
    expect(frames[frames.length - 1]?.incident?.status).toBe('resolved');
  });

  it("reports an incident under the agency's named zone containing it, else its cell, and never under another agency's zone", async () => {
    const zoneAgency = 'agency-cad-zones';
    const zd = await t.caller(zoneAgency, 'dispatcher-z', ['dispatcher']);
    const zs = await t.caller(zoneAgency, 'supervisor-z', ['supervisor']);
    const other = await t.caller(`${zoneAgency}-other`, 'supervisor-o', [
      'supervisor',
      'dispatcher',
    ]);
    const fence = async (
      caller: Caller,
      name: string,
      kind: string,
      lon: number,
      lat: number,
      half: number,
    ) => {
      const reply = await t.send<Geofence>(caller, 'POST', '/v1/geofences', {
        name,
        kind,
        geometry: SQUARE(lon, lat, half),
      });
      expect(reply.status).toBe(201);
      return reply.body;
    };
    const centro = await fence(zs, 'Distrito Centro', 'zone', -5.99, 37.39, 0.02);
    // A beat inside the district: the smaller zone names the incidents in it.
    const sol = await fence(zs, 'Barrio Sol', 'zone', -5.995, 37.395, 0.003);
    // Not a zone: a restricted area names nothing.
    await fence(zs, 'Cuartel', 'restricted_area', -5.9, 37.39, 0.01);
    // Another agency's zone covering all of ours.
    await fence(other, 'Zona Ajena', 'zone', -5.95, 37.39, 0.2);

    const create = async (caller: Caller, lon: number, lat: number) => {
      const reply = await t.send<Incident>(caller, 'POST', '/v1/incidents', {
        type: 'theft',
        priority: 'P2',
        location: POINT(lon, lat),
      });
      expect(reply.status).toBe(201);
      return reply.body;
    };
    const cell = /^[0-9b-hjkmnp-z]{5}$/;
    const inCentro = await create(zd, -5.98, 37.38);
    expect(inCentro.zone).toEqual({ id: centro.id, name: 'Distrito Centro', source: 'geofence' });
    const inSol = await create(zd, -5.995, 37.395);
    expect(inSol.zone).toEqual({ id: sol.id, name: 'Barrio Sol', source: 'geofence' });
    const outside = await create(zd, -5.9, 37.39);
    expect(outside.zone).toMatchObject({ id: null, source: 'cell' });
    expect(outside.zone?.name).toMatch(cell);
    const foreign = await create(other, -5.98, 37.38);
    expect(foreign.zone?.name).toBe('Zona Ajena');

    const range = `from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const byZone = async (caller: Caller, filter = '') => {
      const reply = await t.send<ResponseFigures>(
        caller,
        'GET',
        `/v1/reports/response-times?${range}&groupBy=zone${filter}`,
      );
      expect(reply.status).toBe(200);
      return Object.fromEntries(reply.body.groups.map((group) => [group.key.zone, group.count]));
    };
    expect(await byZone(zs)).toEqual({
      'Barrio Sol': 1,
      'Distrito Centro': 1,
      [outside.zone?.name ?? '?']: 1,
    });
    expect(await byZone(zs, `&zone=${encodeURIComponent('Distrito Centro')}`)).toEqual({
      'Distrito Centro': 1,
    });
    // The other agency's zone names none of ours, and ours none of theirs.
    expect(await byZone(zs, `&zone=${encodeURIComponent('Zona Ajena')}`)).toEqual({});
    expect(await byZone(other)).toEqual({ 'Zona Ajena': 1 });

    const csv = await fetch(
      `${t.baseUrl}/v1/reports/response-times/export?${range}&zone=${encodeURIComponent('Barrio Sol')}`,
      { headers: { authorization: `Bearer ${zs.token}` } },
    );
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]?.startsWith(`${inSol.id},P2,theft,Barrio Sol,`)).toBe(true);

    // Moved into the district, the incident is reported there.
    const moved = await t.send<Incident>(
      zd,
      'PATCH',
      `/v1/incidents/${outside.id}`,
      { location: POINT(-5.985, 37.385), reason: 'address corrected' },
      { 'if-match': `"${outside.version}"` },
    );
    expect(moved.status).toBe(200);
    expect(moved.body.zone).toEqual({ id: centro.id, name: 'Distrito Centro', source: 'geofence' });
    expect(await byZone(zs, `&zone=${encodeURIComponent('Distrito Centro')}`)).toEqual({
      'Distrito Centro': 2,
    });
    const times = await t.send<IncidentResponseTimes>(
      zs,
      'GET',
      `/v1/incidents/${outside.id}/response-times`,
    );
    expect(times.body).toMatchObject({
      zone: 'Distrito Centro',
      zoneId: centro.id,
      zoneSource: 'geofence',
    });

    // geo-service down: the gateway reads the zone itself (docs/adr/0036).
    await geo.process.stop();
    expect((await create(zd, -5.98, 37.38)).zone).toEqual({
      id: centro.id,
      name: 'Distrito Centro',
      source: 'geofence',
    });
    // The lookup failing (here: past ZONE_LOOKUP_TIMEOUT_MS behind a lock on the fences): the
    // incident is still created, under its cell, and says the lookup failed.
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    let blind: Incident;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE geo.geofences IN ACCESS EXCLUSIVE MODE');
      blind = await create(zd, -5.98, 37.38);
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    expect(blind.zone).toMatchObject({ id: null, source: 'unresolved' });
    expect(blind.zone?.name).toMatch(cell);
    expect(
      (await t.send<IncidentResponseTimes>(zs, 'GET', `/v1/incidents/${blind.id}/response-times`))
        .body,
    ).toMatchObject({ zone: blind.zone?.name, zoneId: null, zoneSource: 'unresolved' });
  });
});
