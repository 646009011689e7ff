import {
  connectField,
  createGadClient,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import type { DeliveredCommand, HazardNotice, IncidentReplayFrame } from '@gad/contracts';
import {
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

/**
 * Issue #23 from the call to the report, across the built api-gateway, geo-service,
 * notification-service and ws-gateway (processes, real PostgreSQL/PostGIS and Redis), driven only
 * through @gad/client: two calls for the same fire linked to one incident, a hazard note at the
 * address, a two-requirement response plan dispatched in one step whose commands reach both
 * crews' devices with the hazard, the units en route and on scene, a close with a disposition,
 * then the response-time figures and the flight recorder at three moments, each checked against
 * what happened.
 */
describe('from the call to the report (#23)', () => {
  const agencyId = `cad-${Date.now().toString(36)}`;
  const scene = { lon: -3.7003, lat: 40.4203 };
  const at = (dLon: number) => ({
    type: 'Point' as const,
    coordinates: [scene.lon + dLon, scene.lat] as [number, number],
  });
  let environment: TestEnvironment;
  const services: ServiceProcess[] = [];
  let api: ServiceProcess;
  let ws: ServiceProcess;
  const devices: FieldConnection[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment({ OUTBOX_POLL_MS: '50' });
    services.push(await startTestApp('geo-service', environment));
    services.push(await startTestApp('audit-log-worker', environment));
    api = await startTestApp('api-gateway', environment);
    services.push(api);
    services.push(await startTestApp('notification-service', environment));
    ws = await startTestApp('ws-gateway', environment);
    services.push(ws);
  }, 240_000);

  afterAll(async () => {
    devices.forEach((device) => device.close());
    await Promise.all(services.map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      services.forEach((service) => console.log(service.tail(40)));
    }
  });

  async function login(
    userId: string,
    roles: ('admin' | 'supervisor' | 'dispatcher' | 'officer' | 'service')[],
    unitId?: string,
  ): Promise<GadRestClient> {
    const client = createGadClient({ baseUrl: api.url });
    await client.auth.devLogin({ agencyId, userId, roles, ...(unitId ? { unitId } : {}) });
    return client;
  }

  it('takes two calls, dispatches the plan with the hazard to the devices, closes, and reports and replays what happened', async () => {
    const dispatcher = await login('dispatcher-1', ['dispatcher', 'supervisor', 'admin']);
    const tracker = await login('tracker-1', ['service']);

    // The catalogue: a structure fire needs an engine and an ambulance with `als`.
    await dispatcher.ops.createIncidentType({
      body: {
        code: 'structure_fire',
        nameEs: 'Incendio de estructura',
        nameEn: 'Structure fire',
        defaultPriority: 'P1',
        plan: [
          { unitType: 'engine', count: 1 },
          { unitType: 'ambulance', capabilities: ['als'], count: 1 },
        ],
      },
    });
    const units: Record<string, string> = {};
    for (const [callSign, type, capabilities, officer, dLon] of [
      ['Bomba 1', 'engine', [], 'officer-e1', 0.01],
      ['SVA 1', 'ambulance', ['als'], 'officer-a1', -0.012],
    ] as const) {
      const { body } = await dispatcher.ops.createUnit({
        body: { callSign, type, capabilities: [...capabilities], crew: [officer] },
      });
      units[callSign] = body.id;
      await dispatcher.ops.changeUnitStatus({
        params: { id: body.id },
        body: { status: 'available' },
      });
      const reported = await tracker.positions.report({
        positions: [
          {
            unitId: body.id,
            position: at(dLon),
            recordedAt: new Date(Date.now() - 60_000).toISOString(),
            seq: 1,
            accuracyM: 300,
          },
        ],
      });
      expect(reported.body.accepted).toBe(1);
    }
    const engine = units['Bomba 1'] as string;
    const ambulance = units['SVA 1'] as string;

    // Both crews' devices are online.
    const received = new Map<string, DeliveredCommand[]>();
    for (const [officer, unitId] of [
      ['officer-e1', engine],
      ['officer-a1', ambulance],
    ] as const) {
      const client = await login(officer, ['officer'], unitId);
      const device = connectField({
        url: ws.url,
        token: client.getAccessToken() as string,
        transports: ['websocket'],
        onCommand: (command) => received.set(unitId, [...(received.get(unitId) ?? []), command]),
      });
      devices.push(device);
    }
    await waitFor(() => devices.every((device) => device.socket.connected), {
      description: 'both devices connected',
      timeoutMs: 30_000,
    });

    // Premise information at the address, before anything happens there.
    const { body: hazard } = await dispatcher.hazards.create({
      title: 'Oxygen in use',
      details: 'Home oxygen, 3rd floor',
      severity: 'danger',
      address: 'Calle Mayor 10',
      area: {
        type: 'Polygon',
        coordinates: [
          [
            [scene.lon - 0.0005, scene.lat - 0.0005],
            [scene.lon + 0.0005, scene.lat - 0.0005],
            [scene.lon + 0.0005, scene.lat + 0.0005],
            [scene.lon - 0.0005, scene.lat + 0.0005],
            [scene.lon - 0.0005, scene.lat - 0.0005],
          ],
        ],
      },
    });

    // Two calls about the same fire: the first makes the incident, the second is flagged and linked.
    const firstCallAt = new Date(Date.now() - 30_000).toISOString();
    const { body: first } = await dispatcher.ops.createCall({
      body: {
        channel: 'phone',
        callerName: 'Ana',
        callbackNumber: '+34 600 000 001',
        locationText: 'Calle Mayor 10',
        location: at(0),
        receivedAt: firstCallAt,
        incidentType: 'structure_fire',
      },
    });
    const { body: created } = await dispatcher.ops.createIncidentFromCall({
      params: { id: first.id },
      body: {},
    });
    const incidentId = created.incident.id;
    expect(created.incident).toMatchObject({
      type: 'structure_fire',
      priority: 'P1',
      status: 'new',
    });
    const { body: second } = await dispatcher.ops.createCall({
      body: {
        channel: 'phone',
        callerName: 'Luis',
        location: at(0.0003),
        incidentType: 'structure_fire',
      },
    });
    expect(second.possibleDuplicate).toBe(true);
    expect(second.duplicateCandidates.map((candidate) => candidate.incidentId)).toContain(
      incidentId,
    );
    await dispatcher.ops.linkCall({ params: { id: second.id }, body: { incidentId } });
    const { body: hazards } = await dispatcher.hazards.ofIncident(incidentId);
    expect(hazards.items.map((item) => item.id)).toEqual([hazard.id]);
    const beforeDispatch = new Date();

    // geo-service knows both units, then the plan is dispatched in one step.
    await waitFor(
      async () => {
        const { body } = await dispatcher.units.nearest({
          lon: scene.lon,
          lat: scene.lat,
          maxAgeS: 3600,
        });
        return [engine, ambulance].every((id) => body.items.some((item) => item.unitId === id));
      },
      { description: 'geo-service knows both available units', timeoutMs: 20_000 },
    );
    const { body: plan } = await dispatcher.ops.dispatchIncidentPlan({
      params: { id: incidentId },
      body: {},
    });
    expect(plan.unfilled).toEqual([]);
    expect(plan.assignments.map((assignment) => assignment.unitId).sort()).toEqual(
      [engine, ambulance].sort(),
    );

    // Each crew's device gets the command with the hazard.
    for (const unitId of [engine, ambulance]) {
      const command = await waitFor(
        () => received.get(unitId)?.find((candidate) => candidate.incidentId === incidentId),
        { description: `the command on ${unitId}'s device`, timeoutMs: 20_000 },
      );
      expect(command).toMatchObject({ kind: 'dispatch', critical: true });
      expect((command.payload?.['hazards'] as HazardNotice[] | undefined)?.[0]).toMatchObject({
        id: hazard.id,
        title: 'Oxygen in use',
        severity: 'danger',
      });
      await devices[unitId === engine ? 0 : 1]?.ack(command.commandId, 'accepted');
    }

    // The engine goes en route and arrives; the ambulance arrives later.
    const byUnit = new Map(
      plan.assignments.map((assignment) => [assignment.unitId, assignment.id]),
    );
    const step = (unitId: string, status: 'en_route' | 'on_scene') =>
      dispatcher.ops.changeAssignmentStatus({
        params: { id: byUnit.get(unitId) as string },
        body: { status },
      });
    await waitFor(
      async () => {
        for (const unitId of [engine, ambulance]) {
          const { body } = await dispatcher.ops.getAssignment({
            params: { id: byUnit.get(unitId) as string },
          });
          if (body.status !== 'accepted') return false;
        }
        return true;
      },
      { description: 'both crews accepted', timeoutMs: 15_000 },
    );
    await step(engine, 'en_route');
    await tracker.positions.report({
      positions: [
        {
          unitId: engine,
          position: at(0.004),
          recordedAt: new Date().toISOString(),
          seq: 2,
          accuracyM: 300,
        },
      ],
    });
    const whileEnRoute = new Date(Date.now() + 50);
    await waitFor(() => Date.now() > whileEnRoute.getTime() + 50, {
      description: 'a moment en route',
    });
    await step(engine, 'on_scene');
    await step(ambulance, 'en_route');
    await step(ambulance, 'on_scene');
    await tracker.positions.report({
      positions: [
        {
          unitId: engine,
          position: at(0),
          recordedAt: new Date().toISOString(),
          seq: 3,
          accuracyM: 300,
        },
      ],
    });
    await dispatcher.ops.changeIncidentStatus({
      params: { id: incidentId },
      body: { status: 'resolved' },
    });
    const closed = await dispatcher.ops.changeIncidentStatus({
      params: { id: incidentId },
      body: {
        status: 'closed',
        disposition: 'resolved',
        summary: 'Fire out, one resident treated',
      },
    });
    expect(closed.body).toMatchObject({ status: 'closed', disposition: { code: 'resolved' } });
    const afterClose = new Date(Date.now() + 50);
    await waitFor(() => Date.now() > afterClose.getTime(), { description: 'after the close' });

    // The response times: from the first call, each milestone in order, within the P1 target.
    const { body: times } = await dispatcher.reports.incidentResponseTimes(incidentId);
    const m = times.milestones;
    expect(m.callReceivedAt).toBe(new Date(firstCallAt).toISOString());
    const order = [
      m.callReceivedAt,
      m.createdAt,
      m.firstDispatchAt,
      m.firstEnRouteAt,
      m.firstOnSceneAt,
      m.clearedAt,
    ];
    expect(order.every((value) => value !== null)).toBe(true);
    expect([...order].sort()).toEqual(order);
    expect(times.intervalsS.callToCreate).toBeGreaterThanOrEqual(30);
    expect(times).toMatchObject({ priority: 'P1', withinTarget: true, targetS: 480 });
    const { body: figures } = await dispatcher.reports.responseFigures({
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      groupBy: ['priority'],
    });
    expect(figures.groups).toEqual([
      expect.objectContaining({
        key: { priority: 'P1' },
        count: 1,
        withinTarget: { count: 1, share: 1 },
      }),
    ]);
    expect(figures.groups[0]?.intervals.response.medianS).toBeCloseTo(
      times.intervalsS.response ?? -1,
      1,
    );

    // The flight recorder at three moments.
    const replay = async (moment: Date): Promise<IncidentReplayFrame> =>
      (await dispatcher.replay.at(incidentId, moment.toISOString())).body;
    const beforeUnits = await replay(beforeDispatch);
    expect(beforeUnits).toMatchObject({
      existed: true,
      incident: { status: 'new', type: 'structure_fire' },
      units: [],
    });
    const enRoute = await replay(whileEnRoute);
    expect(enRoute.incident?.status).toBe('dispatched');
    const engineThen = enRoute.units.find((unit) => unit.unitId === engine);
    expect(engineThen).toMatchObject({
      callSign: 'Bomba 1',
      status: 'en_route',
      position: at(0.004),
    });
    expect(enRoute.units.find((unit) => unit.unitId === ambulance)?.status).toBe('accepted');
    const afterwards = await replay(afterClose);
    expect(afterwards.incident?.status).toBe('closed');
    expect(afterwards.units.find((unit) => unit.unitId === engine)).toMatchObject({
      position: at(0),
    });
    expect(afterwards.units.map((unit) => unit.status)).toEqual(['cleared', 'cleared']);

    // Each look at the recorder is in the audit trail, with the moment asked and no frame content.
    const audited = await waitFor(
      async () => {
        const { body } = await dispatcher.audit.list({
          action: 'incident.replay',
          objectId: incidentId,
        });
        return body.items.length === 3 && body.items;
      },
      { description: 'three audited replay reads', timeoutMs: 20_000 },
    );
    expect(
      audited
        .map((stored) => (stored.entry.changes?.after as { replayAt?: string }).replayAt)
        .sort(),
    ).toEqual(
      [beforeDispatch, whileEnRoute, afterClose].map((moment) => moment.toISOString()).sort(),
    );
    expect(audited.every((stored) => stored.entry.actor.id === 'dispatcher-1')).toBe(true);
  }, 180_000);
});
