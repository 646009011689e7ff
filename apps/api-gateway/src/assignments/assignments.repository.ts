import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@gad/bus';
import type { AssignmentStatus } from '@gad/contracts';
import { DataSource } from 'typeorm';

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

const SELECT = `SELECT a.id, a.agency_id, a.incident_id, a.unit_id, u.call_sign, u.crew, a.status,
    a.steps, a.decline_reason, a.recommendation, a.created_by, a.created_at, a.updated_at
  FROM dispatch.assignments a JOIN dispatch.units u ON u.id = a.unit_id`;

/** The only place with SQL for assignments. Every query is scoped by agency. */
@Injectable()
export class AssignmentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(executor: SqlExecutor, assignment: NewAssignment): Promise<AssignmentRow> {
    await executor.query(
      `INSERT INTO dispatch.assignments
         (id, agency_id, incident_id, unit_id, status, steps, recommendation, created_by)
       VALUES ($1, $2, $3, $4, 'proposed', jsonb_build_object('proposed', now()), $5::jsonb, $6)`,
      [
        assignment.id,
        assignment.agencyId,
        assignment.incidentId,
        assignment.unitId,
        assignment.recommendation ? JSON.stringify(assignment.recommendation) : null,
        assignment.createdBy,
      ],
    );
    return (await this.lock(executor, assignment.agencyId, assignment.id)) as AssignmentRow;
  }

  async findById(agencyId: string, id: string): Promise<AssignmentRow | undefined> {
    const rows: AssignmentRow[] = await this.dataSource.query(
      `${SELECT} WHERE a.agency_id = $1 AND a.id = $2`,
      [agencyId, id],
    );
    return rows[0];
  }

  /** The incident of an assignment (never changes), read without a lock to lock in order. */
  async incidentOf(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
  ): Promise<string | undefined> {
    const rows = (await executor.query(
      `SELECT incident_id FROM dispatch.assignments WHERE agency_id = $1 AND id = $2`,
      [agencyId, id],
    )) as { incident_id: string }[];
    return rows[0]?.incident_id;
  }

  async lock(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
  ): Promise<AssignmentRow | undefined> {
    const rows = (await executor.query(
      `${SELECT} WHERE a.agency_id = $1 AND a.id = $2 FOR NO KEY UPDATE OF a`,
      [agencyId, id],
    )) as AssignmentRow[];
    return rows[0];
  }

  async listByIncident(agencyId: string, incidentId: string): Promise<AssignmentRow[]> {
    return this.dataSource.query(
      `${SELECT} WHERE a.agency_id = $1 AND a.incident_id = $2 ORDER BY a.created_at, a.id`,
      [agencyId, incidentId],
    );
  }

  /** Open assignments of an incident, locked (the caller holds the incident lock). */
  async lockOpenByIncident(
    executor: SqlExecutor,
    agencyId: string,
    incidentId: string,
  ): Promise<AssignmentRow[]> {
    return (await executor.query(
      `${SELECT} WHERE a.agency_id = $1 AND a.incident_id = $2
          AND a.status NOT IN ('declined', 'cleared')
        ORDER BY a.created_at, a.id
        FOR NO KEY UPDATE OF a`,
      [agencyId, incidentId],
    )) as AssignmentRow[];
  }

  /** Sets the status and stamps the step's time (the caller holds the row lock). */
  async setStatus(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
    status: AssignmentStatus,
    declineReason?: string,
  ): Promise<AssignmentRow> {
    await executor.query(
      `UPDATE dispatch.assignments SET
         status = $3,
         steps = steps || jsonb_build_object($3::text, now()),
         decline_reason = COALESCE($4, decline_reason),
         updated_at = now()
       WHERE agency_id = $1 AND id = $2`,
      [agencyId, id, status, declineReason ?? null],
    );
    return (await this.lock(executor, agencyId, id)) as AssignmentRow;
  }
}
