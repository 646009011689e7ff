import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'agency-settings.repository.sql'));
const UPSERT = sqlOf(SQL, 'upsert');
const FIND = sqlOf(SQL, 'find');

/** The agency settings notification-service follows (`notify.agency_settings`). */
@Injectable()
export class AgencySettingsRepository {
  constructor(private readonly database: Database) {}

  /** Stores `settings` unless a version at least as new is stored; true when stored. */
  async upsert(agencyId: string, version: number, settings: unknown, at: Date): Promise<boolean> {
    const rows = await this.database.rows({
      text: UPSERT,
      values: [agencyId, version, JSON.stringify(settings), at],
    });
    return rows.length > 0;
  }

  async find(agencyId: string): Promise<{ version: number; settings: unknown } | undefined> {
    const rows = await this.database.rows<{ version: number; settings: unknown }>({
      text: FIND,
      values: [agencyId],
    });
    return rows[0];
  }
}
