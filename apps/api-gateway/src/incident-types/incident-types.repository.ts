import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { IncidentPriority, PlanRequirement } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'incident-types.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND = sqlOf(SQL, 'find');
const FIND_ACTIVE_BY_CODE = sqlOf(SQL, 'find_active_by_code');
const LIST = sqlOf(SQL, 'list');
const UPDATE = sqlOf(SQL, 'update');

export interface IncidentTypeRow {
  agency_id: string;
  code: string;
  name_es: string;
  name_en: string;
  default_priority: IncidentPriority;
  plan: PlanRequirement[];
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface IncidentTypeFields {
  nameEs?: string;
  nameEn?: string;
  defaultPriority?: IncidentPriority;
  plan?: PlanRequirement[];
  active?: boolean;
}

/** The only place with SQL for the incident type catalogue. Scoped by agency. */
@Injectable()
export class IncidentTypesRepository {
  constructor(private readonly database: Database) {}

  /** Undefined when the agency already has the code. */
  async insert(
    agencyId: string,
    code: string,
    fields: Required<Omit<IncidentTypeFields, 'active'>>,
    client: SqlClient = this.database.pool,
  ): Promise<IncidentTypeRow | undefined> {
    const rows = await this.database.rows<IncidentTypeRow>(
      {
        text: INSERT,
        values: [
          agencyId,
          code,
          fields.nameEs,
          fields.nameEn,
          fields.defaultPriority,
          JSON.stringify(fields.plan),
        ],
      },
      client,
    );
    return rows[0];
  }

  async find(
    agencyId: string,
    code: string,
    client: SqlClient = this.database.pool,
  ): Promise<IncidentTypeRow | undefined> {
    return (
      await this.database.rows<IncidentTypeRow>({ text: FIND, values: [agencyId, code] }, client)
    )[0];
  }

  /** The active catalogue entry of an incident's type, if its type is one. */
  async findActive(agencyId: string, type: string): Promise<IncidentTypeRow | undefined> {
    return (
      await this.database.rows<IncidentTypeRow>({
        text: FIND_ACTIVE_BY_CODE,
        values: [agencyId, type],
      })
    )[0];
  }

  async list(agencyId: string): Promise<IncidentTypeRow[]> {
    return this.database.rows<IncidentTypeRow>({ text: LIST, values: [agencyId] });
  }

  async update(
    agencyId: string,
    code: string,
    fields: IncidentTypeFields,
    client: SqlClient = this.database.pool,
  ): Promise<IncidentTypeRow | undefined> {
    const rows = await this.database.rows<IncidentTypeRow>(
      {
        text: UPDATE,
        values: [
          agencyId,
          code,
          fields.nameEs ?? null,
          fields.nameEn ?? null,
          fields.defaultPriority ?? null,
          fields.plan ? JSON.stringify(fields.plan) : null,
          fields.active ?? null,
        ],
      },
      client,
    );
    return rows[0];
  }
}
