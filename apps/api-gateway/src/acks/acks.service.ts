import { Injectable } from '@nestjs/common';
import type { CommandAcknowledgedV1, Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { canAssignmentMove } from '../assignments/assignment-status.constants';
import type { AssignmentRow } from '../assignments/assignments.repository';
import { AssignmentsService } from '../assignments/assignments.service';
import { DispatchTransactions } from '../timeline/dispatch-transactions.service';
import { dispatchInstruments } from '../timeline/dispatch.metrics';
import { AcksRepository } from './acks.repository';

/**
 * Whether an ack comes from the assignment's unit: a device logged in for that unit, or one of
 * its crew. A supervisor acknowledging the escalation alert about the assignment (a command that
 * names the assignment too) is not the unit answering.
 */
export function fromAssignedUnit(
  assignment: Pick<AssignmentRow, 'unit_id' | 'crew'>,
  ack: Pick<CommandAcknowledgedV1, 'userId' | 'unitId'>,
): boolean {
  return ack.unitId === assignment.unit_id || assignment.crew.includes(ack.userId);
}

/**
 * Device acknowledgements advance assignments (docs/adr/0028). ws-gateway has already checked
 * that the ack comes from the command's recipient and names the command's assignment
 * (`assignmentId`), so one ack is one transaction: lock the assignment, store the ack by envelope
 * id, move the assignment to delivered/seen/accepted/declined. Idempotent by envelope id and per
 * user, stage and command (a device re-sending adds nothing); monotonic (an older stage never
 * moves an assignment back). Acks naming no assignment (notices, all-calls) are not the
 * api-gateway's; acks naming an unknown or foreign assignment, or not from its unit, are dropped,
 * logged and counted (`outcome: dropped`, `reason`).
 */
@Injectable()
export class AcksService {
  private readonly logger = createLogger('acks');

  constructor(
    private readonly repository: AcksRepository,
    private readonly assignments: AssignmentsService,
    private readonly transactions: DispatchTransactions,
  ) {}

  async commandAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): Promise<void> {
    const { data, agencyId } = envelope;
    const assignmentId = data.assignmentId;
    if (!assignmentId) {
      dispatchInstruments().acks.add(1, { stage: data.stage, outcome: 'ignored' });
      return;
    }
    await this.transactions.run(async (tx) => {
      // Lock order: incident, assignment (then unit, in advance).
      const assignment = await this.assignments.findLocked(tx, agencyId, assignmentId);
      if (!assignment) {
        this.dropped(data, 'unknown', agencyId);
        return;
      }
      if (!fromAssignedUnit(assignment, data)) {
        this.dropped(data, 'foreign', agencyId);
        return;
      }
      // One stored ack per user, stage and command: a device re-sending the same ack adds nothing.
      const fresh =
        !(await this.repository.hasStage(
          tx.client,
          agencyId,
          data.commandId,
          data.userId,
          data.stage,
        )) &&
        (await this.repository.insertAck(tx.client, {
          eventId: envelope.id,
          agencyId,
          commandId: data.commandId,
          stage: data.stage,
          reason: data.reason,
          userId: data.userId,
          unitId: data.unitId,
          receivedAt: data.receivedAt,
        }));
      if (!fresh) {
        dispatchInstruments().acks.add(1, { stage: data.stage, outcome: 'duplicate' });
        return;
      }
      const moves = canAssignmentMove(assignment.status, data.stage);
      dispatchInstruments().acks.add(1, {
        stage: data.stage,
        outcome: moves ? 'applied' : 'ignored',
      });
      if (moves) {
        await this.assignments.advance(tx, assignment, data.stage, {
          actor: { kind: 'user', id: data.userId },
          agencyId,
          ...(data.reason ? { reason: data.reason } : {}),
        });
      }
    });
  }

  /** An ack not stored: counted and logged (`reason`: unknown assignment, or not its unit). */
  private dropped(
    ack: CommandAcknowledgedV1,
    reason: 'unknown' | 'foreign',
    agencyId: string,
  ): void {
    dispatchInstruments().acks.add(1, { stage: ack.stage, outcome: 'dropped', reason });
    this.logger.warn(
      {
        reason,
        agencyId,
        commandId: ack.commandId,
        assignmentId: ack.assignmentId,
        userId: ack.userId,
        stage: ack.stage,
      },
      'ack dropped',
    );
  }
}
