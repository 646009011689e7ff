import { randomUUID } from 'node:crypto';
import { uuidv7, type Assignment, type CommandAckStage, type Unit } from '@gad/contracts';
import { AcksService } from '../src/acks/acks.service';
import { dispatchInstruments } from '../src/timeline/dispatch.metrics';
import { commandIssued, deviceAck, DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * `dispatch.command_acks` keeps only acks of a command's recipient: acks for unknown command ids,
 * for another unit's commands, or early acks that turn out foreign are dropped (counted and
 * logged), so no officer can grow the table or move someone else's assignment.
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

  const ack = (commandId: string, stage: CommandAckStage, userId: string, unitId?: string) =>
    deviceAck(agencyId, commandId, stage, { userId, unitId });

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

  it('drops acks for command ids that no command has, random or long past', async () => {
    const before = await stored();
    for (let i = 0; i < 20; i += 1) {
      await acks.commandAcknowledged(ack(randomUUID(), 'accepted', 'officer-x', 'unit-x'));
    }
    const hourAgo = uuidv7(Date.now() - 3_600_000);
    await acks.commandAcknowledged(ack(hourAgo, 'seen', 'officer-x', 'unit-x'));
    expect(await stored()).toBe(before);
  });

  it('drops acks of another unit’s command and applies the recipient’s', async () => {
    const { assignment, unit } = await dispatched(['officer-1']);
    const command = commandIssued(assignment);
    await acks.commandIssued(command);
    const commandId = command.data.commandId;

    await acks.commandAcknowledged(ack(commandId, 'declined', 'officer-9', 'unit-other'));
    await acks.commandAcknowledged(ack(commandId, 'accepted', 'officer-9'));
    expect(await stored(commandId)).toBe(0);
    expect(await statusOf(assignment.id)).toBe('notified');

    // The unit's device (token unitId) and its crew (user id) are the recipient.
    await acks.commandAcknowledged(ack(commandId, 'delivered', 'officer-7', unit.id));
    await acks.commandAcknowledged(ack(commandId, 'accepted', 'officer-1'));
    expect(await stored(commandId)).toBe(2);
    expect(await statusOf(assignment.id)).toBe('accepted');

    // The recipient re-sending the same ack (new envelope ids) stores nothing more.
    for (let i = 0; i < 10; i += 1) {
      await acks.commandAcknowledged(ack(commandId, 'accepted', 'officer-1'));
    }
    expect(await stored(commandId)).toBe(2);
  });

  it('keeps an early ack only until its command shows it came from someone else', async () => {
    const { assignment, unit } = await dispatched(['officer-1']);
    const command = commandIssued(assignment);
    const commandId = command.data.commandId;
    await acks.commandAcknowledged(ack(commandId, 'declined', 'officer-9', 'unit-other'));
    await acks.commandAcknowledged(ack(commandId, 'seen', 'officer-2', unit.id));
    expect(await stored(commandId)).toBe(2);

    await acks.commandIssued(command);
    const { rows } = await t.pg.query<{ user_id: string; applied: boolean }>(
      `SELECT user_id, applied_at IS NOT NULL AS applied FROM dispatch.command_acks
        WHERE command_id = $1`,
      [commandId],
    );
    expect(rows).toEqual([{ user_id: 'officer-2', applied: true }]);
    expect(await statusOf(assignment.id)).toBe('seen');
  });

  it('counts and deletes only pending acks past their age, one by one', async () => {
    const stale = uuidv7(Date.now() - 3_600_000);
    await t.pg.query(
      `INSERT INTO dispatch.command_acks
         (event_id, agency_id, command_id, stage, user_id, unit_id, received_at)
       VALUES ($1, $2, $3, 'delivered', 'officer-5', 'unit-5', now() - interval '11 minutes')`,
      [uuidv7(), agencyId, stale],
    );
    const add = jest.spyOn(dispatchInstruments().acks, 'add');
    const expired = () =>
      add.mock.calls.filter(([, attributes]) => attributes?.['reason'] === 'expired');
    try {
      const first = uuidv7();
      await acks.commandAcknowledged(ack(first, 'delivered', 'officer-3', 'unit-3'));
      expect(expired()).toEqual([[1, { outcome: 'dropped', reason: 'expired' }]]);
      expect(await stored(stale)).toBe(0);

      // A fresh pending ack is neither counted nor deleted as stale.
      add.mockClear();
      await acks.commandAcknowledged(ack(uuidv7(), 'delivered', 'officer-4', 'unit-4'));
      expect(expired()).toEqual([]);
      expect(await stored(first)).toBe(1);
    } finally {
      add.mockRestore();
    }
  });
});
