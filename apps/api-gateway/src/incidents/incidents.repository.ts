import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { IncidentPriority, IncidentStatus, IncidentZoneSource } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'incidents.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const FIND_BY_ID = sqlOf(SQL, 'find_by_id');
const LOCK = sqlOf(SQL, 'lock');
const LIST = sqlOf(SQL, 'list');
const UPDATE = sqlOf(SQL, 'update');
const SET_STATUS = sqlOf(SQL, 'set_status');
const SET_DISPOSITION = sqlOf(SQL, 'set_disposition');
const SET_MERGED_INTO = sqlOf(SQL, 'set_merged_into');
const SET_SPLIT_FROM = sqlOf(SQL, 'set_split_from');
const LINKED = sqlOf(SQL, 'linked');
const OPEN_NEAR = sqlOf(SQL, 'open_near');

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
  disposition_code: string | null;
  disposition_summary: string | null;
  disposition_by: string | null;
  disposition_at: Date | null;
  merged_into_id: string | null;
  split_from_id: string | null;
  /** The zone geofence containing the location when it was set (null: none or not known). */
  zone_id: string | null;
  /** The zone geofence's name, else the geohash-5 cell of the location. */
  zone_name: string;
  zone_source: IncidentZoneSource;
  /** `created_at` in microseconds since the epoch (exact cursor key). */
  created_us: string;
}

/** An open incident near a point (call intake duplicate flag). */
export interface NearbyIncidentRow {
  id: string;
  type: string;
  status: IncidentStatus;
  created_at: Date;
  distance_m: number;
}

export interface IncidentDispositionChange {
  code: string;
  summary: string | null;
  by: string;
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
  zone: IncidentZoneValue;
}

/** The zone stored on an incident: a geofence (id and name) or none (the cell applies). */
export interface IncidentZoneValue {
  id: string | null;
  name: string | null;
  source: IncidentZoneSource;
}

/** Fields to change; `null` clears address/description, `undefined` keeps the value. */
export interface IncidentChanges {
  type?: string;
  priority?: IncidentPriority;
  location?: { lon: number; lat: number };
  /** The zone looked up again for the new location. */
  zone?: IncidentZoneValue;
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

  /** Prepared once per connection: every incident create runs it (POST /v1/incidents, intake). */
  async insert(client: SqlClient, incident: NewIncident): Promise<IncidentRow> {
    const rows = await this.database.rows<IncidentRow>(
      {
        name: 'dispatch_incident_insert_v1',
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
          incident.zone.id,
          incident.zone.name,
          incident.zone.source,
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
          changes.zone !== undefined,
          changes.zone?.id ?? null,
          changes.zone?.name ?? null,
          changes.zone?.source ?? null,
        ],
      },
      client,
    );
    return rows[0];
  }

  /** Records how an incident ended (the caller holds the row lock). */
  async setDisposition(
    client: SqlClient,
    agencyId: string,
    id: string,
    disposition: IncidentDispositionChange,
  ): Promise<void> {
    await this.database.result(
      {
        text: SET_DISPOSITION,
        values: [agencyId, id, disposition.code, disposition.summary, disposition.by],
      },
      client,
    );
  }

  async setMergedInto(
    client: SqlClient,
    agencyId: string,
    id: string,
    primaryId: string,
  ): Promise<void> {
    await this.database.result(
      { text: SET_MERGED_INTO, values: [agencyId, id, primaryId] },
      client,
    );
  }

  async setSplitFrom(
    client: SqlClient,
    agencyId: string,
    id: string,
    fromId: string,
  ): Promise<void> {
    await this.database.result({ text: SET_SPLIT_FROM, values: [agencyId, id, fromId] }, client);
  }

  /** Incidents merged into or split off `id`. */
  async linked(
    agencyId: string,
    id: string,
  ): Promise<{ id: string; merged_into_id: string | null; split_from_id: string | null }[]> {
    return this.database.rows({ text: LINKED, values: [agencyId, id] });
  }

  /** Open incidents of `type` within `distanceM` of a point, created within `windowS` before `at`. */
  async openNear(
    agencyId: string,
    near: {
      type: string;
      lon: number;
      lat: number;
      distanceM: number;
      windowS: number;
      at: string;
    },
  ): Promise<NearbyIncidentRow[]> {
    return this.database.rows<NearbyIncidentRow>({
      text: OPEN_NEAR,
      values: [agencyId, near.type, near.lon, near.lat, near.distanceM, near.windowS, near.at],
    });
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
