import { uuidv7, type Assignment, type CommandAckStage, type Unit } from '@gad/contracts';
import { AcksService } from '../src/acks/acks.service';
import { deviceAck, DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * A dispatcher clearing an assignment while the acks consumer applies the officer's ack to the same
 * assignment, over and over against the real PostgreSQL: no request fails with a 5xx, no ack fails,
 * and the end state is consistent (a cleared assignment frees its unit, which can be dispatched
 * again).
 */
describe('api-gateway assignment races', () => {
  const agencyId = 'agency-race';
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let acks: AcksService;

  beforeAll(async () => {
    t = await DispatchTestApp.start({ DATABASE_POOL_SIZE: '8' });
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    acks = t.app.get(AcksService);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function issuedAssignment(
    unit: Unit,
  ): Promise<{ assignment: Assignment; command: string }> {
    const incident = await t.send<{ id: string }>(dispatcher, 'POST', '/v1/incidents', {
      type: 'robbery',
      priority: 'P2',
      location: POINT(-3.7, 40.41),
    });
    expect(incident.status).toBe(201);
    const assignment = await t.send<Assignment>(
      dispatcher,
      'POST',
      `/v1/incidents/${incident.body.id}/assignments`,
      { unitId: unit.id },
    );
    expect(assignment.status).toBe(201);
    return { assignment: assignment.body, command: uuidv7() };
  }

  const ack = (commandId: string, unitId: string, stage: CommandAckStage, assignmentId: string) =>
    deviceAck(agencyId, commandId, stage, { unitId, assignmentId });

  it('clearing over REST while the ack consumer accepts never deadlocks nor leaves the unit busy', async () => {
    const unit = (
      await t.send<Unit>(dispatcher, 'POST', '/v1/units', {
        callSign: 'R-1',
        type: 'patrol',
        crew: ['officer-1'],
      })
    ).body;
    expect(
      (await t.send(dispatcher, 'POST', `/v1/units/${unit.id}/status`, { status: 'available' }))
        .status,
    ).toBe(200);

    const failures: string[] = [];
    for (let round = 0; round < 50; round += 1) {
      const { assignment, command } = await issuedAssignment(unit);
      const stage: CommandAckStage = round % 2 === 0 ? 'accepted' : 'declined';
      const [cleared, acked] = await Promise.allSettled([
        t.send<{ code?: string; detail?: string }>(
          dispatcher,
          'POST',
          `/v1/assignments/${assignment.id}/status`,
          { status: 'cleared' },
        ),
        acks.commandAcknowledged(ack(command, unit.id, stage, assignment.id)),
      ]);
      if (cleared.status === 'rejected') {
        failures.push(`round ${round}: request failed: ${String(cleared.reason)}`);
      } else if (cleared.value.status >= 500) {
        failures.push(
          `round ${round}: ${cleared.value.status} ${cleared.value.body.code}: ${cleared.value.body.detail}`,
        );
      }
      if (acked.status === 'rejected') {
        failures.push(`round ${round}: ack failed: ${String(acked.reason)}`);
      }
      const after = await t.send<Assignment>(dispatcher, 'GET', `/v1/assignments/${assignment.id}`);
      const unitAfter = await t.send<Unit>(dispatcher, 'GET', `/v1/units/${unit.id}`);
      // Either writer may win; whichever did, the assignment ended and its unit is free.
      if (
        !['cleared', 'declined'].includes(after.body.status) ||
        unitAfter.body.status !== 'available'
      ) {
        failures.push(
          `round ${round}: assignment ${after.body.status}, unit ${unitAfter.body.status}`,
        );
        break;
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
