import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'escalations.repository.sql'));
const INSERT_ESCALATION = sqlOf(SQL, 'insert_escalation');
const ESCALATIONS_OF_INCIDENT = sqlOf(SQL, 'escalations_of_incident');

/** The ladder steps that fired (`notify.escalations`). */
@Injectable()
export class EscalationsRepository {
  constructor(private readonly database: Database) {}

  /**
   * Inside the caller's transaction: records that a ladder step fired; false when it already had
   * (a retried or duplicate job).
   */
  async insertEscalation(
    client: SqlClient,
    agencyId: string,
    assignmentId: string,
    step: string,
    at: Date,
  ): Promise<boolean> {
    const rows = await this.database.rows(
      { text: INSERT_ESCALATION, values: [agencyId, assignmentId, step, at] },
      client,
    );
    return rows.length > 0;
  }

  async escalationsOfIncident(
    agencyId: string,
    incidentId: string,
  ): Promise<{ assignmentId: string; step: string; firedAt: Date }[]> {
    const rows = await this.database.rows<{ assignment_id: string; step: string; fired_at: Date }>({
      text: ESCALATIONS_OF_INCIDENT,
      values: [agencyId, incidentId],
    });
    return rows.map((r) => ({ assignmentId: r.assignment_id, step: r.step, firedAt: r.fired_at }));
  }
}
