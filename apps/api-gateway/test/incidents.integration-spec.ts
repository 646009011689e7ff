import type {
  Incident,
  IncidentList,
  IncidentStatusChangedV1,
  IncidentTimeline,
  IncidentUpdatedV1,
} from '@gad/contracts';
import { DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * Incidents over REST against the real PostgreSQL and Redis: list filters and cursor pagination,
 * ETag/If-Match updates (412/428), the status machine (409 with the allowed statuses), the
 * append-only timeline and the events written with each change.
 */
describe('api-gateway incidents', () => {
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let auditor: Caller;
  let officer: Caller;
  let outsider: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    dispatcher = await t.caller('agency-i', 'dispatcher-1', ['dispatcher']);
    auditor = await t.caller('agency-i', 'auditor-1', ['auditor']);
    officer = await t.caller('agency-i', 'officer-1', ['officer']);
    outsider = await t.caller('agency-x', 'dispatcher-9', ['dispatcher']);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function create(
    overrides: Record<string, unknown> = {},
    caller: Caller = dispatcher,
  ): Promise<Incident> {
    const { status, body } = await t.send<Incident>(caller, 'POST', '/v1/incidents', {
      type: 'fire',
      priority: 'P2',
      location: POINT(-3.7, 40.4),
      address: 'Calle Mayor 1',
      ...overrides,
    });
    expect(status).toBe(201);
    return body;
  }

  const list = (query: string, caller: Caller = dispatcher) =>
    t.send<IncidentList>(caller, 'GET', `/v1/incidents?${query}`);

  it('lists newest first with filters and cursor pagination, scoped by agency', async () => {
    const madrid = await create({ type: 'flood', priority: 'P1' });
    const barcelona = await create({ type: 'flood', location: POINT(2.17, 41.38) });
    const theft = await create({ type: 'theft', priority: 'P4' });
    await create({ type: 'flood' }, outsider);

    const floods = await list('type=flood');
    expect(floods.status).toBe(200);
    expect(floods.body.items.map((i) => i.id)).toEqual([barcelona.id, madrid.id]);

    const urgent = await list('priority=P1,P4');
    expect(urgent.body.items.map((i) => i.id)).toEqual([theft.id, madrid.id]);

    const inMadrid = await list('type=flood&bbox=-4,40,-3,41');
    expect(inMadrid.body.items.map((i) => i.id)).toEqual([madrid.id]);

    const since = await list(`from=${encodeURIComponent(barcelona.createdAt)}`);
    expect(since.body.items.map((i) => i.id)).toEqual([theft.id, barcelona.id]);
    const until = await list(`type=flood&to=${encodeURIComponent(barcelona.createdAt)}`);
    expect(until.body.items.map((i) => i.id)).toEqual([madrid.id]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual((await list('limit=200')).body.items.map((i) => i.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(3);

    expect((await list('status=new', officer)).body.items).toHaveLength(3);
    expect((await list('status=closed')).body.items).toEqual([]);

    const bad = await list('bbox=10,10,0,0&priority=P9&limit=0');
    expect(bad.status).toBe(422);
    expect(
      (bad.body as unknown as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toEqual(expect.arrayContaining(['/query/bbox', '/query/priority/0', '/query/limit']));
    const garbage = await list('cursor=bm90LWEtY3Vyc29y');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: 'invalid_cursor' });
  });

  it('filters by lon/lat boxes of every size, polar and across the antimeridian; refuses loose boxes', async () => {
    const world = await t.caller('agency-boxes', 'dispatcher-w', ['dispatcher']);
    const at = async (lon: number, lat: number) =>
      (await create({ location: POINT(lon, lat) }, world)).id;
    const fiji = await at(179.5, -17);
    const samoa = await at(-172, -13.8);
    const madrid = await at(-3.7, 40.4);
    const pole = await at(10, 89.9);
    const ids = async (bbox: string) => {
      const answer = await list(`bbox=${bbox}&limit=200`, world);
      expect(answer.status).toBe(200);
      return answer.body.items.map((item) => item.id).sort();
    };
    expect(await ids('-180,-90,180,90')).toEqual([fiji, samoa, madrid, pole].sort());
    expect(await ids('-100,-90,100,90')).toEqual([madrid, pole].sort());
    expect(await ids('-180,80,180,90')).toEqual([pole]);
    expect(await ids('170,-20,-170,-10')).toEqual([fiji, samoa].sort());

    for (const loose of [
      ',,,',
      '0x1,0,1,1',
      '1e1,0,20,1',
      '0,0,1',
      '0,0,1,1,2',
      '0,10,1,5',
      '0,0,181,1',
    ]) {
      const refused = await list(`bbox=${loose}`, world);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'validation_failed' });
    }
  });

  it('updates with If-Match: 428 without it, 412 when stale, a new ETag and a timeline entry', async () => {
    const incident = await create();
    const read = await t.send<Incident>(dispatcher, 'GET', `/v1/incidents/${incident.id}`);
    expect(read.headers.get('etag')).toBe('"1"');

    const path = `/v1/incidents/${incident.id}`;
    const missing = await t.send(dispatcher, 'PATCH', path, { priority: 'P1' });
    expect(missing.status).toBe(428);
    expect(missing.body).toMatchObject({ code: 'precondition_required' });

    const updated = await t.send<Incident>(
      dispatcher,
      'PATCH',
      path,
      { priority: 'P1', address: null, reason: 'caller reports people trapped' },
      { 'if-match': '"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body).toMatchObject({ priority: 'P1', address: null, version: 2 });

    const stale = await t.send(dispatcher, 'PATCH', path, { type: 'x' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'incident_version_mismatch', currentVersion: 2 });
    expect((await t.send<Incident>(dispatcher, 'GET', path)).body.type).toBe('fire');

    const event = await t.waitForEvent<IncidentUpdatedV1>(
      (e) => e.type === 'incident.updated' && e.data.incidentId === incident.id,
      'incident.updated',
    );
    expect(event.data).toEqual({
      incidentId: incident.id,
      version: 2,
      changes: { priority: 'P1', address: null },
      reason: 'caller reports people trapped',
      updatedAt: expect.any(String),
    });
    expect((await t.send(dispatcher, 'PATCH', path, {}, { 'if-match': '"2"' })).status).toBe(422);
    expect(
      (await t.send(officer, 'PATCH', path, { type: 'x' }, { 'if-match': '"2"' })).status,
    ).toBe(403);
  });

  it('enforces the status machine with 409 and the allowed statuses', async () => {
    const incident = await create();
    const path = `/v1/incidents/${incident.id}/status`;
    const invalid = await t.send(dispatcher, 'POST', path, { status: 'resolved' });
    expect(invalid.status).toBe(409);
    expect(invalid.body).toMatchObject({
      code: 'incident_status_transition_invalid',
      currentStatus: 'new',
      requestedStatus: 'resolved',
      allowed: ['dispatched', 'cancelled'],
    });
    for (const status of ['dispatched', 'in_progress', 'resolved', 'closed']) {
      const reply = await t.send<Incident>(dispatcher, 'POST', path, {
        status,
        reason: `to ${status}`,
        ...(status === 'closed' ? { disposition: 'resolved' } : {}),
      });
      expect({ status, code: reply.status, now: reply.body.status }).toEqual({
        status,
        code: 200,
        now: status,
      });
    }
    const afterClose = await t.send(dispatcher, 'POST', path, { status: 'in_progress' });
    expect(afterClose.body).toMatchObject({ currentStatus: 'closed', allowed: [] });

    const other = await create();
    const otherPath = `/v1/incidents/${other.id}/status`;
    const cancel = { status: 'cancelled' };
    const stale = await t.send(dispatcher, 'POST', otherPath, cancel, { 'if-match': '"9"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'incident_version_mismatch', currentVersion: 1 });
    const cancelled = await t.send(dispatcher, 'POST', otherPath, cancel, { 'if-match': '"1"' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.headers.get('etag')).toBe('"2"');

    const changes = (await t.outbox())
      .filter((e) => e.type === 'incident.status_changed')
      .map((e) => e.data as IncidentStatusChangedV1)
      .filter((d) => d.incidentId === incident.id)
      .map((d) => `${d.previousStatus}>${d.status}`);
    expect(changes).toEqual([
      'new>dispatched',
      'dispatched>in_progress',
      'in_progress>resolved',
      'resolved>closed',
    ]);
    await t.waitForEvent<IncidentStatusChangedV1>(
      (e) => e.type === 'incident.status_changed' && e.data.incidentId === other.id,
      'incident.status_changed relayed',
    );
    expect((await t.send(auditor, 'POST', path, { status: 'new' })).status).toBe(403);
  });

  it('keeps an append-only timeline of every change: what, who and why', async () => {
    const incident = await create({ priority: 'P3' });
    await t.send(
      dispatcher,
      'PATCH',
      `/v1/incidents/${incident.id}`,
      { priority: 'P2', reason: 'second call' },
      { 'if-match': '"1"' },
    );
    await t.send(dispatcher, 'POST', `/v1/incidents/${incident.id}/status`, {
      status: 'cancelled',
      reason: 'duplicate of another call',
    });
    const timeline = await t.send<IncidentTimeline>(
      auditor,
      'GET',
      `/v1/incidents/${incident.id}/timeline`,
    );
    expect(timeline.status).toBe(200);
    expect(timeline.body.items).toEqual([
      expect.objectContaining({
        kind: 'incident.created',
        actor: { kind: 'user', id: 'dispatcher-1' },
        reason: null,
      }),
      expect.objectContaining({
        kind: 'incident.updated',
        reason: 'second call',
        detail: { changes: { priority: { from: 'P3', to: 'P2' } }, version: 2 },
      }),
      expect.objectContaining({
        kind: 'incident.status_changed',
        reason: 'duplicate of another call',
        detail: { from: 'new', to: 'cancelled' },
        message: 'dispatcher-1 moved the incident from new to cancelled',
      }),
    ]);
    await expect(t.pg.query('UPDATE dispatch.incident_timeline SET reason = NULL')).rejects.toThrow(
      /append-only/,
    );
    await expect(t.pg.query('DELETE FROM dispatch.incident_timeline')).rejects.toThrow(
      /append-only/,
    );
    expect((await t.send(officer, 'GET', `/v1/incidents/${incident.id}/timeline`)).status).toBe(
      403,
    );
  });

  it('answers 404 for another agency’s incident on every incident route', async () => {
    const incident = await create();
    const routes: [string, string, unknown?, Record<string, string>?][] = [
      ['GET', `/v1/incidents/${incident.id}`],
      ['PATCH', `/v1/incidents/${incident.id}`, { type: 'x' }, { 'if-match': '"1"' }],
      ['POST', `/v1/incidents/${incident.id}/status`, { status: 'cancelled' }],
      ['GET', `/v1/incidents/${incident.id}/timeline`],
      ['GET', `/v1/incidents/${incident.id}/assignments`],
      ['POST', `/v1/incidents/${incident.id}/assignments`, { unitId: 'u-1' }],
    ];
    for (const [method, path, body, headers] of routes) {
      const reply = await t.send(outsider, method, path, body, headers);
      expect({ method, path, status: reply.status, code: reply.body?.['code'] }).toEqual({
        method,
        path,
        status: 404,
        code: 'incident_not_found',
      });
    }
    const mine = await t.send<Incident>(dispatcher, 'GET', `/v1/incidents/${incident.id}`);
    expect(mine.body).toMatchObject({ status: 'new', type: 'fire', version: 1 });
  });
});
