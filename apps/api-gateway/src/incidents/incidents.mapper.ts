import type { Incident, IncidentCreatedV1 } from '@gad/contracts';
import type { IncidentRow } from './incidents.repository';

export function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    agencyId: row.agency_id,
    type: row.type,
    priority: row.priority,
    status: row.status,
    location: { type: 'Point', coordinates: [Number(row.lon), Number(row.lat)] },
    address: row.address,
    description: row.description,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function toIncidentCreatedV1(incident: Incident): IncidentCreatedV1 {
  return {
    incidentId: incident.id,
    type: incident.type,
    priority: incident.priority,
    status: incident.status,
    location: incident.location,
    ...(incident.address ? { address: incident.address } : {}),
    ...(incident.description ? { description: incident.description } : {}),
    createdAt: incident.createdAt,
  };
}
