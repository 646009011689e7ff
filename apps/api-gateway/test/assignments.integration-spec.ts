import type {
  Assignment,
  AssignmentCreatedV1,
  AssignmentList,
  AssignmentUpdatedV1,
  Incident,
  IncidentTimeline,
  Unit,
  UnitStatusChangedV1,
} from '@gad/contracts';
import { DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * Assignments over REST against the real PostgreSQL and Redis: dispatching named units (unit and
 * incident follow), several units per incident, each step with its time, the assignment machine
 * (409 with the allowed steps), officers on their own unit only, declines and clears freeing the
 * unit, and ending an incident clearing its assignments.
 */
describe('api-gateway assignments', () => {
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let auditor: Caller;
  let outsider: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    dispatcher = await t.caller('agency-a', 'dispatcher-1', ['dispatcher']);
    auditor = await t.caller('agency-a', 'auditor-1', ['auditor']);
    outsider = await t.caller('agency-z', 'dispatcher-9', ['dispatcher']);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function availableUnit(callSign: string, crew: string[] = ['officer-1']): Promise<Unit> {
    const created = await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
      callSign,
      type: 'ambulance',
      capabilities: ['als'],
      crew,
    });
    expect(created.status).toBe(201);
    const ready = await t.send<Unit>(dispatcher, 'POST', `/v1/units/${created.body.id}/status`, {
      status: 'available',
    });
    expect(ready.body.status).toBe('available');
    return ready.body;
  }

  async function incident(): Promise<Incident> {
    const { status, body } = await t.send<Incident>(dispatcher, 'POST', '/v1/incidents', {
      type: 'cardiac_arrest',
      priority: 'P1',
      location: POINT(-3.69, 40.42),
      address: 'Gran Vía 1',
    });
    expect(status).toBe(201);
    return body;
  }

  const assign = (incidentId: string, body: unknown, caller: Caller = dispatcher) =>
    t.send<Assignment>(caller, 'POST', `/v1/incidents/${incidentId}/assignments`, body);
  const step = (caller: Caller, id: string, status: string, reason?: string) =>
    t.send<Assignment>(caller, 'POST', `/v1/assignments/${id}/status`, {
      status,
      ...(reason ? { reason } : {}),
    });
  const unitOf = async (id: string) =>
    (await t.send<Unit>(dispatcher, 'GET', `/v1/units/${id}`)).body;
  const incidentOf = async (id: string) =>
    (await t.send<Incident>(dispatcher, 'GET', `/v1/incidents/${id}`)).body;

  it('dispatches named units: the unit is dispatched, the incident too, and the crew is in the event', async () => {
    const a1 = await availableUnit('AMB-1', ['officer-1', 'officer-2']);
    const a2 = await availableUnit('AMB-2');
    const target = await incident();

    const first = await assign(target.id, { unitId: a1.id, note: 'closest by radio' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      incidentId: target.id,
      unitId: a1.id,
      callSign: 'AMB-1',
      status: 'proposed',
      recommendation: null,
      createdBy: 'dispatcher-1',
    });
    expect(Object.keys(first.body.steps)).toEqual(['proposed']);
    expect((await unitOf(a1.id)).status).toBe('dispatched');
    expect((await incidentOf(target.id)).status).toBe('dispatched');

    const second = await assign(target.id, { unitId: a2.id });
    expect(second.status).toBe(201);
    const listed = await t.send<AssignmentList>(
      auditor,
      'GET',
      `/v1/incidents/${target.id}/assignments`,
    );
    expect(listed.body.items.map((a) => a.callSign)).toEqual(['AMB-1', 'AMB-2']);
    expect(
      (await t.send<Assignment>(auditor, 'GET', `/v1/assignments/${first.body.id}`)).body.id,
    ).toBe(first.body.id);

    const created = await t.waitForEvent<AssignmentCreatedV1>(
      (e) => e.type === 'assignment.created' && e.data.assignmentId === first.body.id,
      'assignment.created',
    );
    expect(created.data).toMatchObject({
      incidentId: target.id,
      unitId: a1.id,
      callSign: 'AMB-1',
      status: 'proposed',
      priority: 'P1',
      incidentType: 'cardiac_arrest',
      location: POINT(-3.69, 40.42),
      address: 'Gran Vía 1',
      crew: ['officer-1', 'officer-2'],
    });
    const dispatched = await t.waitForEvent<UnitStatusChangedV1>(
      (e) =>
        e.type === 'unit.status_changed' &&
        e.data.unitId === a1.id &&
        e.data.status === 'dispatched',
      'unit.status_changed dispatched',
    );
    expect(dispatched.data).toMatchObject({ previousStatus: 'available', incidentId: target.id });

    // A dispatched unit cannot take a second incident.
    const busy = await assign((await incident()).id, { unitId: a1.id });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: 'unit_busy', currentStatus: 'dispatched' });

    const timeline = await t.send<IncidentTimeline>(
      dispatcher,
      'GET',
      `/v1/incidents/${target.id}/timeline`,
    );
    expect(timeline.body.items.map((e) => `${e.kind}: ${e.message}`)).toEqual([
      'incident.created: dispatcher-1 created a P1 cardiac_arrest incident',
      'assignment.created: dispatcher-1 assigned AMB-1',
      'incident.status_changed: dispatcher-1 moved the incident from new to dispatched',
      'assignment.created: dispatcher-1 assigned AMB-2',
    ]);
    expect(timeline.body.items[1].reason).toBe('closest by radio');
    expect(timeline.body.items[2].reason).toBe('AMB-1 dispatched');
  });

  it('moves an assignment along: en_route, on_scene (incident in progress), cleared (unit available)', async () => {
    const unit = await availableUnit('AMB-3', ['officer-3']);
    const target = await incident();
    const created = (await assign(target.id, { unitId: unit.id })).body;
    const crew = await t.caller('agency-a', 'officer-3', ['officer']);
    const stranger = await t.caller('agency-a', 'officer-4', ['officer']);

    const refused = await step(stranger, created.id, 'en_route');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'unit_not_crewed_by_caller' });

    const invalid = await step(dispatcher, created.id, 'on_scene');
    expect(invalid.status).toBe(409);
    expect(invalid.body).toMatchObject({
      code: 'assignment_status_transition_invalid',
      currentStatus: 'proposed',
      requestedStatus: 'on_scene',
      allowed: ['notified', 'delivered', 'seen', 'accepted', 'declined', 'en_route', 'cleared'],
    });

    expect((await step(crew, created.id, 'en_route')).body.status).toBe('en_route');
    expect((await unitOf(unit.id)).status).toBe('en_route');
    const onScene = await step(crew, created.id, 'on_scene');
    expect(onScene.body.status).toBe('on_scene');
    expect((await unitOf(unit.id)).status).toBe('on_scene');
    expect((await incidentOf(target.id)).status).toBe('in_progress');

    const cleared = await step(dispatcher, created.id, 'cleared', 'patient handed over');
    expect(cleared.body.status).toBe('cleared');
    expect(Object.keys(cleared.body.steps)).toEqual([
      'proposed',
      'en_route',
      'on_scene',
      'cleared',
    ]);
    const times = Object.values(cleared.body.steps).map((at) => Date.parse(at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect((await unitOf(unit.id)).status).toBe('available');

    const afterClear = await step(dispatcher, created.id, 'en_route');
    expect(afterClear.status).toBe(409);
    expect(afterClear.body).toMatchObject({ currentStatus: 'cleared', allowed: [] });

    const updates = (await t.outbox())
      .filter((e) => e.type === 'assignment.updated')
      .map((e) => e.data as AssignmentUpdatedV1)
      .filter((d) => d.assignmentId === created.id)
      .map((d) => `${d.previousStatus}>${d.status}`);
    expect(updates).toEqual(['proposed>en_route', 'en_route>on_scene', 'on_scene>cleared']);
    await t.waitForEvent<AssignmentUpdatedV1>(
      (e) =>
        e.type === 'assignment.updated' &&
        e.data.assignmentId === created.id &&
        e.data.status === 'cleared',
      'assignment.updated cleared',
    );
  });

  it('records a decline with its reason and frees the unit for another incident', async () => {
    const unit = await availableUnit('AMB-4', ['officer-5']);
    const target = await incident();
    const created = (await assign(target.id, { unitId: unit.id })).body;
    const crew = await t.caller('agency-a', 'officer-5', ['officer'], unit.id);
    const declined = await step(crew, created.id, 'declined', 'vehicle breakdown');
    expect(declined.body).toMatchObject({ status: 'declined', declineReason: 'vehicle breakdown' });
    expect((await unitOf(unit.id)).status).toBe('available');
    const timeline = await t.send<IncidentTimeline>(
      dispatcher,
      'GET',
      `/v1/incidents/${target.id}/timeline`,
    );
    expect(timeline.body.items.at(-1)).toMatchObject({
      kind: 'assignment.updated',
      actor: { kind: 'user', id: 'officer-5' },
      reason: 'vehicle breakdown',
      detail: { from: 'proposed', to: 'declined' },
    });
    expect((await assign(target.id, { unitId: unit.id })).status).toBe(201);
  });

  it('clears open assignments and frees their units when the incident is cancelled', async () => {
    const u1 = await availableUnit('AMB-5');
    const u2 = await availableUnit('AMB-6');
    const target = await incident();
    const a1 = (await assign(target.id, { unitId: u1.id })).body;
    const a2 = (await assign(target.id, { unitId: u2.id })).body;
    await step(dispatcher, a2.id, 'en_route');
    const cancelled = await t.send<Incident>(
      dispatcher,
      'POST',
      `/v1/incidents/${target.id}/status`,
      {
        status: 'cancelled',
        reason: 'hoax call',
      },
    );
    expect(cancelled.body.status).toBe('cancelled');
    const items = (
      await t.send<AssignmentList>(dispatcher, 'GET', `/v1/incidents/${target.id}/assignments`)
    ).body.items;
    expect(items.map((a) => [a.id, a.status])).toEqual([
      [a1.id, 'cleared'],
      [a2.id, 'cleared'],
    ]);
    expect((await unitOf(u1.id)).status).toBe('available');
    expect((await unitOf(u2.id)).status).toBe('available');
    const refused = await assign(target.id, { unitId: u1.id });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'incident_not_assignable',
      currentStatus: 'cancelled',
    });
  });

  it('keeps the unit on its open assignment: no manual dispatch, no going available, no retiring', async () => {
    const unit = await availableUnit('AMB-8');
    const setUnit = (status: string) =>
      t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status });
    const manual = await setUnit('dispatched');
    expect(manual.status).toBe(409);
    expect(manual.body).toMatchObject({ code: 'unit_dispatched_only_by_assignment' });

    const target = await incident();
    const created = (await assign(target.id, { unitId: unit.id })).body;
    const free = await setUnit('available');
    expect(free.status).toBe(409);
    expect(free.body).toMatchObject({ code: 'unit_assignment_open', assignmentId: created.id });
    const supervisor = await t.caller('agency-a', 'supervisor-1', ['supervisor']);
    const retire = await t.send(supervisor, 'DELETE', `/v1/units/${unit.id}`);
    expect(retire.status).toBe(409);
    expect(retire.body).toMatchObject({ code: 'unit_busy' });
    expect((await setUnit('en_route')).status).toBe(200);
    expect((await unitOf(unit.id)).status).toBe('en_route');

    await step(dispatcher, created.id, 'cleared');
    expect((await unitOf(unit.id)).status).toBe('available');
    expect((await t.send(supervisor, 'DELETE', `/v1/units/${unit.id}`)).status).toBe(204);
  });

  it('scopes every assignment route by agency and role', async () => {
    const unit = await availableUnit('AMB-7');
    const target = await incident();
    const created = (await assign(target.id, { unitId: unit.id })).body;
    const foreignGet = await t.send(outsider, 'GET', `/v1/assignments/${created.id}`);
    expect(foreignGet.status).toBe(404);
    expect(foreignGet.body).toMatchObject({ code: 'assignment_not_found' });
    expect((await step(outsider, created.id, 'cleared')).status).toBe(404);
    // Another agency's unit is not found either, even from the right incident.
    const foreignUnit = await t.send<Unit>(outsider, 'POST', '/v1/units', {
      callSign: 'Z-1',
      type: 'x',
    });
    const cross = await assign(target.id, { unitId: foreignUnit.body.id });
    expect(cross.status).toBe(404);
    expect(cross.body).toMatchObject({ code: 'unit_not_found' });

    expect((await assign(target.id, { unitId: unit.id }, auditor)).status).toBe(403);
    expect((await step(auditor, created.id, 'cleared')).status).toBe(403);
    const bad = await assign(target.id, { unitId: unit.id, strategy: 'nearest' });
    expect(bad.status).toBe(422);
    expect((await unitOf(unit.id)).status).toBe('dispatched');
  });
});
