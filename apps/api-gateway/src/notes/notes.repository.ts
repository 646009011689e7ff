import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'notes.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const LIST_BY_INCIDENT = sqlOf(SQL, 'list_by_incident');
const LIST_BY_UNIT = sqlOf(SQL, 'list_by_unit');

export interface NoteRow {
  id: string;
  agency_id: string;
  incident_id: string | null;
  unit_id: string | null;
  text: string;
  author: string;
  corrects: string | null;
  created_at: Date;
  corrected_by?: string[];
}

export interface NewNote {
  id: string;
  agencyId: string;
  incidentId?: string;
  unitId?: string;
  text: string;
  author: string;
  corrects?: string;
}

/** The only place with SQL for notes. Scoped by agency; notes are never changed. */
@Injectable()
export class NotesRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, note: NewNote): Promise<NoteRow> {
    const rows = await this.database.rows<NoteRow>(
      {
        text: INSERT,
        values: [
          note.id,
          note.agencyId,
          note.incidentId ?? null,
          note.unitId ?? null,
          note.text,
          note.author,
          note.corrects ?? null,
        ],
      },
      client,
    );
    return rows[0];
  }

  async findById(agencyId: string, id: string): Promise<NoteRow | undefined> {
    return (await this.database.rows<NoteRow>({ text: FIND_BY_ID, values: [agencyId, id] }))[0];
  }

  async listByIncident(agencyId: string, incidentId: string): Promise<NoteRow[]> {
    return this.database.rows<NoteRow>({ text: LIST_BY_INCIDENT, values: [agencyId, incidentId] });
  }

  async listByUnit(agencyId: string, unitId: string): Promise<NoteRow[]> {
    return this.database.rows<NoteRow>({ text: LIST_BY_UNIT, values: [agencyId, unitId] });
  }
}
