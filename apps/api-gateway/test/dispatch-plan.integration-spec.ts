import type {
  Assignment,
  CreatedIncident,
  DispatchPlanResult,
  Envelope,
  IncidentTimeline,
  NearestUnitsResponse,
  PlanProposal,
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
 * Response plans against the real geo-service (built app as a process on the same Redis prefix):
 * the proposal recommends the nearest eligible available unit per requirement with no unit on two
 * lines, counts units already assigned, and "dispatch plan" assigns them all in ONE transaction —
 * when any part fails nothing of it stays — reporting what could not be filled.
 */
describe('api-gateway dispatch plan with geo-service', () => {
  const agencyId = 'agency-p';
  const scene = { lon: -3.7038, lat: 40.4168 };
  let t: DispatchTestApp;
  let geo: GeoServiceBeside;
  let dispatcher: Caller;
  let supervisor: Caller;
  let tracker: Caller;
  const units: Record<string, Unit> = {};

  async function unitAt(
    callSign: string,
    type: string,
    north: number,
    capabilities: string[] = [],
  ): Promise<Unit> {
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', { callSign, type, capabilities })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    const reported = await t.send<PositionsIngestResult>(tracker, 'POST', '/v1/positions', {
      positions: [
        {
          unitId: unit.id,
          position: POINT(scene.lon, scene.lat + north / 111_320),
          recordedAt: new Date().toISOString(),
          seq: 1,
        },
      ],
    });
    expect(reported.body).toMatchObject({ accepted: 1, rejected: [] });
    units[callSign] = unit;
    return unit;
  }

  async function type(code: string, plan: unknown[]): Promise<void> {
    const reply = await t.send(supervisor, 'POST', '/v1/incident-types', {
      code,
      nameEs: code,
      nameEn: code,
      defaultPriority: 'P1',
      plan,
    });
    expect(reply.status).toBe(201);
  }

  async function incident(code: string): Promise<string> {
    const reply = await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
      type: code,
      location: POINT(scene.lon, scene.lat),
    });
    expect(reply.status).toBe(201);
    return reply.body.id;
  }

  const unitStatus = async (callSign: string) =>
    (await t.send<Unit>(dispatcher, 'GET', `/v1/units/${units[callSign].id}`)).body.status;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    geo = await startGeoServiceBeside(t);
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    supervisor = await t.caller(agencyId, 'supervisor-1', ['supervisor']);
    tracker = await t.caller(agencyId, 'tracker-1', ['service']);
    await type('structure_fire', [
      { unitType: 'engine', count: 2 },
      { unitType: 'ambulance', capabilities: ['als'], count: 1 },
    ]);
    await unitAt('A1', 'ambulance', 100, ['bls']);
    await unitAt('E1', 'engine', 300);
    await unitAt('E2', 'engine', 600);
    await unitAt('A2', 'ambulance', 800, ['als', 'bls']);
    await unitAt('E3', 'engine', 2_000);
    await waitFor(
      async () => {
        const ids = (
          await t.send<NearestUnitsResponse>(
            dispatcher,
            'GET',
            `/v1/units/nearest?lon=${scene.lon}&lat=${scene.lat}&limit=20`,
          )
        ).body.items.map((item) => item.unitId);
        return Object.values(units).every((unit) => ids.includes(unit.id)) && ids;
      },
      { description: 'geo-service knows every available unit', timeoutMs: 20_000 },
    );
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

  it('answers a create with the type’s plan proposal when asked, and null for a type without a plan', async () => {
    const created = await t.send<CreatedIncident>(
      dispatcher,
      'POST',
      '/v1/incidents?propose=plan',
      {
        type: 'structure_fire',
        location: POINT(scene.lon, scene.lat),
      },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'structure_fire', priority: 'P1', status: 'new' });
    expect(created.body.plan?.incidentId).toBe(created.body.id);
    expect(
      created.body.plan?.lines.map((line) => ({
        unitType: line.unitType,
        recommended: line.recommended.map((unit) => unit.callSign),
        missing: line.missing,
      })),
    ).toEqual([
      { unitType: 'engine', recommended: ['E1', 'E2'], missing: 0 },
      { unitType: 'ambulance', recommended: ['A2'], missing: 0 },
    ]);
    // Proposed, not dispatched: the units stay available.
    expect(await unitStatus('E1')).toBe('available');

    const plain = await t.send<CreatedIncident>(dispatcher, 'POST', '/v1/incidents', {
      type: 'structure_fire',
      location: POINT(scene.lon, scene.lat),
    });
    expect(plain.status).toBe(201);
    expect(plain.body).not.toHaveProperty('plan');

    const noPlan = await t.send<CreatedIncident>(dispatcher, 'POST', '/v1/incidents?propose=plan', {
      type: 'lost_dog',
      priority: 'P4',
      location: POINT(scene.lon, scene.lat),
    });
    expect(noPlan.status).toBe(201);
    expect(noPlan.body.plan).toBeNull();
    expect(
      (
        await t.send(dispatcher, 'POST', '/v1/incidents?propose=everything', {
          type: 'lost_dog',
          priority: 'P4',
          location: POINT(scene.lon, scene.lat),
        })
      ).status,
    ).toBe(422);
  });

  it('proposes the nearest eligible unit per requirement and dispatches the plan in one step', async () => {
    const id = await incident('structure_fire');
    const proposal = await t.send<PlanProposal>(dispatcher, 'GET', `/v1/incidents/${id}/plan`);
    expect(proposal.status).toBe(200);
    expect(
      proposal.body.lines.map((line) => ({
        recommended: line.recommended.map((unit) => unit.callSign),
        missing: line.missing,
      })),
    ).toEqual([
      // A1 is closer but an ambulance without `als`: never proposed for either line.
      { recommended: ['E1', 'E2'], missing: 0 },
      { recommended: ['A2'], missing: 0 },
    ]);
    expect(proposal.body.lines[0].recommended[0].distanceM).toBeGreaterThan(250);

    const result = await t.send<DispatchPlanResult>(
      dispatcher,
      'POST',
      `/v1/incidents/${id}/plan/dispatch`,
      { note: 'first alarm' },
    );
    expect(result.status).toBe(200);
    expect(result.body.unfilled).toEqual([]);
    expect(result.body.assignments.map((a) => a.callSign).sort()).toEqual(['A2', 'E1', 'E2']);
    expect(await Promise.all(['E1', 'E2', 'A2', 'A1', 'E3'].map(unitStatus))).toEqual([
      'dispatched',
      'dispatched',
      'dispatched',
      'available',
      'available',
    ]);
    const incidentNow = await t.send<{ status: string }>(dispatcher, 'GET', `/v1/incidents/${id}`);
    expect(incidentNow.body.status).toBe('dispatched');
    const kinds = (
      await t.send<IncidentTimeline>(dispatcher, 'GET', `/v1/incidents/${id}/timeline`)
    ).body.items.map((entry) => entry.kind);
    expect(kinds.filter((kind) => kind === 'assignment.created')).toHaveLength(3);
    expect(kinds).toContain('plan.dispatched');

    // Dispatched again: everything is assigned already, nothing new, nothing unfilled.
    const again = await t.send<DispatchPlanResult>(
      dispatcher,
      'POST',
      `/v1/incidents/${id}/plan/dispatch`,
      {},
    );
    expect(again.body).toEqual({ incidentId: id, assignments: [], unfilled: [] });
    const counted = await t.send<PlanProposal>(dispatcher, 'GET', `/v1/incidents/${id}/plan`);
    expect(counted.body.lines.map((line) => line.assigned.map((unit) => unit.callSign))).toEqual([
      ['E1', 'E2'],
      ['A2'],
    ]);

    // Free the units for the next tests.
    for (const assignment of result.body.assignments) {
      await t.send(dispatcher, 'POST', `/v1/assignments/${assignment.id}/status`, {
        status: 'cleared',
      });
    }
  });

  it('never counts one unit on two requirements and reports what it could not fill', async () => {
    // The ALS line and the two-ambulance line could both take A2; it goes to one of them only.
    await type('cardiac_arrest', [
      { capabilities: ['als'], count: 1 },
      { unitType: 'ambulance', count: 2 },
    ]);
    const id = await incident('cardiac_arrest');
    const proposal = (await t.send<PlanProposal>(dispatcher, 'GET', `/v1/incidents/${id}/plan`))
      .body;
    const proposed = proposal.lines.flatMap((line) => line.recommended.map((u) => u.callSign));
    expect(proposed.sort()).toEqual(['A1', 'A2']);
    expect(new Set(proposed).size).toBe(proposed.length);
    expect(proposal.lines.map((line) => line.missing)).toEqual([0, 1]);

    const result = await t.send<DispatchPlanResult>(
      dispatcher,
      'POST',
      `/v1/incidents/${id}/plan/dispatch`,
      {},
    );
    expect(result.body.assignments.map((a) => a.callSign).sort()).toEqual(['A1', 'A2']);
    expect(result.body.unfilled).toEqual([
      { index: 1, unitType: 'ambulance', capabilities: [], missing: 1 },
    ]);
    const timeline = (
      await t.send<IncidentTimeline>(dispatcher, 'GET', `/v1/incidents/${id}/timeline`)
    ).body.items;
    expect(timeline.find((entry) => entry.kind === 'plan.dispatched')?.message).toMatch(
      /unfilled 1 × ambulance/,
    );
    for (const assignment of result.body.assignments) {
      await t.send(dispatcher, 'POST', `/v1/assignments/${assignment.id}/status`, {
        status: 'cleared',
      });
    }
    // A type without a plan has nothing to propose.
    const plain = await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
      type: 'lost_dog',
      priority: 'P4',
      location: POINT(scene.lon, scene.lat),
    });
    expect(
      (await t.send(dispatcher, 'GET', `/v1/incidents/${plain.body.id}/plan`)).body,
    ).toMatchObject({ status: 409, code: 'incident_type_has_no_plan' });
  });

  it('dispatches the plan in one transaction: a failure on the last unit leaves nothing behind', async () => {
    const id = await incident('structure_fire');
    const before = (await t.outbox()).length;
    // The database refuses the ambulance's assignment (the third insert of the plan).
    await t.pg.query(`
      CREATE FUNCTION dispatch.test_refuse_a2() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.unit_id = '${units['A2'].id}' THEN RAISE EXCEPTION 'refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await t.pg.query(`
      CREATE TRIGGER test_refuse_a2 BEFORE INSERT ON dispatch.assignments
        FOR EACH ROW EXECUTE FUNCTION dispatch.test_refuse_a2()`);
    try {
      const failed = await t.send(dispatcher, 'POST', `/v1/incidents/${id}/plan/dispatch`, {});
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    } finally {
      await t.pg.query('DROP TRIGGER test_refuse_a2 ON dispatch.assignments');
      await t.pg.query('DROP FUNCTION dispatch.test_refuse_a2()');
    }
    // The engines assigned before the failure were rolled back with it.
    const assignments = await t.send<{ items: Assignment[] }>(
      dispatcher,
      'GET',
      `/v1/incidents/${id}/assignments`,
    );
    expect(assignments.body.items).toEqual([]);
    expect(await Promise.all(['E1', 'E2', 'A2'].map(unitStatus))).toEqual([
      'available',
      'available',
      'available',
    ]);
    const after = (await t.outbox()).slice(before) as Envelope[];
    expect(
      after
        .filter((e) => (e.data as { incidentId?: string } | undefined)?.incidentId === id)
        .map((e) => e.type),
    ).toEqual([]);
    expect(
      (await t.send<{ status: string }>(dispatcher, 'GET', `/v1/incidents/${id}`)).body.status,
    ).toBe('new');

    // The same plan goes through once the database accepts it.
    const ok = await t.send<DispatchPlanResult>(
      dispatcher,
      'POST',
      `/v1/incidents/${id}/plan/dispatch`,
      {},
    );
    expect(ok.body.assignments.map((a) => a.callSign).sort()).toEqual(['A2', 'E1', 'E2']);
  });
});
