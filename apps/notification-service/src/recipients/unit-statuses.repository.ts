import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'unit-statuses.repository.sql'));
const SET_UNIT_STATUS = sqlOf(SQL, 'set_unit_status');

/** The unit status projection (`notify.units`): whether a unit's crew is worth paging. */
@Injectable()
export class UnitStatusesRepository {
  constructor(private readonly database: Database) {}

  /** Stores `status` unless a newer update was stored already. */
  async setUnitStatus(agencyId: string, unitId: string, status: string, at: Date): Promise<void> {
    await this.database.result({
      text: SET_UNIT_STATUS,
      values: [agencyId, unitId, status, at],
    });
  }
}
