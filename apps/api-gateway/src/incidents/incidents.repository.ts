import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { IncidentPriority, IncidentStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'incidents.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const LOCK = sqlOf(SQL, 'lock');
const LIST = sqlOf(SQL, 'list');
const UPDATE = sqlOf(SQL, 'update');
const SET_STATUS = sqlOf(SQL, 'set_status');

export interface IncidentRow {
  id: string;
  agency_id: string;
  type: string;
  priority: IncidentPriority;
  status: IncidentStatus;
  lon: number;
  lat: number;
  address: string | null;
  description: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  version: number;
  /** `created_at` in microseconds since the epoch (exact cursor key). */
  created_us: string;
}

export interface NewIncident {
  id: string;
  agencyId: string;
  type: string;
  priority: IncidentPriority;
  lon: number;
  lat: number;
  address?: string;
  description?: string;
  createdBy: string;
}

/** Fields to change; `null` clears address/description, `undefined` keeps the value. */
export interface IncidentChanges {
  type?: string;
  priority?: IncidentPriority;
  location?: { lon: number; lat: number };
  address?: string | null;
  description?: string | null;
}

export interface IncidentFilter {
  statuses?: readonly IncidentStatus[];
  priorities?: readonly IncidentPriority[];
  type?: string;
  from?: string;
  to?: string;
  bbox?: readonly [number, number, number, number];
  /** Keyset: rows strictly older than (createdUs, id). */
  before?: { createdUs: string; id: string };
  limit: number;
}

/** The only place with SQL for incidents. Every query is scoped by agency. */
@Injectable()
export class IncidentsRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, incident: NewIncident): Promise<IncidentRow> {
    const rows = await this.database.rows<IncidentRow>(
      {
        text: INSERT,
        values: [
          incident.id,
          incident.agencyId,
          incident.type,
          incident.priority,
          incident.lon,
          incident.lat,
          incident.address ?? null,
          incident.description ?? null,
          incident.createdBy,
        ],
      },
      client,
    );
    return rows[0];
  }

  async findById(agencyId: string, id: string): Promise<IncidentRow | undefined> {
    const rows = await this.database.rows<IncidentRow>({
      text: FIND_BY_ID,
      values: [agencyId, id],
    });
    return rows[0];
  }

  /** Reads and row-locks an incident inside the caller's transaction. */
  async lock(client: SqlClient, agencyId: string, id: string): Promise<IncidentRow | undefined> {
    const rows = await this.database.rows<IncidentRow>(
      { text: LOCK, values: [agencyId, id] },
      client,
    );
    return rows[0];
  }

  /**
   * Newest first. `bbox` is a plain lon/lat rectangle, edges included, tested on the coordinates
   * (a geography envelope reads its edges as great circles and refuses whole-world boxes);
   * minLon > maxLon crosses the antimeridian (RFC 7946 §5.2).
   */
  async list(agencyId: string, filter: IncidentFilter): Promise<IncidentRow[]> {
    const [minLon, minLat, maxLon, maxLat] = filter.bbox ?? [null, null, null, null];
    return this.database.rows<IncidentRow>({
      text: LIST,
      values: [
        agencyId,
        filter.statuses ?? null,
        filter.priorities ?? null,
        filter.type ?? null,
        filter.from ?? null,
        filter.to ?? null,
        minLon,
        minLat,
        maxLon,
        maxLat,
        filter.before?.createdUs ?? null,
        filter.before?.id ?? null,
        filter.limit,
      ],
    });
  }

  /** Applies changes and bumps the version (the caller holds the row lock). */
  async update(
    client: SqlClient,
    agencyId: string,
    id: string,
    changes: IncidentChanges,
  ): Promise<IncidentRow> {
    const rows = await this.database.rows<IncidentRow>(
      {
        text: UPDATE,
        values: [
          agencyId,
          id,
          changes.type ?? null,
          changes.priority ?? null,
          changes.location?.lon ?? null,
          changes.location?.lat ?? null,
          changes.address !== undefined,
          changes.address ?? null,
          changes.description !== undefined,
          changes.description ?? null,
        ],
      },
      client,
    );
    return rows[0];
  }

  async setStatus(
    client: SqlClient,
    agencyId: string,
    id: string,
    status: IncidentStatus,
  ): Promise<IncidentRow> {
    const rows = await this.database.rows<IncidentRow>(
      { text: SET_STATUS, values: [agencyId, id, status] },
      client,
    );
    return rows[0];
  }
}
