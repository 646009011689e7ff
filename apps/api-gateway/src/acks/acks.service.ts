import { Injectable } from '@nestjs/common';
import type { CommandAcknowledgedV1, CommandIssuedV1, Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { canAssignmentMove } from '../assignments/assignment-status.constants';
import type { AssignmentRow } from '../assignments/assignments.repository';
import { AssignmentsService } from '../assignments/assignments.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { dispatchInstruments } from '../timeline/dispatch.metrics';
import { AcksRepository, type AckRow, type CommandRow } from './acks.repository';

/** How long an ack whose command is not known yet is kept waiting for its `command.issued`. */
export const PENDING_ACK_MAX_AGE_S = 600;
/** A command id minted this far in the future (clock skew) still counts as plausible. */
const FUTURE_SKEW_MS = 60_000;

/**
 * Whether an unknown command id could be a command issued moments ago whose `command.issued` is
 * still on its way: command ids are UUIDv7 (notification-service), and their time is recent.
 */
export function plausiblyPending(commandId: string, now = Date.now()): boolean {
  const hex = commandId.replace(/-/g, '');
  if (hex.length !== 32 || hex[12] !== '7') {
    return false;
  }
  const mintedAt = Number.parseInt(hex.slice(0, 12), 16);
  return mintedAt >= now - PENDING_ACK_MAX_AGE_S * 1000 && mintedAt <= now + FUTURE_SKEW_MS;
}

/** Whether an ack comes from the command's recipient: that user, or a device of that unit. */
export function fromRecipient(
  command: CommandRow,
  assignment: Pick<AssignmentRow, 'unit_id' | 'crew'>,
  ack: Pick<AckRow, 'user_id' | 'unit_id'>,
): boolean {
  if (command.recipient_kind === 'user') {
    return ack.user_id === command.recipient_id;
  }
  return (
    ack.unit_id === command.recipient_id ||
    (assignment.unit_id === command.recipient_id && assignment.crew.includes(ack.user_id))
  );
}

/**
 * Device acknowledgements advance assignments. `command.issued` (notification-service) tells which
 * assignment a command belongs to and moves it to `notified`; `command.acknowledged` (ws-gateway)
 * moves it to delivered/seen/accepted/declined. Idempotent by envelope id, monotonic (an older stage
 * never moves an assignment back), and order-independent: an ack that arrives before its command is
 * kept (for {@link PENDING_ACK_MAX_AGE_S}, when its id is a recent UUIDv7) and applied when the
 * command is known. Only acks of the command's recipient are stored: acks for unknown, stale or
 * someone else's commands are dropped, logged and counted (`outcome: dropped`, `reason`).
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
      await this.repository.insertCommand(tx.client, {
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
      const command: CommandRow = {
        assignment_id: assignmentId,
        recipient_kind: data.recipient.kind,
        recipient_id: data.recipient.id,
      };
      const pending = await this.repository.lockPendingAcks(tx.client, agencyId, data.commandId);
      const crewed = assignment;
      const foreign = pending.filter((ack) => !fromRecipient(command, crewed, ack));
      if (foreign.length > 0) {
        await this.repository.deleteAcks(
          tx.client,
          agencyId,
          foreign.map((ack) => ack.event_id),
        );
        for (const ack of foreign) {
          this.dropped(ack.stage, 'foreign', agencyId, data.commandId, ack.user_id);
        }
      }
      for (const ack of pending) {
        if (!foreign.includes(ack)) {
          assignment = await this.apply(tx, assignment, ack, agencyId);
        }
      }
    });
  }

  async commandAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): Promise<void> {
    const { data, agencyId } = envelope;
    const ack: AckRow = {
      event_id: envelope.id,
      stage: data.stage,
      reason: data.reason ?? null,
      user_id: data.userId,
      unit_id: data.unitId ?? null,
    };
    const record = () => ({
      eventId: envelope.id,
      agencyId,
      commandId: data.commandId,
      stage: data.stage,
      reason: data.reason,
      userId: data.userId,
      unitId: data.unitId,
      receivedAt: data.receivedAt,
    });
    await this.transactions.run(async (tx) => {
      const resent = () =>
        this.repository.hasStage(tx.client, agencyId, data.commandId, data.userId, data.stage);
      const command = await this.repository.findCommand(tx.client, agencyId, data.commandId);
      if (!command) {
        // Its command.issued may still be on its way: keep a recent command's ack a while.
        if (!plausiblyPending(data.commandId)) {
          this.dropped(data.stage, 'unknown', agencyId, data.commandId, data.userId);
          return;
        }
        const fresh = !(await resent()) && (await this.repository.insertAck(tx.client, record()));
        dispatchInstruments().acks.add(1, {
          stage: data.stage,
          outcome: fresh ? 'pending' : 'duplicate',
        });
        const expired = await this.repository.deleteStalePending(tx.client, PENDING_ACK_MAX_AGE_S);
        if (expired > 0) {
          dispatchInstruments().acks.add(expired, { outcome: 'dropped', reason: 'expired' });
          this.logger.warn({ expired }, 'acks dropped: their command never became known');
        }
        return;
      }
      // Lock order: incident, assignment (then unit, in advance).
      const assignment = await this.assignments.findLocked(tx, agencyId, command.assignment_id);
      if (!assignment || !fromRecipient(command, assignment, ack)) {
        this.dropped(data.stage, 'foreign', agencyId, data.commandId, data.userId);
        return;
      }
      // One stored ack per user, stage and command: a device re-sending the same ack adds nothing.
      const fresh = !(await resent()) && (await this.repository.insertAck(tx.client, record()));
      if (!fresh) {
        dispatchInstruments().acks.add(1, { stage: data.stage, outcome: 'duplicate' });
        return;
      }
      await this.apply(tx, assignment, ack, agencyId);
    });
  }

  /** An ack not stored: counted and logged (`reason`: unknown, foreign or expired command). */
  private dropped(
    stage: string,
    reason: 'unknown' | 'foreign',
    agencyId: string,
    commandId: string,
    userId: string,
  ): void {
    dispatchInstruments().acks.add(1, { stage, outcome: 'dropped', reason });
    this.logger.warn({ reason, agencyId, commandId, userId, stage }, 'ack dropped');
  }

  /** Applies one ack if it moves the assignment forward; otherwise it is only marked handled. */
  private async apply(
    tx: DispatchTx,
    assignment: AssignmentRow,
    ack: AckRow,
    agencyId: string,
  ): Promise<AssignmentRow> {
    await this.repository.markApplied(tx.client, agencyId, ack.event_id);
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
