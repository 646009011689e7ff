import {
  connectDispatchFeed,
  connectField,
  createGadClient,
  type DispatchFeed,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import {
  EventTypes,
  Streams,
  type AllCall,
  type CommandAcknowledgedV1,
  type DeliveredCommand,
  type Envelope,
} from '@gad/contracts';
import {
  createTestEnvironment,
  startTestApp,
  testStack,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * An all-call to 100 on-duty units across the built api-gateway, notification-service and
 * ws-gateway: 100 real socket.io `/field` devices receive it, acknowledge it as far as each is
 * told (delivered, seen, accepted or declined), a unit without a device stays `issued`, an off-duty
 * unit gets nothing, the report shows each unit's stage, and a console sees every stage live.
 */
describe('all-call to 100 devices', () => {
  const DEVICES = 100;
  const agencyId = `allcall-${Date.now().toString(36)}`;
  let environment: TestEnvironment;
  const services: ServiceProcess[] = [];
  let api: ServiceProcess;
  let ws: ServiceProcess;
  const opened: { close(): void }[] = [];
  /** Shared by the tests: the units with a device, and the on-duty unit without one. */
  const units: string[] = [];
  const devices: FieldConnection[] = [];
  let withoutDevice = '';
  const received = new Map<string, DeliveredCommand[]>();

  beforeAll(async () => {
    environment = await createTestEnvironment({ OUTBOX_POLL_MS: '50' });
    services.push(await startTestApp('geo-service', environment));
    api = await startTestApp('api-gateway', environment);
    services.push(api);
    services.push(
      await startTestApp('notification-service', environment, {
        // A fast P1 ladder for the escalation test (the first test's P2 keeps the defaults).
        env: { ESCALATION_P1_DELIVER_MS: '1500', ESCALATION_P1_ACCEPT_MS: '3000' },
      }),
    );
    ws = await startTestApp('ws-gateway', environment);
    services.push(ws);
  }, 240_000);

  afterAll(async () => {
    opened.forEach((item) => item.close());
    await Promise.all(services.map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      services.forEach((service) => console.log(service.tail(40)));
    }
  });

  async function login(userId: string, roles: ('dispatcher' | 'supervisor')[] = ['dispatcher']) {
    const client = createGadClient({ baseUrl: api.url });
    await client.auth.devLogin({ agencyId, userId, roles });
    return client;
  }

  async function unit(client: GadRestClient, callSign: string, status?: 'available') {
    const { body } = await client.call('createUnit', { body: { callSign, type: 'patrol' } });
    if (status) {
      await client.call('changeUnitStatus', { params: { id: body.id }, body: { status } });
    }
    return body.id;
  }

  it('reports received, seen and accepted per device, and the consoles see each stage live', async () => {
    const dispatcher = await login('dispatcher-1');
    for (let index = 0; index < DEVICES; index += 1) {
      units.push(await unit(dispatcher, `ALL-${index}`, 'available'));
    }
    withoutDevice = await unit(dispatcher, 'NO-DEVICE', 'available');
    const offDuty = await unit(dispatcher, 'OFF-DUTY');

    // notification-service's duty projection has every on-duty unit (from unit.status_changed).
    const db = new Client({ connectionString: environment.database.url });
    await db.connect();
    try {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM notify.units WHERE agency_id = $1 AND status <> 'off_duty'`,
            [agencyId],
          );
          return Number(rows[0].n) === DEVICES + 1;
        },
        { description: 'duty projection of the units', timeoutMs: 30_000 },
      );
    } finally {
      await db.end();
    }

    for (const [index, unitId] of units.entries()) {
      const token = await environment.signToken({
        userId: `officer-${index}`,
        agencyId,
        roles: ['officer'],
        unitId,
        expiresInS: 600,
      });
      const device = connectField({
        url: ws.url,
        token,
        transports: ['websocket'],
        onCommand: (command) => received.set(unitId, [...(received.get(unitId) ?? []), command]),
      });
      devices.push(device);
      opened.push(device);
    }
    await waitFor(() => devices.every((device) => device.socket.connected), {
      description: `${DEVICES} devices connected`,
      timeoutMs: 30_000,
    });

    const acks: Envelope<CommandAcknowledgedV1>[] = [];
    const supervisor = await login('dispatcher-2');
    let followed = false;
    const feed: DispatchFeed = connectDispatchFeed({
      url: ws.url,
      token: (request) => supervisor.freshAccessToken(request),
      transports: ['websocket'],
      onEvent: (event) => {
        if (event.type === EventTypes.CommandAcknowledged) {
          acks.push(event as Envelope<CommandAcknowledgedV1>);
        }
      },
      onCaughtUp: () => {
        followed = true;
      },
    });
    opened.push(feed);
    await waitFor(() => followed, { description: 'console following the feed' });

    const created = await dispatcher.allCalls.create({
      title: 'All units',
      message: 'Report your position',
      priority: 'P2',
    });
    expect(created.meta.status).toBe(201);
    const allCall = created.body;
    expect(allCall.summary.recipients).toBe(DEVICES + 1);
    expect(allCall.critical).toBe(true);
    expect(allCall.devices.map((device) => device.unitId)).not.toContain(offDuty);

    await waitFor(() => units.every((unitId) => received.has(unitId)), {
      description: 'every device received the all-call',
      timeoutMs: 30_000,
    });
    for (const unitId of units) {
      const [command] = received.get(unitId) ?? [];
      expect(command).toMatchObject({
        kind: 'message',
        title: 'All units',
        body: 'Report your position',
        recipient: { kind: 'unit', id: unitId },
        payload: { allCallId: allCall.id },
      });
    }

    // Devices 0, 4, 8... accept; 1, 5, 9... only see it; 2, 6... decline; 3, 7... stop at delivered.
    const expected = (index: number) =>
      (['accepted', 'seen', 'declined', 'delivered'] as const)[index % 4];
    await Promise.all(
      devices.map(async (device, index) => {
        const [command] = received.get(units[index]) ?? [];
        const stage = expected(index);
        if (stage === 'delivered') {
          return;
        }
        if (stage === 'accepted') {
          expect(await device.ack(command.commandId, 'seen')).toMatchObject({ ok: true });
        }
        const reason = stage === 'declined' ? 'on a call already' : undefined;
        expect(await device.ack(command.commandId, stage, reason)).toMatchObject({ ok: true });
      }),
    );

    const expectedAcks =
      DEVICES +
      units.filter((_, index) => expected(index) !== 'delivered').length +
      units.filter((_, index) => expected(index) === 'accepted').length;
    let report: AllCall | undefined;
    await waitFor(
      async () => {
        report = (await dispatcher.allCalls.get(allCall.id)).body;
        return (
          report.summary.delivered === DEVICES &&
          report.summary.seen === (DEVICES * 3) / 4 &&
          report.summary.accepted === DEVICES / 4 &&
          report.summary.declined === DEVICES / 4
        );
      },
      { description: 'the report shows every stage', timeoutMs: 30_000 },
    );
    const byUnit = new Map((report?.devices ?? []).map((device) => [device.unitId, device]));
    expect(byUnit.get(withoutDevice)).toMatchObject({ stage: 'issued', deliveredAt: null });
    for (const [index, unitId] of units.entries()) {
      const device = byUnit.get(unitId);
      expect(device).toMatchObject({
        stage: expected(index),
        acknowledgedBy: `officer-${index}`,
        commandId: received.get(unitId)?.[0].commandId,
      });
      expect(device?.deliveredAt).not.toBeNull();
      expect(device?.acceptedAt === null).toBe(expected(index) !== 'accepted');
      if (expected(index) === 'declined') {
        expect(device?.declineReason).toBe('on a call already');
      }
    }

    // The console saw each device's stages live, with the all-call named.
    await waitFor(() => acks.length === expectedAcks, {
      description: `${expectedAcks} acknowledgements on the console`,
      timeoutMs: 30_000,
    });
    expect(acks.every((ack) => ack.data.allCallId === allCall.id)).toBe(true);
    expect(new Set(acks.map((ack) => ack.id)).size).toBe(acks.length);

    // Another agency cannot read it.
    const outsider = createGadClient({ baseUrl: api.url });
    await outsider.auth.devLogin({
      agencyId: `${agencyId}-other`,
      userId: 'dispatcher-9',
      roles: ['dispatcher'],
    });
    await expect(outsider.allCalls.get(allCall.id)).rejects.toMatchObject({ status: 404 });
  }, 240_000);

  it('escalates like a command: re-sends to units not delivered, then alerts when not accepted', async () => {
    expect(units).toHaveLength(DEVICES); // the devices of the first test are still connected
    const dispatcher = await login('dispatcher-5');
    const { body: allCall } = await dispatcher.allCalls.create({
      title: 'Evacuate',
      message: 'Leave sector 4 now',
      priority: 'P1',
    });
    let report: AllCall | undefined;
    await waitFor(
      async () => {
        report = (await dispatcher.allCalls.get(allCall.id)).body;
        // Every device's `delivered` ack recorded too (they may still be on their way when the
        // steps fire on a loaded machine).
        return report.escalations.length === 2 && report.summary.delivered === DEVICES;
      },
      { description: 'both ladder steps fired, every device delivered', timeoutMs: 20_000 },
    );
    expect(report?.escalations.map((step) => step.step)).toEqual(['undelivered', 'unaccepted']);
    expect(report?.summary).toMatchObject({ recipients: DEVICES + 1, delivered: DEVICES });
    // The unit without a device got its command a second time (same command id).
    const command = report?.devices.find((device) => device.unitId === withoutDevice);
    const redis = new Redis(testStack.redisUrl);
    try {
      const entries = await redis.xrange(
        `${environment.redis.prefix}${Streams.NotifyOutbound}`,
        '-',
        '+',
      );
      const sent = entries.filter(([, fields]) => {
        const envelope = JSON.parse(fields[1] ?? '{}') as Envelope<{ commandId: string }>;
        return envelope.data.commandId === command?.commandId;
      });
      expect(sent).toHaveLength(2);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('to a zone: only the on-duty units inside it get the all-call', async () => {
    const supervisor = await login('supervisor-1', ['supervisor']);
    const square = (lon: number, lat: number, d: number): [number, number][] => [
      [lon - d, lat - d],
      [lon + d, lat - d],
      [lon + d, lat + d],
      [lon - d, lat + d],
      [lon - d, lat - d],
    ];
    const { body: zone } = await supervisor.call('createGeofence', {
      body: {
        name: 'Sector 7',
        kind: 'zone',
        geometry: { type: 'Polygon', coordinates: [square(-3.7, 40.42, 0.01)] },
      },
    });
    // Units 0-4 report a fix inside the zone, 5-9 one far outside.
    const now = Date.now();
    await Promise.all(
      devices.slice(0, 10).map((device, index) =>
        device.reportPositions({
          unitId: units[index],
          position: {
            type: 'Point',
            coordinates: index < 5 ? [-3.7 + index * 0.001, 40.42] : [-3.6, 40.5],
          },
          recordedAt: new Date(now - 1_000).toISOString(),
          seq: 1,
          accuracyM: 5,
        }),
      ),
    );
    const db = new Client({ connectionString: environment.database.url });
    await db.connect();
    try {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM geo.geofence_membership
              WHERE geofence_id = $1 AND state = 'inside'`,
            [zone.id],
          );
          return Number(rows[0].n) === 5;
        },
        { description: 'five units inside the zone', timeoutMs: 20_000 },
      );
    } finally {
      await db.end();
    }
    const dispatcher = await login('dispatcher-6');
    const { body: allCall } = await dispatcher.allCalls.create({
      title: 'Sector 7',
      message: 'Hold the cordon',
      priority: 'P4',
      zoneId: zone.id,
    });
    expect(allCall.zoneId).toBe(zone.id);
    expect(allCall.devices.map((device) => device.unitId).sort()).toEqual(units.slice(0, 5).sort());
    const got = (unitId: string) =>
      (received.get(unitId) ?? []).some((command) => command.payload?.['allCallId'] === allCall.id);
    await waitFor(() => units.slice(0, 5).every(got), {
      description: 'the units inside got the all-call',
    });
    expect(units.slice(5).filter(got)).toEqual([]);
    // A zone the agency does not have: 404, nothing sent.
    await expect(
      dispatcher.allCalls.create({
        title: 'x',
        message: 'y',
        zoneId: '0190f0f0-0000-7000-8000-00000000dead',
      }),
    ).rejects.toMatchObject({ status: 404 });
  }, 60_000);
});
