import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { AssignmentStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'assignments.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const INCIDENT_OF = sqlOf(SQL, 'incident_of');
const LOCK = sqlOf(SQL, 'lock');
const LIST_BY_INCIDENT = sqlOf(SQL, 'list_by_incident');
const LOCK_OPEN_BY_INCIDENT = sqlOf(SQL, 'lock_open_by_incident');
const SET_STATUS = sqlOf(SQL, 'set_status');

export interface AssignmentRecommendation {
  unitId: string;
  callSign?: string;
  distanceM: number;
}

export interface AssignmentRow {
  id: string;
  agency_id: string;
  incident_id: string;
  unit_id: string;
  call_sign: string;
  crew: string[];
  status: AssignmentStatus;
  steps: Partial<Record<AssignmentStatus, string>>;
  decline_reason: string | null;
  recommendation: AssignmentRecommendation | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface NewAssignment {
  id: string;
  agencyId: string;
  incidentId: string;
  unitId: string;
  createdBy: string;
  recommendation?: AssignmentRecommendation;
}

/** The only place with SQL for assignments. Every query is scoped by agency. */
@Injectable()
export class AssignmentsRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, assignment: NewAssignment): Promise<AssignmentRow> {
    await this.database.result(
      {
        text: INSERT,
        values: [
          assignment.id,
          assignment.agencyId,
          assignment.incidentId,
          assignment.unitId,
          assignment.recommendation ? JSON.stringify(assignment.recommendation) : null,
          assignment.createdBy,
        ],
      },
      client,
    );
    return (await this.lock(client, assignment.agencyId, assignment.id)) as AssignmentRow;
  }

  async findById(agencyId: string, id: string): Promise<AssignmentRow | undefined> {
    const rows = await this.database.rows<AssignmentRow>({
      text: FIND_BY_ID,
      values: [agencyId, id],
    });
    return rows[0];
  }

  /** The incident of an assignment (never changes), read without a lock to lock in order. */
  async incidentOf(client: SqlClient, agencyId: string, id: string): Promise<string | undefined> {
    const rows = await this.database.rows<{ incident_id: string }>(
      { text: INCIDENT_OF, values: [agencyId, id] },
      client,
    );
    return rows[0]?.incident_id;
  }

  async lock(client: SqlClient, agencyId: string, id: string): Promise<AssignmentRow | undefined> {
    const rows = await this.database.rows<AssignmentRow>(
      { text: LOCK, values: [agencyId, id] },
      client,
    );
    return rows[0];
  }

  async listByIncident(agencyId: string, incidentId: string): Promise<AssignmentRow[]> {
    return this.database.rows<AssignmentRow>({
      text: LIST_BY_INCIDENT,
      values: [agencyId, incidentId],
    });
  }

  /** Open assignments of an incident, locked (the caller holds the incident lock). */
  async lockOpenByIncident(
    client: SqlClient,
    agencyId: string,
    incidentId: string,
  ): Promise<AssignmentRow[]> {
    return this.database.rows<AssignmentRow>(
      { text: LOCK_OPEN_BY_INCIDENT, values: [agencyId, incidentId] },
      client,
    );
  }

  /** Sets the status and stamps the step's time (the caller holds the row lock). */
  async setStatus(
    client: SqlClient,
    agencyId: string,
    id: string,
    status: AssignmentStatus,
    declineReason?: string,
  ): Promise<AssignmentRow> {
    await this.database.result(
      { text: SET_STATUS, values: [agencyId, id, status, declineReason ?? null] },
      client,
    );
    return (await this.lock(client, agencyId, id)) as AssignmentRow;
  }
}
