import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { CommandAckStage, IncidentPriority } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'all-calls.repository.sql'));
const ON_DUTY_UNITS = sqlOf(SQL, 'on_duty_units');
const INSERT_ALL_CALL = sqlOf(SQL, 'insert_all_call');
const INSERT_COMMANDS = sqlOf(SQL, 'insert_commands');
const ALL_CALL = sqlOf(SQL, 'all_call');
const COMMANDS_OF_ALL_CALL = sqlOf(SQL, 'commands_of_all_call');
const RECORD_STAGE = sqlOf(SQL, 'record_stage');
const RECORD_STEP = sqlOf(SQL, 'record_step');
const STEPS_OF_ALL_CALL = sqlOf(SQL, 'steps_of_all_call');

export interface AllCallRow {
  all_call_id: string;
  agency_id: string;
  title: string;
  message: string;
  priority: IncidentPriority;
  critical: boolean;
  created_by: string;
  created_at: Date;
  zone_id: string | null;
}

export interface AllCallCommandRow {
  command_id: string;
  agency_id: string;
  all_call_id: string;
  unit_id: string;
  issued_at: Date;
  delivered_at: Date | null;
  seen_at: Date | null;
  accepted_at: Date | null;
  declined_at: Date | null;
  decline_reason: string | null;
  acknowledged_by: string | null;
}

export interface NewAllCall {
  allCallId: string;
  agencyId: string;
  title: string;
  message: string;
  priority: IncidentPriority;
  critical: boolean;
  createdBy: string;
  createdAt: Date;
  zoneId: string | null;
}

/** All-calls and their per-unit commands (the only SQL of the all-call capability). */
@Injectable()
export class AllCallsRepository {
  constructor(private readonly database: Database) {}

  /** On-duty units of the agency (only among `among` when given). */
  async onDutyUnits(agencyId: string, among?: readonly string[]): Promise<string[]> {
    const rows = await this.database.rows<{ unit_id: string }>({
      text: ON_DUTY_UNITS,
      values: [agencyId, among ?? null],
    });
    return rows.map((row) => row.unit_id);
  }

  /** False when the all-call already exists (a retried request). */
  async insertAllCall(client: SqlClient, call: NewAllCall): Promise<boolean> {
    const rows = await this.database.rows(
      {
        text: INSERT_ALL_CALL,
        values: [
          call.allCallId,
          call.agencyId,
          call.title,
          call.message,
          call.priority,
          call.critical,
          call.createdBy,
          call.createdAt,
          call.zoneId,
        ],
      },
      client,
    );
    return rows.length > 0;
  }

  async insertCommands(
    client: SqlClient,
    agencyId: string,
    allCallId: string,
    commands: readonly { commandId: string; unitId: string }[],
    issuedAt: Date,
  ): Promise<void> {
    await this.database.result(
      {
        text: INSERT_COMMANDS,
        values: [
          agencyId,
          allCallId,
          commands.map((command) => command.commandId),
          commands.map((command) => command.unitId),
          issuedAt,
        ],
      },
      client,
    );
  }

  async allCall(agencyId: string, allCallId: string): Promise<AllCallRow | undefined> {
    const [row] = await this.database.rows<AllCallRow>({
      text: ALL_CALL,
      values: [agencyId, allCallId],
    });
    return row;
  }

  commandsOf(agencyId: string, allCallId: string): Promise<AllCallCommandRow[]> {
    return this.database.rows<AllCallCommandRow>({
      text: COMMANDS_OF_ALL_CALL,
      values: [agencyId, allCallId],
    });
  }

  /** Records a ladder step in the transaction; false when it already fired (a retried job). */
  async recordStep(client: SqlClient, agencyId: string, allCallId: string, step: string, at: Date) {
    const rows = await this.database.rows(
      { text: RECORD_STEP, values: [agencyId, allCallId, step, at] },
      client,
    );
    return rows.length > 0;
  }

  stepsOf(agencyId: string, allCallId: string): Promise<{ step: string; fired_at: Date }[]> {
    return this.database.rows({ text: STEPS_OF_ALL_CALL, values: [agencyId, allCallId] });
  }

  /** Records an acknowledgement stage; undefined when the command is no all-call's. */
  async recordStage(
    agencyId: string,
    commandId: string,
    stage: CommandAckStage,
    at: Date,
    reason: string | undefined,
    userId: string,
    client?: SqlClient,
  ): Promise<{ command: AllCallCommandRow; changed: boolean } | undefined> {
    const [row] = await this.database.rows<AllCallCommandRow & { was_set: boolean }>(
      { text: RECORD_STAGE, values: [agencyId, commandId, stage, at, reason ?? null, userId] },
      client,
    );
    if (!row) {
      return undefined;
    }
    const { was_set: wasSet, ...command } = row;
    return { command, changed: !wasSet };
  }
}
