import type { Geofence, GeofenceListResponse, PositionsInBboxResponse, Role } from '@gad/contracts';
import {
  createTestEnvironment,
  startTestApp,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

/**
 * The geo REST surface through the built api-gateway and geo-service (processes, real PostGIS and
 * Redis): geofence CRUD with validation, agency isolation and optimistic concurrency, bbox and
 * track queries after reporting positions.
 */
describe('api-gateway geo routes', () => {
  const agencyId = `agency-geo-${Date.now().toString(36)}`;
  const otherAgencyId = `${agencyId}-other`;
  let testEnv: TestEnvironment | undefined;
  const services: ServiceProcess[] = [];
  let baseUrl = '';

  beforeAll(async () => {
    testEnv = await createTestEnvironment();
    // Both migrate their schema at boot: one after the other.
    services.push(await startTestApp('geo-service', testEnv));
    const gateway = await startTestApp('api-gateway', testEnv);
    services.push(gateway);
    baseUrl = gateway.url;
  }, 150_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await testEnv?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of services) {
        console.log(service.tail(30));
      }
    }
  });

  interface Reply<T> {
    status: number;
    body: T;
  }

  async function login(agency: string, roles: Role[]): Promise<string> {
    const { body } = await send<{ accessToken: string }>('', 'POST', '/v1/auth/dev-login', {
      agencyId: agency,
      userId: `${roles[0]}-1`,
      roles,
    });
    return body.accessToken;
  }

  async function send<T = Record<string, unknown>>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  const square = {
    type: 'Polygon',
    coordinates: [
      [
        [-3.71, 40.41],
        [-3.69, 40.41],
        [-3.69, 40.43],
        [-3.71, 40.43],
        [-3.71, 40.41],
      ],
    ],
  };

  it('creates, lists, reads, updates and deletes a geofence in the caller’s agency only', async () => {
    const supervisor = await login(agencyId, ['supervisor']);
    const dispatcher = await login(agencyId, ['dispatcher']);
    const outsider = await login(otherAgencyId, ['supervisor']);

    const created = await send<Geofence>(supervisor, 'POST', '/v1/geofences', {
      name: 'Centro',
      kind: 'zone',
      geometry: square,
      minInsideS: 30,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      agencyId,
      name: 'Centro',
      kind: 'zone',
      version: 1,
      minInsideS: 30,
      geometry: { type: 'Polygon' },
    });
    const id = created.body.id;

    // Dispatchers read but do not write.
    expect(
      (
        await send(dispatcher, 'POST', '/v1/geofences', {
          name: 'x',
          kind: 'zone',
          geometry: square,
        })
      ).status,
    ).toBe(403);
    const listed = await send<GeofenceListResponse>(dispatcher, 'GET', '/v1/geofences?kind=zone');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((fence) => fence.id)).toEqual([id]);
    const read = await send<Geofence>(dispatcher, 'GET', `/v1/geofences/${id}`);
    expect(read.body).toEqual(created.body);

    // Another agency neither sees nor changes it.
    expect((await send(outsider, 'GET', `/v1/geofences/${id}`)).status).toBe(404);
    expect((await send(outsider, 'DELETE', `/v1/geofences/${id}`)).status).toBe(404);
    const outsiderList = await send<GeofenceListResponse>(outsider, 'GET', '/v1/geofences');
    expect(outsiderList.body.items).toEqual([]);

    const updated = await send<Geofence>(supervisor, 'PATCH', `/v1/geofences/${id}`, {
      name: 'Centro ampliado',
      expectedVersion: 1,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, name: 'Centro ampliado', version: 2 });
    const stale = await send(supervisor, 'PATCH', `/v1/geofences/${id}`, {
      name: 'lost update',
      expectedVersion: 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'geofence_version_conflict' });

    const deleted = await send(supervisor, 'DELETE', `/v1/geofences/${id}`);
    expect(deleted.status).toBe(204);
    const gone = await send(supervisor, 'GET', `/v1/geofences/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'geofence_not_found' });
  });

  it('answers 422 with the reason for an invalid polygon and 422 for a malformed id', async () => {
    const supervisor = await login(agencyId, ['admin']);
    const bowtie = await send(supervisor, 'POST', '/v1/geofences', {
      name: 'Bow tie',
      kind: 'zone',
      geometry: {
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
    expect(bowtie.status).toBe(422);
    expect(bowtie.body).toMatchObject({ code: 'invalid_geometry' });
    expect(String(bowtie.body['detail'])).toMatch(/self-intersection/i);

    const open = await send(supervisor, 'POST', '/v1/geofences', {
      name: 'Open ring',
      kind: 'zone',
      geometry: { type: 'Polygon', coordinates: [square.coordinates[0].slice(0, 4)] },
    });
    expect(open.status).toBe(422);
    expect(open.body).toMatchObject({ code: 'invalid_geometry' });

    expect((await send(supervisor, 'GET', '/v1/geofences/not-a-uuid')).status).toBe(422);
  });

  it('answers boxes of every size and takes whole-world geofences (no 5xx)', async () => {
    const agency = `${agencyId}-world`;
    const tracker = await login(agency, ['service']);
    const dispatcher = await login(agency, ['dispatcher']);
    const supervisor = await login(agency, ['supervisor']);
    const recordedAt = new Date(Date.now() - 10_000).toISOString();
    const at = (unitId: string, lon: number, lat: number) => ({
      unitId,
      position: { type: 'Point', coordinates: [lon, lat] },
      recordedAt,
      seq: 1,
    });
    // Positions are taken for units of the caller's agency only: create the three.
    const names = new Map<string, string>();
    for (const name of ['w-madrid', 'w-fiji', 'w-pole']) {
      const unit = await send<{ id: string }>(dispatcher, 'POST', '/v1/units', {
        callSign: name.toUpperCase(),
        type: 'patrol',
      });
      expect(unit.status).toBe(201);
      names.set(name, unit.body.id);
      names.set(unit.body.id, name);
    }
    const idOf = (name: string) => names.get(name) ?? name;
    const reported = await send(tracker, 'POST', '/v1/positions', {
      positions: [
        at(idOf('w-madrid'), -3.7, 40.4),
        at('w-not-ours', -3.7, 40.4),
        at(idOf('w-fiji'), 179.5, -17),
        { ...at(idOf('w-madrid'), 200, 40.4), seq: 2 },
        at(idOf('w-pole'), 10, 89.9),
      ],
    });
    // Rejections name the fixes by their index in the request, whichever side refused them.
    expect(reported.body).toEqual({
      accepted: 3,
      late: 0,
      duplicates: 0,
      rejected: [
        { index: 1, unitId: 'w-not-ours', reason: 'unknown_unit' },
        { index: 3, unitId: idOf('w-madrid'), reason: 'out_of_range' },
      ],
    });
    const ids = async (bbox: string) => {
      const answer = await send<PositionsInBboxResponse>(
        dispatcher,
        'GET',
        `/v1/positions?bbox=${bbox}`,
      );
      expect(answer.status).toBe(200);
      return answer.body.items.map((item) => names.get(item.unitId) ?? item.unitId).sort();
    };
    expect(await ids('-180,-90,180,90')).toEqual(['w-fiji', 'w-madrid', 'w-pole']);
    expect(await ids('-100,-90,100,90')).toEqual(['w-madrid', 'w-pole']);
    expect(await ids('170,-20,-170,-10')).toEqual(['w-fiji']);
    for (const loose of [',,,', '0x1,0,1,1', '0,10,1,5']) {
      const refused = await send(dispatcher, 'GET', `/v1/positions?bbox=${loose}`);
      expect(refused.status).toBe(422);
    }

    const world = await send<Geofence>(supervisor, 'POST', '/v1/geofences', {
      name: 'Everywhere',
      kind: 'zone',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [-180, -90],
            [180, -90],
            [180, 90],
            [-180, 90],
            [-180, -90],
          ],
        ],
      },
    });
    expect(world.status).toBe(201);
  });

  it('answers the latest positions in a bbox and a unit’s track after positions are reported', async () => {
    const tracker = await login(agencyId, ['service']);
    const dispatcher = await login(agencyId, ['dispatcher']);
    const outsider = await login(otherAgencyId, ['dispatcher']);
    // Tracks are only answered for units of the caller's agency, so the unit exists in dispatch.
    const unit = await send<{ id: string }>(dispatcher, 'POST', '/v1/units', {
      callSign: 'GEO-1',
      type: 'patrol',
    });
    expect(unit.status).toBe(201);
    const unitId = unit.body.id;
    const start = Date.now() - 60_000;
    const fix = (seq: number, lon: number) => ({
      unitId,
      position: { type: 'Point', coordinates: [lon, 40.42] },
      recordedAt: new Date(start + seq * 10_000).toISOString(),
      seq,
      accuracyM: 5,
    });
    // Reported out of order: the latest position and the track still follow device time.
    const reported = await send(tracker, 'POST', '/v1/positions', {
      positions: [fix(2, -3.702), fix(1, -3.701), fix(3, -3.703)],
    });
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({ duplicates: 0, rejected: [] });

    const inBox = await send<PositionsInBboxResponse>(
      dispatcher,
      'GET',
      '/v1/positions?bbox=-3.71,40.41,-3.69,40.43',
    );
    expect(inBox.status).toBe(200);
    expect(inBox.body.items).toHaveLength(1);
    expect(inBox.body.items[0]).toMatchObject({ unitId, seq: 3 });
    expect(inBox.body.items[0].position.coordinates[0]).toBeCloseTo(-3.703, 6);
    const elsewhere = await send<PositionsInBboxResponse>(
      dispatcher,
      'GET',
      '/v1/positions?bbox=2,41,3,42',
    );
    expect(elsewhere.body.items).toEqual([]);
    const otherAgency = await send<PositionsInBboxResponse>(
      outsider,
      'GET',
      '/v1/positions?bbox=-3.71,40.41,-3.69,40.43',
    );
    expect(otherAgency.body.items).toEqual([]);
    expect((await send(dispatcher, 'GET', '/v1/positions?bbox=1,2,3')).status).toBe(422);

    const from = encodeURIComponent(new Date(start).toISOString());
    const to = encodeURIComponent(new Date(start + 60_000).toISOString());
    const track = await send<{ unitId: string; items: { seq: number }[]; truncated: boolean }>(
      dispatcher,
      'GET',
      `/v1/units/${unitId}/track?from=${from}&to=${to}`,
    );
    expect(track.status).toBe(200);
    expect(track.body.unitId).toBe(unitId);
    expect(track.body.items.map((point) => point.seq)).toEqual([1, 2, 3]);
    expect(track.body.truncated).toBe(false);

    // Officers report positions but do not read the agency's tracks.
    const officer = await login(agencyId, ['officer']);
    expect(
      (await send(officer, 'GET', `/v1/units/${unitId}/track?from=${from}&to=${to}`)).status,
    ).toBe(403);
  });
});
