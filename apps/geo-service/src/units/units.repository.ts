import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, queryRows, sqlOf } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'units.repository.sql'));
const APPLY = sqlOf(SQL, 'apply');

/** Fields of one dispatch event; `undefined` keeps the stored value. */
export interface UnitProjectionChange {
  agencyId: string;
  unitId: string;
  callSign?: string;
  status?: string;
  capabilities?: readonly string[];
  removed?: boolean;
  /** Time of the event; older events than the last applied one are ignored. */
  at: Date;
}

/** The unit status/capability projection (columns of `geo.units` beside the latest position). */
@Injectable()
export class UnitsRepository {
  constructor(private readonly database: Database) {}

  /** Returns false when a newer event was applied already. */
  async apply(change: UnitProjectionChange): Promise<boolean> {
    const rows = await queryRows(this.database.pool, {
      name: 'geo_units_apply_v1',
      text: APPLY,
      values: [
        change.agencyId,
        change.unitId,
        change.callSign ?? null,
        change.status ?? null,
        change.capabilities ? [...change.capabilities] : null,
        change.removed ?? null,
        change.at,
      ],
    });
    return rows.length > 0;
  }
}
