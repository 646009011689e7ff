import type { Unit, UnitList, UnitStatusChangedV1, UnitUpdatedV1 } from '@gad/contracts';
import { DispatchTestApp, type Caller } from './dispatch-test-app';

/**
 * Units over REST against the real PostgreSQL and Redis: CRUD, the status machine (409 lists the
 * allowed statuses), roles and officers' own unit, agency scoping, and the events geo-service
 * consumes (`unit.updated`, `unit.status_changed`) written with the change, or not at all.
 */
describe('api-gateway units', () => {
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let supervisor: Caller;
  let auditor: Caller;
  let outsider: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    dispatcher = await t.caller('agency-u', 'dispatcher-1', ['dispatcher']);
    supervisor = await t.caller('agency-u', 'supervisor-1', ['supervisor']);
    auditor = await t.caller('agency-u', 'auditor-1', ['auditor']);
    outsider = await t.caller('agency-other', 'dispatcher-9', ['dispatcher']);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function createUnit(callSign: string, extra: Record<string, unknown> = {}): Promise<Unit> {
    const { status, body } = await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
      callSign,
      type: 'patrol',
      capabilities: ['k9', 'als', 'k9'],
      crew: ['officer-1'],
      ...extra,
    });
    expect(status).toBe(201);
    return body;
  }

  const setStatus = (caller: Caller, id: string, status: string, reason?: string) =>
    t.send(caller, 'POST', `/v1/units/${id}/status`, { status, ...(reason ? { reason } : {}) });

  it('creates, reads, lists, updates and retires units, publishing unit.updated', async () => {
    const unit = await createUnit('U-10');
    expect(unit).toMatchObject({
      callSign: 'U-10',
      type: 'patrol',
      capabilities: ['k9', 'als'],
      crew: ['officer-1'],
      status: 'off_duty',
      available: false,
      agencyId: 'agency-u',
    });
    const created = await t.waitForEvent<UnitUpdatedV1>(
      (e) => e.type === 'unit.updated' && e.data.unitId === unit.id,
      'unit.updated for a new unit',
    );
    expect(created).toMatchObject({
      agencyId: 'agency-u',
      actor: { kind: 'user', id: 'dispatcher-1' },
      data: { callSign: 'U-10', status: 'off_duty', capabilities: ['k9', 'als'] },
    });

    expect((await t.send<Unit>(auditor, 'GET', `/v1/units/${unit.id}`)).body.id).toBe(unit.id);

    const updated = await t.send<Unit>(dispatcher, 'PATCH', `/v1/units/${unit.id}`, {
      callSign: 'U-11',
      capabilities: ['als'],
      crew: ['officer-1', 'officer-2'],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      callSign: 'U-11',
      capabilities: ['als'],
      crew: ['officer-1', 'officer-2'],
    });
    await t.waitForEvent<UnitUpdatedV1>(
      (e) => e.type === 'unit.updated' && e.data.unitId === unit.id && e.data.callSign === 'U-11',
      'unit.updated after a change',
    );

    const other = await createUnit('U-12');
    const page1 = await t.send<UnitList>(dispatcher, 'GET', '/v1/units?limit=1');
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toBeDefined();
    const page2 = await t.send<UnitList>(
      dispatcher,
      'GET',
      `/v1/units?limit=1&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items.map((u) => u.id)).not.toContain(page1.body.items[0].id);
    const offDuty = await t.send<UnitList>(
      dispatcher,
      'GET',
      '/v1/units?status=off_duty,available',
    );
    expect(offDuty.body.items.map((u) => u.id)).toEqual(
      expect.arrayContaining([unit.id, other.id]),
    );
    const none = await t.send<UnitList>(dispatcher, 'GET', '/v1/units?status=on_scene');
    expect(none.body.items).toEqual([]);

    const retired = await t.send(supervisor, 'DELETE', `/v1/units/${other.id}`);
    expect(retired.status).toBe(204);
    expect((await t.send(dispatcher, 'GET', `/v1/units/${other.id}`)).status).toBe(404);
    await t.waitForEvent<UnitUpdatedV1>(
      (e) => e.type === 'unit.updated' && e.data.unitId === other.id && e.data.removed === true,
      'unit.updated removed',
    );
    // The call sign is free again once its unit is retired.
    await createUnit('U-12');
  });

  it('refuses a call sign the agency already uses (409), but not one of another agency', async () => {
    await createUnit('DUP-1');
    const duplicate = await t.send(dispatcher, 'POST', '/v1/units', {
      callSign: 'dup-1',
      type: 'x',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ code: 'unit_call_sign_taken' });
    const elsewhere = await t.send(outsider, 'POST', '/v1/units', { callSign: 'DUP-1', type: 'x' });
    expect(elsewhere.status).toBe(201);
  });

  it('enforces the status machine and answers 409 with the allowed statuses', async () => {
    const unit = await createUnit('SM-1');
    expect((await setStatus(dispatcher, unit.id, 'available')).body).toMatchObject({
      status: 'available',
      available: true,
    });
    const invalid = await setStatus(dispatcher, unit.id, 'on_scene');
    expect(invalid.status).toBe(409);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    expect(invalid.body).toMatchObject({
      code: 'unit_status_transition_invalid',
      currentStatus: 'available',
      requestedStatus: 'on_scene',
      allowed: ['dispatched', 'out_of_service', 'off_duty'],
    });
    expect((await setStatus(dispatcher, unit.id, 'out_of_service', 'flat tyre')).status).toBe(200);
    const fromOos = await setStatus(dispatcher, unit.id, 'en_route');
    expect(fromOos.body).toMatchObject({ allowed: ['available', 'off_duty'] });

    const changed = await t.waitForEvent<UnitStatusChangedV1>(
      (e) =>
        e.type === 'unit.status_changed' &&
        e.data.unitId === unit.id &&
        e.data.status === 'out_of_service',
      'unit.status_changed',
    );
    expect(changed.data).toMatchObject({
      previousStatus: 'available',
      callSign: 'SM-1',
      capabilities: ['k9', 'als'],
    });
    // The refused transition wrote nothing.
    const statuses = (await t.outbox())
      .filter((e) => e.type === 'unit.status_changed')
      .map((e) => e.data as UnitStatusChangedV1)
      .filter((d) => d.unitId === unit.id)
      .map((d) => d.status);
    expect(statuses).toEqual(['available', 'out_of_service']);
  });

  it('lets officers change only the unit they crew; auditors only read', async () => {
    const unit = await createUnit('OF-1', { crew: ['officer-7'] });
    const crew = await t.caller('agency-u', 'officer-7', ['officer']);
    const byClaim = await t.caller('agency-u', 'officer-8', ['officer'], unit.id);
    const stranger = await t.caller('agency-u', 'officer-9', ['officer']);
    expect((await setStatus(crew, unit.id, 'available')).status).toBe(200);
    expect((await setStatus(byClaim, unit.id, 'off_duty')).status).toBe(200);
    const refused = await setStatus(stranger, unit.id, 'available');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'unit_not_crewed_by_caller' });
    expect((await t.send(crew, 'PATCH', `/v1/units/${unit.id}`, { type: 'x' })).status).toBe(403);
    expect((await t.send(auditor, 'POST', '/v1/units', { callSign: 'A', type: 'x' })).status).toBe(
      403,
    );
    expect((await setStatus(auditor, unit.id, 'available')).status).toBe(403);
    expect((await t.send(dispatcher, 'DELETE', `/v1/units/${unit.id}`)).status).toBe(403);
    expect((await t.send(undefined, 'GET', `/v1/units/${unit.id}`)).status).toBe(401);
  });

  it('answers 404 for another agency’s unit on every unit route', async () => {
    const unit = await createUnit('ISO-1');
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/units/${unit.id}`],
      ['PATCH', `/v1/units/${unit.id}`, { type: 'stolen' }],
      ['POST', `/v1/units/${unit.id}/status`, { status: 'available' }],
    ];
    for (const [method, path, body] of routes) {
      const reply = await t.send(outsider, method, path, body);
      expect({ method, path, status: reply.status, code: reply.body?.['code'] }).toEqual({
        method,
        path,
        status: 404,
        code: 'unit_not_found',
      });
    }
    const admin = await t.caller('agency-other', 'admin-9', ['admin']);
    expect((await t.send(admin, 'DELETE', `/v1/units/${unit.id}`)).status).toBe(404);
    const list = await t.send<UnitList>(outsider, 'GET', '/v1/units?limit=200');
    expect(list.body.items.map((u) => u.id)).not.toContain(unit.id);
    expect((await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`)).body.type).toBe(
      'patrol',
    );
  });

  it('validates bodies and params with problem+json pointers (422)', async () => {
    const bad = await t.send(dispatcher, 'POST', '/v1/units', {
      callSign: '',
      type: 'x',
      extra: 1,
    });
    expect(bad.status).toBe(422);
    expect(bad.body['errors']).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/body/callSign' })]),
    );
    expect((await t.send(dispatcher, 'GET', '/v1/units/not-a-uuid')).status).toBe(422);
    expect(
      (await setStatus(dispatcher, '0196f1d2-0000-7000-8000-000000000000', 'nope')).status,
    ).toBe(422);
  });

  it('rolls the status change back when its event cannot be written (same transaction)', async () => {
    const unit = await createUnit('TX-1');
    await t.pg.query(`
      CREATE FUNCTION dispatch.fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.envelope->'data'->>'unitId' = '${unit.id}'
           AND NEW.envelope->>'type' = 'unit.status_changed' THEN
          RAISE EXCEPTION 'outbox unavailable';
        END IF;
        RETURN NEW;
      END $$`);
    await t.pg.query(
      `CREATE TRIGGER fail_outbox BEFORE INSERT ON dispatch.outbox
         FOR EACH ROW EXECUTE FUNCTION dispatch.fail_outbox()`,
    );
    try {
      const failed = await setStatus(dispatcher, unit.id, 'available');
      expect(failed.status).toBe(500);
      const unchanged = await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`);
      expect(unchanged.body.status).toBe('off_duty');
    } finally {
      await t.pg.query('DROP TRIGGER fail_outbox ON dispatch.outbox');
      await t.pg.query('DROP FUNCTION dispatch.fail_outbox()');
    }
    expect((await setStatus(dispatcher, unit.id, 'available')).status).toBe(200);
  });
});
