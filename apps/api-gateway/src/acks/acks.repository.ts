import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@gad/bus';
import type { CommandAckStage } from '@gad/contracts';

export interface NewCommand {
  commandId: string;
  agencyId: string;
  assignmentId: string;
  recipientKind: string;
  recipientId: string;
  issuedAt: string;
}

export interface NewAck {
  eventId: string;
  agencyId: string;
  commandId: string;
  stage: CommandAckStage;
  reason?: string;
  userId: string;
  /** The unit of the sending device's token, when it has one. */
  unitId?: string;
  receivedAt: string;
}

export interface AckRow {
  event_id: string;
  stage: CommandAckStage;
  reason: string | null;
  user_id: string;
  unit_id: string | null;
}

export interface CommandRow {
  assignment_id: string;
  recipient_kind: string;
  recipient_id: string;
}

/** The only place with SQL for commands (command → assignment) and received acks. */
@Injectable()
export class AcksRepository {
  /** Records which assignment a command belongs to; false when already known. */
  async insertCommand(executor: SqlExecutor, command: NewCommand): Promise<boolean> {
    const rows = (await executor.query(
      `INSERT INTO dispatch.commands
         (command_id, agency_id, assignment_id, recipient_kind, recipient_id, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (command_id) DO NOTHING
       RETURNING command_id`,
      [
        command.commandId,
        command.agencyId,
        command.assignmentId,
        command.recipientKind,
        command.recipientId,
        command.issuedAt,
      ],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The command's assignment and recipient; undefined while it is not known (or foreign). */
  async findCommand(
    executor: SqlExecutor,
    agencyId: string,
    commandId: string,
  ): Promise<CommandRow | undefined> {
    const rows = (await executor.query(
      `SELECT assignment_id, recipient_kind, recipient_id FROM dispatch.commands
        WHERE agency_id = $1 AND command_id = $2`,
      [agencyId, commandId],
    )) as CommandRow[];
    return rows[0];
  }

  /** Whether this user's ack of this stage of the command is stored already (a device re-send). */
  async hasStage(
    executor: SqlExecutor,
    agencyId: string,
    commandId: string,
    userId: string,
    stage: CommandAckStage,
  ): Promise<boolean> {
    const rows = (await executor.query(
      `SELECT 1 FROM dispatch.command_acks
        WHERE command_id = $2 AND agency_id = $1 AND user_id = $3 AND stage = $4
        LIMIT 1`,
      [agencyId, commandId, userId, stage],
    )) as unknown[];
    return rows.length > 0;
  }

  /** Stores an ack by its envelope id; false when that envelope was seen before (a redelivery). */
  async insertAck(executor: SqlExecutor, ack: NewAck): Promise<boolean> {
    const rows = (await executor.query(
      `INSERT INTO dispatch.command_acks
         (event_id, agency_id, command_id, stage, reason, user_id, unit_id, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        ack.eventId,
        ack.agencyId,
        ack.commandId,
        ack.stage,
        ack.reason ?? null,
        ack.userId,
        ack.unitId ?? null,
        ack.receivedAt,
      ],
    )) as unknown[];
    return rows.length > 0;
  }

  /** Acks of a command not applied yet (they arrived before its `command.issued`), locked. */
  async lockPendingAcks(
    executor: SqlExecutor,
    agencyId: string,
    commandId: string,
  ): Promise<AckRow[]> {
    return (await executor.query(
      `SELECT event_id, stage, reason, user_id, unit_id FROM dispatch.command_acks
        WHERE agency_id = $1 AND command_id = $2 AND applied_at IS NULL
        ORDER BY received_at, event_id
        FOR UPDATE`,
      [agencyId, commandId],
    )) as AckRow[];
  }

  /** Removes acks that turned out not to come from the command's recipient. */
  async deleteAcks(executor: SqlExecutor, agencyId: string, eventIds: string[]): Promise<void> {
    await executor.query(
      `DELETE FROM dispatch.command_acks WHERE agency_id = $1 AND event_id = ANY($2::uuid[])`,
      [agencyId, eventIds],
    );
  }

  /**
   * Deletes (a batch of) acks whose command never became known within `maxAgeS` seconds; returns
   * how many. Any agency: it is housekeeping.
   */
  async deleteStalePending(executor: SqlExecutor, maxAgeS: number): Promise<number> {
    const rows = (await executor.query(
      `DELETE FROM dispatch.command_acks
        WHERE event_id IN (
          SELECT event_id FROM dispatch.command_acks
           WHERE applied_at IS NULL AND received_at < now() - make_interval(secs => $1)
           ORDER BY received_at
           LIMIT 500
           FOR UPDATE SKIP LOCKED)
       RETURNING event_id`,
      [maxAgeS],
    )) as unknown[];
    return rows.length;
  }

  async markApplied(executor: SqlExecutor, agencyId: string, eventId: string): Promise<void> {
    await executor.query(
      `UPDATE dispatch.command_acks SET applied_at = now() WHERE agency_id = $1 AND event_id = $2`,
      [agencyId, eventId],
    );
  }
}
