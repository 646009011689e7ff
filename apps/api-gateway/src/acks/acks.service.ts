import { Injectable } from '@nestjs/common';
import type { CommandAcknowledgedV1, CommandIssuedV1, Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { canAssignmentMove } from '../assignments/assignment-status.constants';
import type { AssignmentRow } from '../assignments/assignments.repository';
import { AssignmentsService } from '../assignments/assignments.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { dispatchInstruments } from '../timeline/dispatch.metrics';
import { AcksRepository, type AckRow } from './acks.repository';

/**
 * Device acknowledgements advance assignments. `command.issued` (notification-service) tells which
 * assignment a command belongs to and moves it to `notified`; `command.acknowledged` (ws-gateway)
 * moves it to delivered/seen/accepted/declined. Idempotent by envelope id, monotonic (an older stage
 * never moves an assignment back), and order-independent: an ack that arrives before its command is
 * kept and applied when the command is known.
 */
@Injectable()
export class AcksService {
  private readonly logger = createLogger('acks');

  constructor(
    private readonly repository: AcksRepository,
    private readonly assignments: AssignmentsService,
    private readonly transactions: DispatchTransactions,
  ) {}

  async commandIssued(envelope: Envelope<CommandIssuedV1>): Promise<void> {
    const { data, agencyId } = envelope;
    if (!data.assignmentId) {
      return;
    }
    const assignmentId = data.assignmentId;
    await this.transactions.run(async (tx) => {
      let assignment = await this.assignments.findLocked(tx, agencyId, assignmentId);
      if (!assignment) {
        this.logger.warn(
          { commandId: data.commandId, assignmentId },
          'command names an unknown assignment',
        );
        return;
      }
      await this.repository.insertCommand(tx.executor, {
        commandId: data.commandId,
        agencyId,
        assignmentId,
        recipientKind: data.recipient.kind,
        recipientId: data.recipient.id,
        issuedAt: data.issuedAt,
      });
      if (assignment.status === 'proposed') {
        assignment = await this.assignments.advance(tx, assignment, 'notified', {
          actor: envelope.actor,
          agencyId,
        });
      }
      const pending = await this.repository.lockPendingAcks(tx.executor, agencyId, data.commandId);
      for (const ack of pending) {
        assignment = await this.apply(tx, assignment, ack, agencyId);
      }
    });
  }

  async commandAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): Promise<void> {
    const { data, agencyId } = envelope;
    await this.transactions.run(async (tx) => {
      const fresh = await this.repository.insertAck(tx.executor, {
        eventId: envelope.id,
        agencyId,
        commandId: data.commandId,
        stage: data.stage,
        reason: data.reason,
        userId: data.userId,
        receivedAt: data.receivedAt,
      });
      if (!fresh) {
        dispatchInstruments().acks.add(1, { stage: data.stage, outcome: 'duplicate' });
        return;
      }
      const assignmentId = await this.repository.assignmentOfCommand(
        tx.executor,
        agencyId,
        data.commandId,
      );
      const assignment =
        assignmentId && (await this.assignments.findLocked(tx, agencyId, assignmentId));
      if (!assignment) {
        dispatchInstruments().acks.add(1, { stage: data.stage, outcome: 'pending' });
        return;
      }
      await this.apply(
        tx,
        assignment,
        {
          event_id: envelope.id,
          stage: data.stage,
          reason: data.reason ?? null,
          user_id: data.userId,
        },
        agencyId,
      );
    });
  }

  /** Applies one ack if it moves the assignment forward; otherwise it is only marked handled. */
  private async apply(
    tx: DispatchTx,
    assignment: AssignmentRow,
    ack: AckRow,
    agencyId: string,
  ): Promise<AssignmentRow> {
    await this.repository.markApplied(tx.executor, agencyId, ack.event_id);
    const moves = canAssignmentMove(assignment.status, ack.stage);
    dispatchInstruments().acks.add(1, { stage: ack.stage, outcome: moves ? 'applied' : 'ignored' });
    if (!moves) {
      return assignment;
    }
    return this.assignments.advance(tx, assignment, ack.stage, {
      actor: { kind: 'user', id: ack.user_id },
      agencyId,
      ...(ack.reason ? { reason: ack.reason } : {}),
    });
  }
}
