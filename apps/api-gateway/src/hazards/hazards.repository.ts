import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { HazardArea, HazardSeverity } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'hazards.repository.sql'));
const IS_VALID_AREA = sqlOf(SQL, 'is_valid_area');
const INSERT = sqlOf(SQL, 'insert');
const UPDATE = sqlOf(SQL, 'update');
const DELETE = sqlOf(SQL, 'delete');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const LIST = sqlOf(SQL, 'list');
const AT_POINT = sqlOf(SQL, 'at_point');
const ANY_IN_FORCE = sqlOf(SQL, 'any_in_force');

export interface HazardRow {
  id: string;
  agency_id: string;
  title: string;
  details: string | null;
  severity: HazardSeverity;
  address: string | null;
  area: HazardArea;
  radius_m: number;
  expires_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** What a hazard is made of (insert and full update). */
export interface HazardFields {
  title: string;
  details: string | null;
  severity: HazardSeverity;
  address: string | null;
  area: HazardArea;
  radiusM: number;
  expiresAt: string | null;
}

/** The only place with SQL for premise and hazard information. Scoped by agency. */
@Injectable()
export class HazardsRepository {
  constructor(private readonly database: Database) {}

  async isValidArea(area: HazardArea): Promise<boolean> {
    const [row] = await this.database.rows<{ valid: boolean }>({
      text: IS_VALID_AREA,
      values: [JSON.stringify(area)],
    });
    return row?.valid === true;
  }

  async insert(
    id: string,
    agencyId: string,
    createdBy: string,
    fields: HazardFields,
    client: SqlClient = this.database.pool,
  ): Promise<HazardRow> {
    const [row] = await this.database.rows<HazardRow>(
      { text: INSERT, values: [id, agencyId, ...this.values(fields), createdBy] },
      client,
    );
    return row as HazardRow;
  }

  async update(
    agencyId: string,
    id: string,
    fields: HazardFields,
    client: SqlClient = this.database.pool,
  ): Promise<HazardRow | undefined> {
    const [row] = await this.database.rows<HazardRow>(
      { text: UPDATE, values: [agencyId, id, ...this.values(fields)] },
      client,
    );
    return row;
  }

  async delete(
    agencyId: string,
    id: string,
    client: SqlClient = this.database.pool,
  ): Promise<boolean> {
    const result = await this.database.result({ text: DELETE, values: [agencyId, id] }, client);
    return (result.rowCount ?? 0) > 0;
  }

  async findById(agencyId: string, id: string): Promise<HazardRow | undefined> {
    const [row] = await this.database.rows<HazardRow>({ text: FIND_BY_ID, values: [agencyId, id] });
    return row;
  }

  list(agencyId: string, after: string | undefined, limit: number): Promise<HazardRow[]> {
    return this.database.rows<HazardRow>({ text: LIST, values: [agencyId, after ?? null, limit] });
  }

  /** The hazards that apply at a point, most severe first (on `client` inside a transaction). */
  atPoint(
    agencyId: string,
    lon: number,
    lat: number,
    limit: number,
    client?: SqlClient,
  ): Promise<HazardRow[]> {
    return this.database.rows<HazardRow>(
      { text: AT_POINT, values: [agencyId, lon, lat, limit] },
      client,
    );
  }

  /** Whether the agency has a hazard that is neither deleted nor expired. */
  async anyInForce(agencyId: string): Promise<boolean> {
    const [row] = await this.database.rows<{ any: boolean }>({
      text: ANY_IN_FORCE,
      values: [agencyId],
    });
    return row?.any ?? false;
  }

  private values(fields: HazardFields): unknown[] {
    return [
      fields.title,
      fields.details,
      fields.severity,
      fields.address,
      JSON.stringify(fields.area),
      fields.radiusM,
      fields.expiresAt,
    ];
  }
}
