import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { AgencyStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'agencies.repository.sql'));
const FIND = sqlOf(SQL, 'find');
const ENSURE = sqlOf(SQL, 'ensure');
const RENAME = sqlOf(SQL, 'rename');
const CREATE = sqlOf(SQL, 'create');
const LIST = sqlOf(SQL, 'list');
const LOCK = sqlOf(SQL, 'lock');
const SET_STATUS = sqlOf(SQL, 'set_status');
const SET_SETTINGS = sqlOf(SQL, 'set_settings');
const USER_IDS = sqlOf(SQL, 'user_ids');

export interface AgencyRow {
  id: string;
  name: string;
  status: AgencyStatus;
  status_reason: string | null;
  suspended_at: Date | null;
  /** Stored settings (validated on the way in; read through `settingsOf`). */
  settings: Record<string, unknown>;
  settings_version: number;
  settings_updated_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** The only place with SQL for agencies; `client` is the caller's transaction. */
@Injectable()
export class AgenciesRepository {
  constructor(private readonly database: Database) {}

  async find(id: string, client?: SqlClient): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>({ text: FIND, values: [id] }, client);
    return rows[0];
  }

  async ensure(client: SqlClient, id: string, name: string, now: Date): Promise<void> {
    await this.database.result({ text: ENSURE, values: [id, name, now] }, client);
  }

  async rename(
    id: string,
    name: string,
    now: Date,
    client?: SqlClient,
  ): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>(
      { text: RENAME, values: [id, name, now] },
      client,
    );
    return rows[0];
  }

  /** Inserts an agency; undefined when the id is taken. */
  async create(
    client: SqlClient,
    agency: { id: string; name: string; settings: unknown; now: Date },
  ): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>(
      {
        text: CREATE,
        values: [agency.id, agency.name, JSON.stringify(agency.settings), agency.now],
      },
      client,
    );
    return rows[0];
  }

  list(options: { limit: number; after?: string; status?: AgencyStatus }): Promise<AgencyRow[]> {
    return this.database.rows<AgencyRow>({
      text: LIST,
      values: [options.limit, options.after ?? null, options.status ?? null],
    });
  }

  async lock(client: SqlClient, id: string): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>({ text: LOCK, values: [id] }, client);
    return rows[0];
  }

  async setStatus(
    client: SqlClient,
    id: string,
    status: AgencyStatus,
    reason: string | null,
    now: Date,
  ): Promise<AgencyRow> {
    const rows = await this.database.rows<AgencyRow>(
      { text: SET_STATUS, values: [id, status, reason, now] },
      client,
    );
    return rows[0] as AgencyRow;
  }

  /** Replaces the settings document and bumps its version. */
  async setSettings(
    client: SqlClient,
    id: string,
    settings: unknown,
    now: Date,
  ): Promise<AgencyRow> {
    const rows = await this.database.rows<AgencyRow>(
      { text: SET_SETTINGS, values: [id, JSON.stringify(settings), now] },
      client,
    );
    return rows[0] as AgencyRow;
  }

  async userIds(client: SqlClient, agencyId: string): Promise<string[]> {
    const rows = await this.database.rows<{ id: string }>(
      { text: USER_IDS, values: [agencyId] },
      client,
    );
    return rows.map((row) => row.id);
  }
}
