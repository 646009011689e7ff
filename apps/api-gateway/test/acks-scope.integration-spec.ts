import { randomUUID } from 'node:crypto';
import { uuidv7, type Assignment, type CommandAckStage, type Unit } from '@gad/contracts';
import { AcksService } from '../src/acks/acks.service';
import { dispatchInstruments } from '../src/timeline/dispatch.metrics';
import { deviceAck, DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * `dispatch.command_acks` keeps only acks that move an assignment of their agency, from its unit:
 * acks naming no assignment, an unknown one, or coming from someone not of the unit (a supervisor
 * acknowledging the escalation alert about it, another unit's officer) store nothing and move
 * nothing (dropped ones counted and logged), so no officer can grow the table or move someone
 * else's assignment.
 */
describe('api-gateway acks scope', () => {
  const agencyId = 'agency-acks-scope';
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let acks: AcksService;
  let sequence = 0;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    acks = t.app.get(AcksService);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function dispatched(crew: string[]): Promise<{ assignment: Assignment; unit: Unit }> {
    sequence += 1;
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
        callSign: `S-${sequence}`,
        type: 'patrol',
        crew,
      })
    ).body;
    await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' });
    const incident = await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
      type: 'robbery',
      priority: 'P2',
      location: POINT(-3.7, 40.41),
    });
    const assignment = await t.send<Assignment>(
      dispatcher,
      'POST',
      `/v1/incidents/${incident.body.id}/assignments`,
      { unitId: unit.id },
    );
    expect(assignment.status).toBe(201);
    return { assignment: assignment.body, unit };
  }

  const ack = (
    commandId: string,
    stage: CommandAckStage,
    userId: string,
    { unitId, assignmentId }: { unitId?: string; assignmentId?: string } = {},
  ) => deviceAck(agencyId, commandId, stage, { userId, unitId, assignmentId });

  const stored = async (commandId?: string): Promise<number> =>
    Number(
      (
        await t.pg.query<{ n: string }>(
          commandId
            ? 'SELECT count(*) AS n FROM dispatch.command_acks WHERE command_id = $1'
            : 'SELECT count(*) AS n FROM dispatch.command_acks',
          commandId ? [commandId] : [],
        )
      ).rows[0]?.n,
    );
  const statusOf = async (id: string) =>
    (await t.send<Assignment>(dispatcher, 'GET', `/v1/assignments/${id}`)).body.status;

  it('stores nothing for acks naming no assignment or an unknown one', async () => {
    const before = await stored();
    const add = jest.spyOn(dispatchInstruments().acks, 'add');
    try {
      for (let i = 0; i < 10; i += 1) {
        // A notice's or an all-call's ack: not an assignment's.
        await acks.commandAcknowledged(ack(uuidv7(), 'seen', 'officer-x', { unitId: 'unit-x' }));
        await acks.commandAcknowledged(
          ack(randomUUID(), 'accepted', 'officer-x', {
            unitId: 'unit-x',
            assignmentId: randomUUID(),
          }),
        );
      }
      expect(await stored()).toBe(before);
      expect(add.mock.calls.filter(([, a]) => a?.['reason'] === 'unknown')).toHaveLength(10);
    } finally {
      add.mockRestore();
    }
  });

  it('drops acks not from the assigned unit and applies the unit’s', async () => {
    const { assignment, unit } = await dispatched(['officer-1']);
    const commandId = uuidv7();
    const assignmentId = assignment.id;

    await acks.commandAcknowledged(
      ack(commandId, 'declined', 'officer-9', { unitId: 'unit-other', assignmentId }),
    );
    // A supervisor acknowledging the escalation alert that names the assignment.
    await acks.commandAcknowledged(ack(uuidv7(), 'accepted', 'supervisor-1', { assignmentId }));
    expect(await stored(commandId)).toBe(0);
    expect(await statusOf(assignment.id)).toBe('proposed');

    // The unit's device (token unitId) and its crew (user id) are the unit.
    await acks.commandAcknowledged(
      ack(commandId, 'delivered', 'officer-7', { unitId: unit.id, assignmentId }),
    );
    expect(await statusOf(assignment.id)).toBe('delivered');
    await acks.commandAcknowledged(ack(commandId, 'accepted', 'officer-1', { assignmentId }));
    expect(await stored(commandId)).toBe(2);
    expect(await statusOf(assignment.id)).toBe('accepted');

    // The recipient re-sending the same ack (new envelope ids) stores nothing more.
    for (let i = 0; i < 10; i += 1) {
      await acks.commandAcknowledged(ack(commandId, 'accepted', 'officer-1', { assignmentId }));
    }
    expect(await stored(commandId)).toBe(2);
  });
});
