import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'agencies.repository.sql'));
const FIND = sqlOf(SQL, 'find');
const ENSURE = sqlOf(SQL, 'ensure');
const RENAME = sqlOf(SQL, 'rename');

export interface AgencyRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

/** The only place with SQL for agencies; `client` is the caller's transaction. */
@Injectable()
export class AgenciesRepository {
  constructor(private readonly database: Database) {}

  async find(id: string): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>({ text: FIND, values: [id] });
    return rows[0];
  }

  async ensure(client: SqlClient, id: string, name: string, now: Date): Promise<void> {
    await this.database.result({ text: ENSURE, values: [id, name, now] }, client);
  }

  async rename(id: string, name: string, now: Date): Promise<AgencyRow | undefined> {
    const rows = await this.database.rows<AgencyRow>({ text: RENAME, values: [id, name, now] });
    return rows[0];
  }
}
