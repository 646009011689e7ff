import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { UnitStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'units.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const FIND_CREWED_BY = sqlOf(SQL, 'find_crewed_by');
const LOCK = sqlOf(SQL, 'lock');
const LIST = sqlOf(SQL, 'list');
const UPDATE = sqlOf(SQL, 'update');
const SET_STATUS = sqlOf(SQL, 'set_status');
const OPEN_ASSIGNMENT_OF = sqlOf(SQL, 'open_assignment_of');
const RETIRE = sqlOf(SQL, 'retire');
const EXISTING_IDS = sqlOf(SQL, 'existing_ids');

export interface UnitRow {
  id: string;
  agency_id: string;
  call_sign: string;
  type: string;
  capabilities: string[];
  crew: string[];
  status: UnitStatus;
  status_changed_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface NewUnit {
  id: string;
  agencyId: string;
  callSign: string;
  type: string;
  capabilities: readonly string[];
  crew: readonly string[];
}

export interface UnitChanges {
  callSign?: string;
  type?: string;
  capabilities?: readonly string[];
  crew?: readonly string[];
}

export interface UnitFilter {
  statuses?: readonly UnitStatus[];
  type?: string;
  afterId?: string;
  limit: number;
}

/** PostgreSQL unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/** The only place with SQL for units. Every query is scoped by agency; retired units are gone. */
@Injectable()
export class UnitsRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, unit: NewUnit): Promise<UnitRow> {
    const rows = await this.database.rows<UnitRow>(
      {
        text: INSERT,
        values: [unit.id, unit.agencyId, unit.callSign, unit.type, unit.capabilities, unit.crew],
      },
      client,
    );
    return rows[0];
  }

  /** The ids among `ids` that are active units of the agency. */
  async existingIds(agencyId: string, ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.database.rows<{ id: string }>({
      text: EXISTING_IDS,
      values: [agencyId, [...ids]],
    });
    return new Set(rows.map((row) => row.id));
  }

  async findById(agencyId: string, id: string): Promise<UnitRow | undefined> {
    const rows = await this.database.rows<UnitRow>({ text: FIND_BY_ID, values: [agencyId, id] });
    return rows[0];
  }

  /** The active unit a user crews, if any (the newest when several list them). */
  async findCrewedBy(agencyId: string, userId: string): Promise<string | undefined> {
    const rows = await this.database.rows<{ id: string }>({
      text: FIND_CREWED_BY,
      values: [agencyId, userId],
    });
    return rows[0]?.id;
  }

  /** Reads and row-locks a unit inside the caller's transaction. */
  async lock(client: SqlClient, agencyId: string, id: string): Promise<UnitRow | undefined> {
    const rows = await this.database.rows<UnitRow>({ text: LOCK, values: [agencyId, id] }, client);
    return rows[0];
  }

  async list(agencyId: string, filter: UnitFilter): Promise<UnitRow[]> {
    return this.database.rows<UnitRow>({
      text: LIST,
      values: [
        agencyId,
        filter.statuses ?? null,
        filter.type ?? null,
        filter.afterId ?? null,
        filter.limit,
      ],
    });
  }

  async update(
    client: SqlClient,
    agencyId: string,
    id: string,
    changes: UnitChanges,
  ): Promise<UnitRow> {
    const rows = await this.database.rows<UnitRow>(
      {
        text: UPDATE,
        values: [
          agencyId,
          id,
          changes.callSign ?? null,
          changes.type ?? null,
          changes.capabilities ?? null,
          changes.crew ?? null,
        ],
      },
      client,
    );
    return rows[0];
  }

  async setStatus(
    client: SqlClient,
    agencyId: string,
    id: string,
    status: UnitStatus,
  ): Promise<UnitRow> {
    const rows = await this.database.rows<UnitRow>(
      { text: SET_STATUS, values: [agencyId, id, status] },
      client,
    );
    return rows[0];
  }

  /** The unit's open (not declined or cleared) assignment, if any. */
  async openAssignmentOf(
    client: SqlClient,
    agencyId: string,
    id: string,
  ): Promise<string | undefined> {
    const rows = await this.database.rows<{ id: string }>(
      { text: OPEN_ASSIGNMENT_OF, values: [agencyId, id] },
      client,
    );
    return rows[0]?.id;
  }

  async retire(client: SqlClient, agencyId: string, id: string): Promise<void> {
    await this.database.result({ text: RETIRE, values: [agencyId, id] }, client);
  }
}
