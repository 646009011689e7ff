import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { CommandAckStage } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'acks.repository.sql'));
const INSERT_COMMAND = sqlOf(SQL, 'insert_command');
const FIND_COMMAND = sqlOf(SQL, 'find_command');
const HAS_STAGE = sqlOf(SQL, 'has_stage');
const INSERT_ACK = sqlOf(SQL, 'insert_ack');
const LOCK_PENDING_ACKS = sqlOf(SQL, 'lock_pending_acks');
const DELETE_ACKS = sqlOf(SQL, 'delete_acks');
const DELETE_STALE_PENDING = sqlOf(SQL, 'delete_stale_pending');
const MARK_APPLIED = sqlOf(SQL, 'mark_applied');

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

/**
 * The only place with SQL for commands (command → assignment) and received acks. Every statement
 * runs in the caller's dispatch transaction (`client`).
 */
@Injectable()
export class AcksRepository {
  constructor(private readonly database: Database) {}

  /** Records which assignment a command belongs to; false when already known. */
  async insertCommand(client: SqlClient, command: NewCommand): Promise<boolean> {
    const { rowCount } = await this.database.result(
      {
        text: INSERT_COMMAND,
        values: [
          command.commandId,
          command.agencyId,
          command.assignmentId,
          command.recipientKind,
          command.recipientId,
          command.issuedAt,
        ],
      },
      client,
    );
    return (rowCount ?? 0) > 0;
  }

  /** The command's assignment and recipient; undefined while it is not known (or foreign). */
  async findCommand(
    client: SqlClient,
    agencyId: string,
    commandId: string,
  ): Promise<CommandRow | undefined> {
    const rows = await this.database.rows<CommandRow>(
      { text: FIND_COMMAND, values: [agencyId, commandId] },
      client,
    );
    return rows[0];
  }

  /** Whether this user's ack of this stage of the command is stored already (a device re-send). */
  async hasStage(
    client: SqlClient,
    agencyId: string,
    commandId: string,
    userId: string,
    stage: CommandAckStage,
  ): Promise<boolean> {
    const rows = await this.database.rows(
      { text: HAS_STAGE, values: [agencyId, commandId, userId, stage] },
      client,
    );
    return rows.length > 0;
  }

  /** Stores an ack by its envelope id; false when that envelope was seen before (a redelivery). */
  async insertAck(client: SqlClient, ack: NewAck): Promise<boolean> {
    const { rowCount } = await this.database.result(
      {
        text: INSERT_ACK,
        values: [
          ack.eventId,
          ack.agencyId,
          ack.commandId,
          ack.stage,
          ack.reason ?? null,
          ack.userId,
          ack.unitId ?? null,
          ack.receivedAt,
        ],
      },
      client,
    );
    return (rowCount ?? 0) > 0;
  }

  /** Acks of a command not applied yet (they arrived before its `command.issued`), locked. */
  async lockPendingAcks(client: SqlClient, agencyId: string, commandId: string): Promise<AckRow[]> {
    return this.database.rows<AckRow>(
      { text: LOCK_PENDING_ACKS, values: [agencyId, commandId] },
      client,
    );
  }

  /** Removes acks that turned out not to come from the command's recipient. */
  async deleteAcks(client: SqlClient, agencyId: string, eventIds: string[]): Promise<void> {
    await this.database.result({ text: DELETE_ACKS, values: [agencyId, eventIds] }, client);
  }

  /**
   * Deletes (a batch of) acks whose command never became known within `maxAgeS` seconds; returns
   * how many (the rows deleted). Any agency: it is housekeeping.
   */
  async deleteStalePending(client: SqlClient, maxAgeS: number): Promise<number> {
    const { rowCount } = await this.database.result(
      { text: DELETE_STALE_PENDING, values: [maxAgeS] },
      client,
    );
    return rowCount ?? 0;
  }

  async markApplied(client: SqlClient, agencyId: string, eventId: string): Promise<void> {
    await this.database.result({ text: MARK_APPLIED, values: [agencyId, eventId] }, client);
  }
}
