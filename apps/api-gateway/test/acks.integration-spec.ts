import { StreamPublisher } from '@gad/bus';
import {
  Streams,
  type Assignment,
  type CommandAckStage,
  type IncidentTimeline,
  type Unit,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { commandIssued, deviceAck, DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * Device acknowledgements advancing assignments through the real streams: `command.issued` on
 * gad:notify:outbound maps a command to its assignment, `command.acknowledged` on gad:field:acks
 * moves it forward — idempotent by envelope id, monotonic, and in either arrival order.
 */
describe('api-gateway acks', () => {
  const agencyId = 'agency-k';
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let publisher: StreamPublisher;
  let redis: Redis;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    redis = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: 1 });
    publisher = new StreamPublisher(redis, { prefix: t.config.REDIS_KEY_PREFIX });
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await t?.close();
  });

  let sequence = 0;
  async function dispatched(): Promise<{ assignment: Assignment; unit: Unit }> {
    sequence += 1;
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
        callSign: `K-${sequence}`,
        type: 'patrol',
        crew: ['officer-1'],
      })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    const incident = (
      await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
        type: 'robbery',
        priority: 'P2',
        location: POINT(-3.7, 40.41),
      })
    ).body;
    const assignment = await t.send<Assignment>(
      dispatcher,
      'POST',
      `/v1/incidents/${incident.id}/assignments`,
      { unitId: unit.id },
    );
    expect(assignment.status).toBe(201);
    return { assignment: assignment.body, unit };
  }

  const ack = (commandId: string, stage: CommandAckStage, reason?: string) =>
    deviceAck(agencyId, commandId, stage, { reason });

  const get = async (id: string) =>
    (await t.send<Assignment>(dispatcher, 'GET', `/v1/assignments/${id}`)).body;
  const statusBecomes = (id: string, status: string) =>
    waitFor(async () => (await get(id)).status === status && get(id), {
      description: `assignment ${id} ${status}`,
    });
  const handledAcks = async (commandId: string) =>
    (
      await t.pg.query<{ event_id: string; applied: boolean }>(
        `SELECT event_id, applied_at IS NOT NULL AS applied FROM dispatch.command_acks
          WHERE command_id = $1`,
        [commandId],
      )
    ).rows;

  it('command.issued notifies; delivered, seen and accepted acks advance the assignment', async () => {
    const { assignment } = await dispatched();
    const command = commandIssued(assignment);
    await publisher.publish(Streams.NotifyOutbound, command);
    await statusBecomes(assignment.id, 'notified');
    for (const stage of ['delivered', 'seen', 'accepted'] as const) {
      await publisher.publish(Streams.FieldAcks, ack(command.data.commandId, stage));
      await statusBecomes(assignment.id, stage);
    }
    const accepted = await get(assignment.id);
    expect(Object.keys(accepted.steps)).toEqual([
      'proposed',
      'notified',
      'delivered',
      'seen',
      'accepted',
    ]);
    const timeline = await t.send<IncidentTimeline>(
      dispatcher,
      'GET',
      `/v1/incidents/${assignment.incidentId}/timeline`,
    );
    expect(
      timeline.body.items
        .filter((e) => e.kind === 'assignment.updated')
        .map((e) => `${e.actor.id}: ${e.message}`),
    ).toEqual([
      'notification-service: K-1: proposed → notified',
      'officer-1: K-1: notified → delivered',
      'officer-1: K-1: delivered → seen',
      'officer-1: K-1: seen → accepted',
    ]);
  });

  it('ignores a redelivered ack and never moves an assignment back', async () => {
    const { assignment } = await dispatched();
    const command = commandIssued(assignment);
    await publisher.publish(Streams.NotifyOutbound, command);
    const accepted = ack(command.data.commandId, 'accepted');
    await publisher.publish(Streams.FieldAcks, accepted);
    await statusBecomes(assignment.id, 'accepted');
    const late = ack(command.data.commandId, 'delivered');
    await publisher.publish(Streams.FieldAcks, [accepted, late]);
    await waitFor(async () => (await handledAcks(command.data.commandId)).length === 2, {
      description: 'the late ack recorded',
    });
    expect(await handledAcks(command.data.commandId)).toEqual(
      expect.arrayContaining([
        { event_id: accepted.id, applied: true },
        { event_id: late.id, applied: true },
      ]),
    );
    expect((await get(assignment.id)).status).toBe('accepted');
    const updates = (await t.outbox()).filter(
      (e) =>
        e.type === 'assignment.updated' &&
        (e.data as { assignmentId: string }).assignmentId === assignment.id,
    );
    expect(updates.map((e) => (e.data as { status: string }).status)).toEqual([
      'notified',
      'accepted',
    ]);
    // The same command.issued again changes nothing.
    await publisher.publish(Streams.NotifyOutbound, command);
    await publisher.publish(Streams.FieldAcks, ack(command.data.commandId, 'seen'));
    await waitFor(async () => (await handledAcks(command.data.commandId)).length === 3, {
      description: 'the third ack recorded',
    });
    expect((await get(assignment.id)).status).toBe('accepted');
  });

  it('applies an ack that arrived before its command.issued once the command is known', async () => {
    const { assignment } = await dispatched();
    const command = commandIssued(assignment);
    await publisher.publish(Streams.FieldAcks, ack(command.data.commandId, 'seen'));
    await waitFor(async () => (await handledAcks(command.data.commandId)).length === 1, {
      description: 'the early ack kept',
    });
    expect(await handledAcks(command.data.commandId)).toEqual([
      expect.objectContaining({ applied: false }),
    ]);
    expect((await get(assignment.id)).status).toBe('proposed');
    await publisher.publish(Streams.NotifyOutbound, command);
    await statusBecomes(assignment.id, 'seen');
    expect((await handledAcks(command.data.commandId))[0].applied).toBe(true);
  });

  it('a declined ack records the reason and frees the unit', async () => {
    const { assignment, unit } = await dispatched();
    const command = commandIssued(assignment);
    await publisher.publish(Streams.NotifyOutbound, command);
    await publisher.publish(
      Streams.FieldAcks,
      ack(command.data.commandId, 'declined', 'already busy'),
    );
    const declined = await statusBecomes(assignment.id, 'declined');
    expect(declined).toMatchObject({ declineReason: 'already busy' });
    const freed = await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`);
    expect(freed.body.status).toBe('available');
  });

  it('ignores commands and acks naming another agency’s assignment', async () => {
    const { assignment } = await dispatched();
    const foreign = { ...commandIssued(assignment), agencyId: 'agency-other' };
    await publisher.publish(Streams.NotifyOutbound, foreign);
    const marker = commandIssued((await dispatched()).assignment);
    await publisher.publish(Streams.NotifyOutbound, marker);
    // Entries are handled in order: once the marker is handled, the foreign one was too.
    await statusBecomes(marker.data.assignmentId as string, 'notified');
    expect((await get(assignment.id)).status).toBe('proposed');
    const { rows } = await t.pg.query('SELECT 1 FROM dispatch.commands WHERE command_id = $1', [
      foreign.data.commandId,
    ]);
    expect(rows).toEqual([]);
  });
});
