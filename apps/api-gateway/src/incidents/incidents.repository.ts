import { Injectable } from '@nestjs/common';
import { OutboxWriter } from '@gad/bus';
import { Streams, type Envelope, type IncidentPriority, type IncidentStatus } from '@gad/contracts';
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

const RETURNING = `id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at`;

/** The only place with SQL for incidents. Every query is scoped by agency. */
@Injectable()
export class IncidentsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Inserts the incident and its domain event in one transaction (transactional outbox). */
  async insertWithEvent(
    incident: NewIncident,
    event: (row: IncidentRow) => Envelope,
  ): Promise<IncidentRow> {
    return this.dataSource.transaction(async (manager) => {
      const rows: IncidentRow[] = await manager.query(
        `INSERT INTO dispatch.incidents
           (id, agency_id, type, priority, location, address, description, created_by)
         VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography, $7, $8, $9)
         RETURNING ${RETURNING}`,
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
      );
      const row = rows[0];
      await this.outbox.append(manager, Streams.DispatchEvents, [event(row)]);
      return row;
    });
  }

  async findById(agencyId: string, id: string): Promise<IncidentRow | undefined> {
    const rows: IncidentRow[] = await this.dataSource.query(
      `SELECT ${RETURNING} FROM dispatch.incidents WHERE agency_id = $1 AND id = $2`,
      [agencyId, id],
    );
    return rows[0];
  }
}
