import type {
  Call,
  CallLinkedV1,
  CallReceivedV1,
  CallWithIncident,
  Incident,
  IncidentLinks,
  IncidentStatusChangedV1,
  IncidentsLinkedV1,
  IncidentTimeline,
  IncidentType,
  Note,
  NoteAddedV1,
  NoteList,
  SplitIncidentResult,
  Unit,
} from '@gad/contracts';
import { DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * Call intake and what follows it (issue #23 A), against the real PostgreSQL and Redis: the
 * incident type catalogue, calls with the possible-duplicate flag (PostGIS), linking calls to new
 * and existing incidents, the call taker's least privilege, dispositions on close, append-only
 * notes, and merging/splitting incidents, each with its timeline entries and outbox events.
 */
describe('api-gateway call intake, types, notes, dispositions and links', () => {
  const agencyId = 'agency-c';
  const scene = { lon: -3.7038, lat: 40.4168 };
  /** A point `north` metres north of the scene. */
  const north = (metres: number) => POINT(scene.lon, scene.lat + metres / 111_320);
  let t: DispatchTestApp;
  let callTaker: Caller;
  let dispatcher: Caller;
  let supervisor: Caller;
  let admin: Caller;
  let auditor: Caller;
  let outsider: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    callTaker = await t.caller(agencyId, 'taker-1', ['call_taker']);
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    supervisor = await t.caller(agencyId, 'supervisor-1', ['supervisor']);
    admin = await t.caller(agencyId, 'admin-1', ['admin']);
    auditor = await t.caller(agencyId, 'auditor-1', ['auditor']);
    outsider = await t.caller('agency-other', 'dispatcher-9', ['dispatcher']);
    await t.pg.query(`INSERT INTO dispatch.agencies (id, name) VALUES ($1, 'Agency C')`, [
      agencyId,
    ]);
    // A 10-minute, 250 m duplicate window, set before any call reads the settings.
    const settings = await t.send(
      admin,
      'PATCH',
      '/v1/agency/settings',
      { callDuplicateWindowS: 600, callDuplicateDistanceM: 250 },
      { 'if-match': '*' },
    );
    expect(settings.status).toBe(200);
    const fire = await t.send<IncidentType>(supervisor, 'POST', '/v1/incident-types', {
      code: 'structure_fire',
      nameEs: 'Incendio de estructura',
      nameEn: 'Structure fire',
      defaultPriority: 'P1',
      plan: [
        { unitType: 'engine', count: 2 },
        { unitType: 'ambulance', capabilities: ['als'], count: 1 },
      ],
    });
    expect(fire.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function takeCall(body: Record<string, unknown>, caller: Caller = callTaker) {
    const reply = await t.send<Call>(caller, 'POST', '/v1/calls', {
      channel: 'phone',
      callerName: 'Ana García',
      callbackNumber: '+34 600 111 222',
      locationText: 'Calle Mayor 1, Madrid',
      location: POINT(scene.lon, scene.lat),
      incidentType: 'structure_fire',
      ...body,
    });
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 201,
      body: expect.objectContaining({ id: expect.any(String) }),
    });
    return reply.body;
  }

  async function incident(body: Record<string, unknown> = {}): Promise<Incident> {
    const reply = await t.send<Incident>(dispatcher, 'POST', '/v1/incidents', {
      type: 'structure_fire',
      location: POINT(scene.lon, scene.lat),
      ...body,
    });
    expect(reply.status).toBe(201);
    return reply.body;
  }

  const timeline = async (id: string) =>
    (await t.send<IncidentTimeline>(dispatcher, 'GET', `/v1/incidents/${id}/timeline`)).body.items;

  it('keeps a catalogue of incident types whose default priority new incidents take', async () => {
    const list = await t.send<{ items: IncidentType[] }>(callTaker, 'GET', '/v1/incident-types');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        code: 'structure_fire',
        nameEn: 'Structure fire',
        defaultPriority: 'P1',
        active: true,
        plan: [
          { unitType: 'engine', count: 2 },
          { unitType: 'ambulance', capabilities: ['als'], count: 1 },
        ],
      }),
    ]);
    // Only supervisors and admins change it; codes are unique per agency.
    const taken = await t.send(supervisor, 'POST', '/v1/incident-types', {
      code: 'structure_fire',
      nameEs: 'x',
      nameEn: 'x',
      defaultPriority: 'P2',
      plan: [],
    });
    expect(taken.body).toMatchObject({ status: 409, code: 'incident_type_exists' });
    const byDispatcher = await t.send(dispatcher, 'PATCH', '/v1/incident-types/structure_fire', {
      defaultPriority: 'P3',
    });
    expect(byDispatcher.status).toBe(403);
    expect((await t.send(outsider, 'GET', '/v1/incident-types/structure_fire')).body).toMatchObject(
      { status: 404, code: 'incident_type_not_found' },
    );

    // No priority given: the type's default; an unknown type needs one.
    const created = await incident({ location: POINT(2.17, 41.38) });
    expect(created.priority).toBe('P1');
    const unknown = await t.send(dispatcher, 'POST', '/v1/incidents', {
      type: 'unheard_of',
      location: POINT(2.17, 41.38),
    });
    expect(unknown.body).toMatchObject({ status: 422, code: 'incident_priority_required' });

    const retired = await t.send<IncidentType>(
      admin,
      'PATCH',
      '/v1/incident-types/structure_fire',
      { nameEn: 'Building fire' },
    );
    expect(retired.body).toMatchObject({ nameEn: 'Building fire', version: 2 });
  });

  it('takes a call without an incident and flags a call near an open incident of its type', async () => {
    const existing = await incident();
    // Same type, 120 m away, within the window: a possible duplicate of the open incident.
    const near = await takeCall({ location: north(120) });
    expect(near).toMatchObject({
      channel: 'phone',
      callerName: 'Ana García',
      callbackNumber: '+34 600 111 222',
      incidentId: null,
      possibleDuplicate: true,
    });
    expect(near.duplicateCandidates.map((c) => c.incidentId)).toContain(existing.id);
    const candidate = near.duplicateCandidates.find((c) => c.incidentId === existing.id);
    expect(candidate?.distanceM).toBeGreaterThan(100);
    expect(candidate?.distanceM).toBeLessThan(140);

    // Farther than the agency's 250 m, another type, or received outside the window: no flag.
    const far = await takeCall({ location: north(600) });
    expect(far.possibleDuplicate).toBe(false);
    const otherType = await takeCall({ location: north(50), incidentType: 'flood' });
    expect(otherType.possibleDuplicate).toBe(false);
    const old = await takeCall({
      location: north(50),
      receivedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(old.possibleDuplicate).toBe(false);
    // A call with only a location text is taken, never flagged.
    const textOnly = await takeCall({ location: undefined, locationText: 'km 12 of the A-6' });
    expect(textOnly).toMatchObject({ location: null, possibleDuplicate: false });

    const event = await t.waitForEvent<CallReceivedV1>(
      (e) => e.type === 'call.received' && e.data.callId === near.id,
      'call.received relayed',
    );
    expect(event.data.duplicateOf).toContain(existing.id);
    expect(event.actor).toMatchObject({ kind: 'user', id: 'taker-1' });

    const unlinked = await t.send<{ items: Call[] }>(callTaker, 'GET', '/v1/calls?unlinked=true');
    expect(unlinked.body.items.map((call) => call.id)).toEqual(
      expect.arrayContaining([near.id, far.id, textOnly.id]),
    );
    expect((await t.send(outsider, 'GET', `/v1/calls/${near.id}`)).status).toBe(404);
    // Where is the caller? Nothing says: refused, nothing stored.
    const nowhere = await t.send(callTaker, 'POST', '/v1/calls', {
      channel: 'radio',
      locationText: undefined,
    });
    expect(nowhere.status).toBe(422);
  });

  it('links several calls to one incident, new or existing, and a call only once', async () => {
    const first = await takeCall({ location: north(2000), callerName: 'Luis' });
    const made = await t.send<CallWithIncident>(
      callTaker,
      'POST',
      `/v1/calls/${first.id}/incident`,
      {},
    );
    expect(made.status).toBe(201);
    expect(made.body.incident).toMatchObject({
      type: 'structure_fire',
      priority: 'P1',
      address: 'Calle Mayor 1, Madrid',
      location: north(2000),
      createdBy: 'taker-1',
    });
    expect(made.body.call).toMatchObject({
      incidentId: made.body.incident.id,
      linkedBy: 'taker-1',
    });

    const second = await takeCall({ location: north(2050), callerName: 'Marta' });
    expect(second.duplicateCandidates.map((c) => c.incidentId)).toContain(made.body.incident.id);
    const linked = await t.send<Call>(callTaker, 'POST', `/v1/calls/${second.id}/link`, {
      incidentId: made.body.incident.id,
    });
    expect(linked.body).toMatchObject({ incidentId: made.body.incident.id });
    const again = await t.send(callTaker, 'POST', `/v1/calls/${second.id}/link`, {
      incidentId: made.body.incident.id,
    });
    expect(again.body).toMatchObject({ status: 409, code: 'call_already_linked' });

    const links = await t.send<IncidentLinks>(
      dispatcher,
      'GET',
      `/v1/incidents/${made.body.incident.id}/links`,
    );
    expect(links.body.calls.map((call) => call.callerName)).toEqual(['Luis', 'Marta']);
    expect((await timeline(made.body.incident.id)).map((entry) => entry.kind)).toEqual([
      'incident.created',
      'call.linked',
      'call.linked',
    ]);
    await t.waitForEvent<CallLinkedV1>(
      (e) => e.type === 'call.linked' && e.data.callId === second.id,
      'call.linked relayed',
    );

    // A call cannot join another agency's incident, nor a closed one.
    const third = await takeCall({ location: north(2100) });
    const foreign = await t.send(outsider, 'POST', '/v1/incidents', {
      type: 'structure_fire',
      priority: 'P1',
      location: north(2100),
    });
    expect(
      (
        await t.send(callTaker, 'POST', `/v1/calls/${third.id}/link`, {
          incidentId: (foreign.body as Incident).id,
        })
      ).body,
    ).toMatchObject({ status: 404, code: 'incident_not_found' });
    const cancelled = await incident({ location: north(2100) });
    await t.send(dispatcher, 'POST', `/v1/incidents/${cancelled.id}/status`, {
      status: 'cancelled',
    });
    expect(
      (
        await t.send(callTaker, 'POST', `/v1/calls/${third.id}/link`, {
          incidentId: cancelled.id,
        })
      ).body,
    ).toMatchObject({ status: 409, code: 'incident_not_open' });
    expect((await t.send<Call>(callTaker, 'GET', `/v1/calls/${third.id}`)).body.incidentId).toBe(
      null,
    );
  });

  it('gives the call taker intake and nothing of dispatch', async () => {
    const created = await incident({ location: north(3000) });
    const tries = [
      t.send(callTaker, 'POST', `/v1/incidents/${created.id}/assignments`, { unitId: 'u-1' }),
      t.send(callTaker, 'POST', `/v1/incidents/${created.id}/status`, { status: 'cancelled' }),
      t.send(callTaker, 'POST', '/v1/units', { callSign: 'X-1', type: 'engine' }),
      t.send(callTaker, 'POST', `/v1/incidents/${created.id}/plan/dispatch`, {}),
      t.send(callTaker, 'POST', '/v1/incident-types', {
        code: 'x',
        nameEs: 'x',
        nameEn: 'x',
        defaultPriority: 'P4',
        plan: [],
      }),
    ];
    expect((await Promise.all(tries)).map((reply) => reply.status)).toEqual([
      403, 403, 403, 403, 403,
    ]);
    expect((await t.send(callTaker, 'GET', `/v1/incidents/${created.id}`)).status).toBe(200);
    expect((await t.send(auditor, 'GET', '/v1/calls')).status).toBe(200);
    expect(
      (await t.send(auditor, 'POST', '/v1/calls', { channel: 'app', locationText: 'x' })).status,
    ).toBe(403);
  });

  it('closes an incident only with a disposition of the agency’s list', async () => {
    const created = await incident({ location: north(4000) });
    const path = `/v1/incidents/${created.id}/status`;
    for (const status of ['dispatched', 'resolved']) {
      expect((await t.send(dispatcher, 'POST', path, { status })).status).toBe(200);
    }
    const bare = await t.send(dispatcher, 'POST', path, { status: 'closed' });
    expect(bare.body).toMatchObject({
      status: 422,
      code: 'disposition_required',
      allowed: ['resolved', 'false_alarm', 'unfounded', 'transferred', 'duplicate'],
    });
    const unknown = await t.send(dispatcher, 'POST', path, {
      status: 'closed',
      disposition: 'went_away',
    });
    expect(unknown.body).toMatchObject({ status: 422, code: 'disposition_unknown' });
    expect(
      (await t.send<Incident>(dispatcher, 'GET', `/v1/incidents/${created.id}`)).body.status,
    ).toBe('resolved');

    const closed = await t.send<Incident>(dispatcher, 'POST', path, {
      status: 'closed',
      disposition: 'false_alarm',
      summary: 'Smoke from a barbecue',
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({
      status: 'closed',
      disposition: { code: 'false_alarm', summary: 'Smoke from a barbecue', by: 'dispatcher-1' },
    });
    const event = await t.waitForEvent<IncidentStatusChangedV1>(
      (e) =>
        e.type === 'incident.status_changed' &&
        e.data.incidentId === created.id &&
        e.data.status === 'closed',
      'closing relayed',
    );
    expect(event.data.disposition).toBe('false_alarm');
    const last = (await timeline(created.id)).at(-1);
    expect(last?.detail).toMatchObject({ to: 'closed', disposition: 'false_alarm' });

    // A cancellation needs no disposition.
    const other = await incident({ location: north(4100) });
    const cancelled = await t.send<Incident>(
      dispatcher,
      'POST',
      `/v1/incidents/${other.id}/status`,
      { status: 'cancelled' },
    );
    expect(cancelled.body).toMatchObject({ status: 'cancelled', disposition: null });
  });

  it('keeps notes append-only and attributed, corrections referencing the note they correct', async () => {
    const created = await incident({ location: north(5000) });
    const notes = `/v1/incidents/${created.id}/notes`;
    const first = await t.send<Note>(callTaker, 'POST', notes, {
      text: 'Caller says two people inside',
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ author: 'taker-1', corrects: null, incidentId: created.id });
    const fix = await t.send<Note>(dispatcher, 'POST', notes, {
      text: 'Three people inside, one child',
      corrects: first.body.id,
    });
    expect(fix.body).toMatchObject({ author: 'dispatcher-1', corrects: first.body.id });

    const list = await t.send<NoteList>(auditor, 'GET', notes);
    expect(list.body.items.map((note) => [note.text, note.correctedBy])).toEqual([
      ['Caller says two people inside', [fix.body.id]],
      ['Three people inside, one child', []],
    ]);
    const kinds = (await timeline(created.id)).filter((entry) => entry.kind === 'note.added');
    expect(kinds.map((entry) => entry.actor.id)).toEqual(['taker-1', 'dispatcher-1']);
    await t.waitForEvent<NoteAddedV1>(
      (e) =>
        e.type === 'note.added' &&
        e.data.noteId === fix.body.id &&
        e.data.corrects === first.body.id,
      'note.added relayed',
    );

    // A correction names a note of the same incident; the table refuses edits outright.
    const elsewhere = await incident({ location: north(5100) });
    const wrong = await t.send(dispatcher, 'POST', `/v1/incidents/${elsewhere.id}/notes`, {
      text: 'x',
      corrects: first.body.id,
    });
    expect(wrong.body).toMatchObject({ status: 422, code: 'note_corrected_not_found' });
    await expect(
      t.pg.query(`UPDATE dispatch.notes SET text = 'rewritten' WHERE id = $1`, [first.body.id]),
    ).rejects.toThrow(/append-only/);

    // Unit notes: on the unit, not on any incident.
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', { callSign: 'E-50', type: 'engine' })
    ).body;
    const unitNote = await t.send<Note>(dispatcher, 'POST', `/v1/units/${unit.id}/notes`, {
      text: 'Pump 2 out of service',
    });
    expect(unitNote.body).toMatchObject({ unitId: unit.id, incidentId: null });
    expect(
      (await t.send<NoteList>(auditor, 'GET', `/v1/units/${unit.id}/notes`)).body.items,
    ).toHaveLength(1);
    expect(
      (await t.send(outsider, 'POST', `/v1/units/${unit.id}/notes`, { text: 'x' })).status,
    ).toBe(404);
  });

  it('merges a duplicate into its primary keeping both timelines, and splits calls off', async () => {
    const primaryCall = await takeCall({ location: north(7000), callerName: 'Primary caller' });
    const primary = (
      await t.send<CallWithIncident>(dispatcher, 'POST', `/v1/calls/${primaryCall.id}/incident`, {})
    ).body.incident;
    const dupCall = await takeCall({ location: north(7010), callerName: 'Duplicate caller' });
    const duplicate = (
      await t.send<CallWithIncident>(dispatcher, 'POST', `/v1/calls/${dupCall.id}/incident`, {})
    ).body.incident;
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', { callSign: 'E-70', type: 'engine' })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    await t.send(dispatcher, 'POST', `/v1/incidents/${duplicate.id}/assignments`, {
      unitId: unit.id,
    });

    const merged = await t.send<Incident>(
      dispatcher,
      'POST',
      `/v1/incidents/${duplicate.id}/merge`,
      {
        primaryIncidentId: primary.id,
        reason: 'same fire',
      },
    );
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({
      status: 'cancelled',
      mergedIntoId: primary.id,
      disposition: { code: 'duplicate' },
    });
    // Its call moved over, its unit is free again, both timelines name each other.
    const links = (
      await t.send<IncidentLinks>(dispatcher, 'GET', `/v1/incidents/${primary.id}/links`)
    ).body;
    expect(links.mergedIds).toEqual([duplicate.id]);
    expect(links.calls.map((call) => call.callerName)).toEqual([
      'Primary caller',
      'Duplicate caller',
    ]);
    expect((await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`)).body.status).toBe(
      'available',
    );
    const dupKinds = (await timeline(duplicate.id)).map((entry) => entry.kind);
    expect(dupKinds.slice(0, 2)).toEqual(['incident.created', 'call.linked']);
    expect(dupKinds).toEqual(expect.arrayContaining(['assignment.updated', 'incident.merged']));
    expect((await timeline(primary.id)).map((entry) => entry.kind)).toEqual([
      'incident.created',
      'call.linked',
      'call.linked',
      'incident.merged',
    ]);
    await t.waitForEvent<IncidentsLinkedV1>(
      (e) =>
        e.type === 'incidents.linked' &&
        e.data.kind === 'merge' &&
        e.data.incidentId === duplicate.id,
      'incidents.linked relayed',
    );
    const twice = await t.send(dispatcher, 'POST', `/v1/incidents/${duplicate.id}/merge`, {
      primaryIncidentId: primary.id,
    });
    expect(twice.body).toMatchObject({ status: 409, code: 'incident_not_open' });
    const self = await t.send(dispatcher, 'POST', `/v1/incidents/${primary.id}/merge`, {
      primaryIncidentId: primary.id,
    });
    expect(self.body).toMatchObject({ status: 409, code: 'incident_same' });

    // The duplicate caller was about another fire after all: split it off.
    const split = await t.send<SplitIncidentResult>(
      dispatcher,
      'POST',
      `/v1/incidents/${primary.id}/split`,
      { callIds: [dupCall.id], reason: 'different building' },
    );
    expect(split.status).toBe(201);
    expect(split.body.incident).toMatchObject({
      type: 'structure_fire',
      splitFromId: primary.id,
      location: north(7010),
      status: 'new',
    });
    expect(split.body.calls.map((call) => call.incidentId)).toEqual([split.body.incident.id]);
    expect(
      (await t.send<IncidentLinks>(dispatcher, 'GET', `/v1/incidents/${primary.id}/links`)).body,
    ).toMatchObject({ splitIds: [split.body.incident.id], mergedIds: [duplicate.id] });
    const notHere = await t.send(dispatcher, 'POST', `/v1/incidents/${primary.id}/split`, {
      callIds: [dupCall.id],
    });
    expect(notHere.body).toMatchObject({ status: 409, code: 'call_not_of_incident' });
  });
});
