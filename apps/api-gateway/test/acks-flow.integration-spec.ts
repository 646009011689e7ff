import { createPublicKey } from 'node:crypto';
import {
  Namespaces,
  type Assignment,
  type CommandAckRequest,
  type DeliveredCommand,
  type Unit,
} from '@gad/contracts';
import {
  createTestDatabase,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { io, type Socket } from 'socket.io-client';
import { DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * The acknowledgement loop with the real producers: a dispatcher assigns a unit over REST, the
 * built notification-service turns `assignment.created` into a command for the crew, the built
 * ws-gateway delivers it to the officer's `/field` socket, the device acknowledges, and the
 * assignment (read back over REST) walks proposed → delivered → accepted, learning the assignment
 * from the ack alone (docs/adr/0028).
 */
describe('api-gateway acks from notification-service and ws-gateway', () => {
  const agencyId = 'agency-f';
  let t: DispatchTestApp;
  let notifyDb: TestDatabase;
  const services: ServiceProcess[] = [];
  const devices: Socket[] = [];
  let dispatcher: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    notifyDb = await createTestDatabase();
    const env = {
      DATABASE_URL: notifyDb.url,
      REDIS_URL: t.config.REDIS_URL,
      REDIS_KEY_PREFIX: t.config.REDIS_KEY_PREFIX,
      JWT_PUBLIC_KEY: createPublicKey(t.config.JWT_PRIVATE_KEY)
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      JWT_ISSUER: t.config.JWT_ISSUER,
      JWT_AUDIENCE: t.config.JWT_AUDIENCE,
    };
    services.push(
      ...(await Promise.all(
        ['ws-gateway', 'notification-service'].map((app) =>
          startServiceProcess({ app, env, readyTimeoutMs: 60_000 }),
        ),
      )),
    );
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
  }, 120_000);

  afterAll(async () => {
    for (const device of devices) {
      device.disconnect();
    }
    await Promise.all(services.map((service) => service.stop()));
    await t?.close();
    await notifyDb?.drop();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of services) {
        console.log(service.tail(30));
      }
    }
  });

  it('walks an assignment to accepted from the officer’s device', async () => {
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
        callSign: 'F-1',
        type: 'patrol',
        crew: ['officer-21'],
      })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    const officer = await t.caller(agencyId, 'officer-21', ['officer'], unit.id);
    // The officer's device: a plain socket.io client on `/field` (apps do not import @gad/client).
    const received: DeliveredCommand[] = [];
    const device = io(new URL(Namespaces.Field, services[0].url).toString(), {
      transports: ['websocket'],
      auth: { token: officer.token },
    });
    devices.push(device);
    const ack = (request: CommandAckRequest) =>
      device.timeout(5_000).emitWithAck('command.ack', request) as Promise<unknown>;
    device.on('command', (command: DeliveredCommand) => {
      received.push(command);
      void ack({ commandId: command.commandId, stage: 'delivered' }).catch(() => undefined);
    });
    await waitFor(() => device.connected, { description: 'device connected' });

    const incident = (
      await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
        type: 'assault',
        priority: 'P1',
        location: POINT(-3.7, 40.42),
      })
    ).body;
    const assignment = (
      await t.send<Assignment>(dispatcher, 'POST', `/v1/incidents/${incident.id}/assignments`, {
        unitId: unit.id,
      })
    ).body;

    const command = await waitFor(() => received.find((c) => c.assignmentId === assignment.id), {
      description: 'the command on the officer device',
      timeoutMs: 15_000,
    });
    const get = async () =>
      (await t.send<Assignment>(dispatcher, 'GET', `/v1/assignments/${assignment.id}`)).body;
    // The device acked `delivered` when the command arrived.
    await waitFor(async () => (await get()).status === 'delivered', {
      description: 'assignment delivered',
      timeoutMs: 15_000,
    });
    expect(await ack({ commandId: command.commandId, stage: 'accepted' })).toMatchObject({
      ok: true,
    });
    const accepted = await waitFor(async () => (await get()).status === 'accepted' && get(), {
      description: 'assignment accepted',
      timeoutMs: 15_000,
    });
    expect(Object.keys(accepted.steps)).toEqual(['proposed', 'delivered', 'accepted']);
  });
});
