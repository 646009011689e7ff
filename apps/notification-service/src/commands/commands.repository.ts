import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { CommandAckStage, IncidentPriority } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';
import type { AssignmentRecord } from './assignments.repository';

const SQL = loadSqlFile(join(__dirname, 'commands.repository.sql'));
const ISSUE_ASSIGNMENT_COMMANDS = sqlOf(SQL, 'issue_assignment_commands');
const COMMANDS_OF_ASSIGNMENT = sqlOf(SQL, 'commands_of_assignment');
const COMMANDS_OF_INCIDENT = sqlOf(SQL, 'commands_of_incident');
/** One statement per stage: the columns a stage sets (a later stage implies the earlier ones). */
const RECORD_STAGE = sqlOf(SQL, 'record_stage');

export interface CommandRecord {
  commandId: string;
  agencyId: string;
  assignmentId: string;
  incidentId: string;
  unitId: string;
  userId: string;
  priority: IncidentPriority;
  critical: boolean;
  locale: 'es' | 'en';
  title: string;
  body: string;
  payload: Record<string, unknown>;
  issuedAt: Date;
  deliveredAt?: Date;
  seenAt?: Date;
  acceptedAt?: Date;
  declinedAt?: Date;
  declineReason?: string;
}

export type NewCommand = Omit<
  CommandRecord,
  'deliveredAt' | 'seenAt' | 'acceptedAt' | 'declinedAt' | 'declineReason'
>;

interface CommandRow {
  command_id: string;
  agency_id: string;
  assignment_id: string;
  incident_id: string;
  unit_id: string;
  user_id: string;
  priority: IncidentPriority;
  critical: boolean;
  locale: 'es' | 'en';
  title: string;
  body: string;
  payload: Record<string, unknown>;
  issued_at: Date;
  delivered_at: Date | null;
  seen_at: Date | null;
  accepted_at: Date | null;
  declined_at: Date | null;
  decline_reason: string | null;
}

function toCommand(row: CommandRow): CommandRecord {
  return {
    commandId: row.command_id,
    agencyId: row.agency_id,
    assignmentId: row.assignment_id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    userId: row.user_id,
    priority: row.priority,
    critical: row.critical,
    locale: row.locale,
    title: row.title,
    body: row.body,
    payload: row.payload,
    issuedAt: row.issued_at,
    ...(row.delivered_at ? { deliveredAt: row.delivered_at } : {}),
    ...(row.seen_at ? { seenAt: row.seen_at } : {}),
    ...(row.accepted_at ? { acceptedAt: row.accepted_at } : {}),
    ...(row.declined_at ? { declinedAt: row.declined_at } : {}),
    ...(row.decline_reason ? { declineReason: row.decline_reason } : {}),
  };
}

/** Commands to officers (`notify.commands`) and the stages their devices reported. */
@Injectable()
export class CommandsRepository {
  constructor(private readonly database: Database) {}

  /**
   * Inside the caller's transaction, in one statement: stores the assignment and, when it is new,
   * its commands (one per user; a user who already has one is left out) with their in-app
   * delivery rows. Returns whether the assignment was new and the ids of the commands inserted.
   */
  async issueAssignmentCommands(
    client: SqlClient,
    assignment: Omit<AssignmentRecord, 'settledAt'> & { critical: boolean; issuedAt: Date },
    commands: readonly Pick<
      NewCommand,
      'commandId' | 'userId' | 'locale' | 'title' | 'body' | 'payload'
    >[],
  ): Promise<{ inserted: boolean; commandIds: Set<string> }> {
    const a = assignment;
    const [row] = await this.database.rows<{ inserted: boolean; command_ids: string[] }>(
      {
        text: ISSUE_ASSIGNMENT_COMMANDS,
        values: [
          a.agencyId,
          a.assignmentId,
          a.incidentId,
          a.unitId,
          a.priority,
          a.createdAt,
          a.critical,
          a.issuedAt,
          commands.map((c) => c.commandId),
          commands.map((c) => c.userId),
          commands.map((c) => c.locale),
          commands.map((c) => c.title),
          commands.map((c) => c.body),
          commands.map((c) => JSON.stringify(c.payload)),
        ],
      },
      client,
    );
    return { inserted: row?.inserted === true, commandIds: new Set(row?.command_ids ?? []) };
  }

  async commandsOfAssignment(agencyId: string, assignmentId: string): Promise<CommandRecord[]> {
    const rows = await this.database.rows<CommandRow>({
      text: COMMANDS_OF_ASSIGNMENT,
      values: [agencyId, assignmentId],
    });
    return rows.map(toCommand);
  }

  async commandsOfIncident(agencyId: string, incidentId: string): Promise<CommandRecord[]> {
    const rows = await this.database.rows<CommandRow>({
      text: COMMANDS_OF_INCIDENT,
      values: [agencyId, incidentId],
    });
    return rows.map(toCommand);
  }

  /**
   * Records a stage reported by a device (the first report of each stage wins), in one statement
   * with what the ack implies (commands.repository.sql): the recipient logged in again when the
   * ack is their own, the assignment settled on accept or decline (`settledAt`). Returns the
   * command after the update, whether the stage was new, whether every command of the assignment
   * is now delivered (delivered, seen) and whether this ack settled the assignment (accepted,
   * declined).
   */
  async recordStage(
    ack: {
      agencyId: string;
      commandId: string;
      stage: CommandAckStage;
      at: Date;
      reason: string | undefined;
      userId: string;
      settledAt: Date;
    },
    client?: SqlClient,
  ): Promise<RecordedStage | undefined> {
    const { agencyId, commandId, stage, at, reason, userId, settledAt } = ack;
    const [row] = await this.database.rows<
      CommandRow & { was_set: boolean; all_delivered?: boolean; settled?: boolean }
    >(
      {
        text: RECORD_STAGE,
        values: [
          agencyId,
          commandId,
          at,
          stage === 'declined' ? (reason ?? null) : null,
          userId,
          stage,
          settledAt,
        ],
      },
      client,
    );
    return row
      ? {
          command: toCommand(row),
          changed: !row.was_set,
          allDelivered: row.all_delivered === true,
          settled: row.settled === true,
        }
      : undefined;
  }
}

/** What {@link CommandsRepository.recordStage} did. */
export interface RecordedStage {
  command: CommandRecord;
  /** The stage was not recorded before. */
  changed: boolean;
  /** delivered, seen: every command of the assignment is delivered now. */
  allDelivered: boolean;
  /** accepted, declined: this ack settled the assignment. */
  settled: boolean;
}
