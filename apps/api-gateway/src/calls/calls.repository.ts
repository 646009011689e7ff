import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { CallChannel, CallDuplicateCandidate } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'calls.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const LOCK = sqlOf(SQL, 'lock');
const LIST = sqlOf(SQL, 'list');
const LIST_BY_INCIDENT = sqlOf(SQL, 'list_by_incident');
const LINK = sqlOf(SQL, 'link');

export interface CallRow {
  id: string;
  agency_id: string;
  channel: CallChannel;
  caller_name: string | null;
  callback_number: string | null;
  location_text: string | null;
  lon: number | null;
  lat: number | null;
  received_at: Date;
  incident_type: string | null;
  description: string | null;
  incident_id: string | null;
  linked_at: Date | null;
  linked_by: string | null;
  duplicate_candidates: CallDuplicateCandidate[];
  created_by: string;
  created_at: Date;
}

export interface NewCall {
  id: string;
  agencyId: string;
  channel: CallChannel;
  callerName?: string;
  callbackNumber?: string;
  locationText?: string;
  lon?: number;
  lat?: number;
  receivedAt: string;
  incidentType?: string;
  description?: string;
  duplicateCandidates: CallDuplicateCandidate[];
  createdBy: string;
}

export interface CallFilter {
  unlinked?: boolean;
  incidentId?: string;
  from?: string;
  to?: string;
  limit: number;
}

/** The only place with SQL for calls. Every query is scoped by agency. */
@Injectable()
export class CallsRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, call: NewCall): Promise<CallRow> {
    const rows = await this.database.rows<CallRow>(
      {
        text: INSERT,
        values: [
          call.id,
          call.agencyId,
          call.channel,
          call.callerName ?? null,
          call.callbackNumber ?? null,
          call.locationText ?? null,
          call.lon ?? null,
          call.lat ?? null,
          call.receivedAt,
          call.incidentType ?? null,
          call.description ?? null,
          JSON.stringify(call.duplicateCandidates),
          call.createdBy,
        ],
      },
      client,
    );
    return rows[0];
  }

  async findById(agencyId: string, id: string): Promise<CallRow | undefined> {
    return (await this.database.rows<CallRow>({ text: FIND_BY_ID, values: [agencyId, id] }))[0];
  }

  /** Row-locks calls in the caller's transaction (lock order: incident, then calls). */
  async lock(client: SqlClient, agencyId: string, ids: readonly string[]): Promise<CallRow[]> {
    return this.database.rows<CallRow>({ text: LOCK, values: [agencyId, ids] }, client);
  }

  async list(agencyId: string, filter: CallFilter): Promise<CallRow[]> {
    return this.database.rows<CallRow>({
      text: LIST,
      values: [
        agencyId,
        filter.unlinked ?? null,
        filter.incidentId ?? null,
        filter.from ?? null,
        filter.to ?? null,
        filter.limit,
      ],
    });
  }

  async listByIncident(agencyId: string, incidentId: string): Promise<CallRow[]> {
    return this.database.rows<CallRow>({ text: LIST_BY_INCIDENT, values: [agencyId, incidentId] });
  }

  /** Links locked calls to an incident. */
  async link(
    client: SqlClient,
    agencyId: string,
    ids: readonly string[],
    incidentId: string,
    by: string,
  ): Promise<CallRow[]> {
    return this.database.rows<CallRow>(
      { text: LINK, values: [agencyId, ids, incidentId, by] },
      client,
    );
  }
}
