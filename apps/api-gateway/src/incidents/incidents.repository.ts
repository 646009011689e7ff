import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@gad/bus';
import type { IncidentPriority, IncidentStatus } from '@gad/contracts';
import { DataSource } from 'typeorm';

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

const COLUMNS = `id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us`;

/** The only place with SQL for incidents. Every query is scoped by agency. */
@Injectable()
export class IncidentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(executor: SqlExecutor, incident: NewIncident): Promise<IncidentRow> {
    const rows = (await executor.query(
      `INSERT INTO dispatch.incidents
         (id, agency_id, type, priority, location, address, description, created_by)
       VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography, $7, $8, $9)
       RETURNING ${COLUMNS}`,
      [
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
    )) as IncidentRow[];
    return rows[0];
  }

  async findById(agencyId: string, id: string): Promise<IncidentRow | undefined> {
    const rows: IncidentRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM dispatch.incidents WHERE agency_id = $1 AND id = $2`,
      [agencyId, id],
    );
    return rows[0];
  }

  /** Reads and row-locks an incident inside the caller's transaction. */
  async lock(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
  ): Promise<IncidentRow | undefined> {
    const rows = (await executor.query(
      `SELECT ${COLUMNS} FROM dispatch.incidents WHERE agency_id = $1 AND id = $2 FOR NO KEY UPDATE`,
      [agencyId, id],
    )) as IncidentRow[];
    return rows[0];
  }

  /**
   * Newest first. `bbox` is a plain lon/lat rectangle, edges included, tested on the coordinates
   * (a geography envelope reads its edges as great circles and refuses whole-world boxes);
   * minLon > maxLon crosses the antimeridian (RFC 7946 §5.2).
   */
  async list(agencyId: string, filter: IncidentFilter): Promise<IncidentRow[]> {
    const [minLon, minLat, maxLon, maxLat] = filter.bbox ?? [null, null, null, null];
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM dispatch.incidents
        WHERE agency_id = $1
          AND ($2::text[] IS NULL OR status = ANY($2::text[]))
          AND ($3::text[] IS NULL OR priority = ANY($3::text[]))
          AND ($4::text IS NULL OR type = $4)
          AND ($5::timestamptz IS NULL OR created_at >= $5)
          AND ($6::timestamptz IS NULL OR created_at < $6)
          AND ($7::float8 IS NULL OR (
                ST_Y(location::geometry) BETWEEN $8::float8 AND $10::float8
                AND CASE WHEN $7::float8 <= $9::float8
                         THEN ST_X(location::geometry) BETWEEN $7::float8 AND $9::float8
                         ELSE ST_X(location::geometry) >= $7::float8
                              OR ST_X(location::geometry) <= $9::float8 END))
          AND ($11::bigint IS NULL OR (created_at, id) <
                (timestamptz 'epoch' + $11::bigint * interval '1 microsecond', $12::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $13`,
      [
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
    );
  }

  /** Applies changes and bumps the version (the caller holds the row lock). */
  async update(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
    changes: IncidentChanges,
  ): Promise<IncidentRow> {
    const rows = (await executor.query(
      `WITH changed AS (
        UPDATE dispatch.incidents SET
         type = COALESCE($3, type),
         priority = COALESCE($4, priority),
         location = CASE WHEN $5::float8 IS NULL THEN location
                         ELSE ST_SetSRID(ST_MakePoint($5::float8, $6::float8), 4326)::geography END,
         address = CASE WHEN $7::bool THEN $8 ELSE address END,
         description = CASE WHEN $9::bool THEN $10 ELSE description END,
         version = version + 1,
         updated_at = now()
       WHERE agency_id = $1 AND id = $2
       RETURNING *
      )
      SELECT ${COLUMNS} FROM changed`,
      [
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
    )) as IncidentRow[];
    return rows[0];
  }

  async setStatus(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
    status: IncidentStatus,
  ): Promise<IncidentRow> {
    const rows = (await executor.query(
      `WITH changed AS (
        UPDATE dispatch.incidents SET status = $3, version = version + 1, updated_at = now()
        WHERE agency_id = $1 AND id = $2
        RETURNING *
      )
      SELECT ${COLUMNS} FROM changed`,
      [agencyId, id, status],
    )) as IncidentRow[];
    return rows[0];
  }
}
