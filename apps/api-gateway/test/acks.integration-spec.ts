import { StreamPublisher } from '@gad/bus';
import {
  Streams,
  uuidv7,
  type Assignment,
  type CommandAckStage,
  type IncidentTimeline,
  type Unit,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { deviceAck, DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * Device acknowledgements advancing assignments through the real stream: `command.acknowledged` on
 * gad:field:acks names its command's assignment (ws-gateway adds it after the recipient check) and
 * moves it forward — idempotent by envelope id, monotonic, scoped to the agency (docs/adr/0028).
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

  /** An officer's ack of the command sent for `assignment`, as ws-gateway publishes it. */
  const ack = (
    assignment: Assignment,
    commandId: string,
    stage: CommandAckStage,
    reason?: string,
  ) => deviceAck(agencyId, commandId, stage, { reason, assignmentId: assignment.id });

  const get = async (id: string) =>
    (await t.send<Assignment>(dispatcher, 'GET', `/v1/assignments/${id}`)).body;
  const statusBecomes = (id: string, status: string) =>
    waitFor(async () => (await get(id)).status === status && get(id), {
      description: `assignment ${id} ${status}`,
    });
  const storedAcks = async (commandId: string) =>
    (
      await t.pg.query<{ event_id: string; stage: string }>(
        `SELECT event_id, stage FROM dispatch.command_acks WHERE command_id = $1`,
        [commandId],
      )
    ).rows;

  it('delivered, seen and accepted acks advance the assignment, each a timeline entry', async () => {
    const { assignment } = await dispatched();
    const commandId = uuidv7();
    for (const stage of ['delivered', 'seen', 'accepted'] as const) {
      await publisher.publish(Streams.FieldAcks, ack(assignment, commandId, stage));
      await statusBecomes(assignment.id, stage);
    }
    const accepted = await get(assignment.id);
    // No `notified` step: the device's `delivered` is the first thing the dispatcher learns.
    expect(Object.keys(accepted.steps)).toEqual(['proposed', 'delivered', 'seen', 'accepted']);
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
      'officer-1: K-1: proposed → delivered',
      'officer-1: K-1: delivered → seen',
      'officer-1: K-1: seen → accepted',
    ]);
  });

  it('ignores a redelivered ack and never moves an assignment back', async () => {
    const { assignment } = await dispatched();
    const commandId = uuidv7();
    const accepted = ack(assignment, commandId, 'accepted');
    await publisher.publish(Streams.FieldAcks, accepted);
    await statusBecomes(assignment.id, 'accepted');
    const late = ack(assignment, commandId, 'delivered');
    await publisher.publish(Streams.FieldAcks, [accepted, late]);
    await waitFor(async () => (await storedAcks(commandId)).length === 2, {
      description: 'the late ack recorded',
    });
    expect(await storedAcks(commandId)).toEqual(
      expect.arrayContaining([
        { event_id: accepted.id, stage: 'accepted' },
        { event_id: late.id, stage: 'delivered' },
      ]),
    );
    expect((await get(assignment.id)).status).toBe('accepted');
    // A later ack of an earlier stage is recorded and changes nothing either.
    await publisher.publish(Streams.FieldAcks, ack(assignment, commandId, 'seen'));
    await waitFor(async () => (await storedAcks(commandId)).length === 3, {
      description: 'the third ack recorded',
    });
    expect((await get(assignment.id)).status).toBe('accepted');
    const updates = (await t.outbox()).filter(
      (e) =>
        e.type === 'assignment.updated' &&
        (e.data as { assignmentId: string }).assignmentId === assignment.id,
    );
    expect(updates.map((e) => (e.data as { status: string }).status)).toEqual(['accepted']);
  });

  it('a declined ack records the reason and frees the unit', async () => {
    const { assignment, unit } = await dispatched();
    await publisher.publish(
      Streams.FieldAcks,
      ack(assignment, uuidv7(), 'declined', 'already busy'),
    );
    const declined = await statusBecomes(assignment.id, 'declined');
    expect(declined).toMatchObject({ declineReason: 'already busy' });
    const freed = await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`);
    expect(freed.body.status).toBe('available');
  });

  it('ignores acks naming another agency’s assignment', async () => {
    const { assignment } = await dispatched();
    const foreign = { ...ack(assignment, uuidv7(), 'accepted'), agencyId: 'agency-other' };
    await publisher.publish(Streams.FieldAcks, foreign);
    const { assignment: other } = await dispatched();
    const marker = ack(other, uuidv7(), 'seen');
    await publisher.publish(Streams.FieldAcks, marker);
    // Entries are handled in order: once the marker is handled, the foreign one was too.
    await statusBecomes(other.id, 'seen');
    expect((await get(assignment.id)).status).toBe('proposed');
    expect(await storedAcks(foreign.data.commandId)).toEqual([]);
  });
});
