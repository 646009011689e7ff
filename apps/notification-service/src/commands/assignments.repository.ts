import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { IncidentPriority } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'assignments.repository.sql'));
const FIND_ASSIGNMENT = sqlOf(SQL, 'find_assignment');
const SETTLE_ASSIGNMENT = sqlOf(SQL, 'settle_assignment');
const UNSETTLED_OF_INCIDENT = sqlOf(SQL, 'unsettled_assignments_of_incident');

export interface AssignmentRecord {
  agencyId: string;
  assignmentId: string;
  incidentId: string;
  unitId: string;
  priority: IncidentPriority;
  createdAt: Date;
  settledAt?: Date;
}

interface AssignmentRow {
  agency_id: string;
  assignment_id: string;
  incident_id: string;
  unit_id: string;
  priority: IncidentPriority;
  created_at: Date;
  settled_at: Date | null;
}

/** The assignments whose commands and ladder this service follows (`notify.assignments`). */
@Injectable()
export class AssignmentsRepository {
  constructor(private readonly database: Database) {}

  async findAssignment(
    agencyId: string,
    assignmentId: string,
  ): Promise<AssignmentRecord | undefined> {
    const [row] = await this.database.rows<AssignmentRow>({
      text: FIND_ASSIGNMENT,
      values: [agencyId, assignmentId],
    });
    return row
      ? {
          agencyId: row.agency_id,
          assignmentId: row.assignment_id,
          incidentId: row.incident_id,
          unitId: row.unit_id,
          priority: row.priority,
          createdAt: row.created_at,
          ...(row.settled_at ? { settledAt: row.settled_at } : {}),
        }
      : undefined;
  }

  /** Marks the assignment settled (no more escalation); false when it already was. */
  async settleAssignment(
    agencyId: string,
    assignmentId: string,
    reason: string,
    at: Date,
    client?: SqlClient,
  ): Promise<boolean> {
    const rows = await this.database.rows(
      { text: SETTLE_ASSIGNMENT, values: [agencyId, assignmentId, at, reason] },
      client,
    );
    return rows.length > 0;
  }

  /** Assignments of an incident whose ladder may still run. */
  async unsettledAssignmentsOfIncident(agencyId: string, incidentId: string): Promise<string[]> {
    const rows = await this.database.rows<{ assignment_id: string }>({
      text: UNSETTLED_OF_INCIDENT,
      values: [agencyId, incidentId],
    });
    return rows.map((r) => r.assignment_id);
  }
}
