import type {
  Incident,
  IncidentCreatedV1,
  IncidentStatusChangedV1,
  IncidentStatus,
} from '@gad/contracts';
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
    version: row.version,
    disposition:
      row.disposition_code === null || row.disposition_code === undefined
        ? null
        : {
            code: row.disposition_code,
            summary: row.disposition_summary,
            by: row.disposition_by ?? '',
            at: new Date(row.disposition_at ?? row.updated_at).toISOString(),
          },
    mergedIntoId: row.merged_into_id ?? null,
    splitFromId: row.split_from_id ?? null,
    ...(row.zone_name
      ? { zone: { id: row.zone_id ?? null, name: row.zone_name, source: row.zone_source } }
      : {}),
  };
}

/** The strong ETag of an incident version. */
export function etagOf(version: number): string {
  return `"${version}"`;
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

export function toIncidentStatusChangedV1(
  row: IncidentRow,
  previousStatus: IncidentStatus,
  reason: string | undefined,
  disposition?: string,
): IncidentStatusChangedV1 {
  return {
    incidentId: row.id,
    status: row.status,
    previousStatus,
    priority: row.priority,
    ...(reason ? { reason } : {}),
    ...(disposition ? { disposition } : {}),
    changedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Opaque keyset cursor of a list page: `<created µs>.<id>` in base64url. */
export function encodeIncidentCursor(row: IncidentRow): string {
  return Buffer.from(`${row.created_us}.${row.id}`).toString('base64url');
}

export function decodeIncidentCursor(
  cursor: string,
): { createdUs: string; id: string } | undefined {
  const match = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  return match ? { createdUs: match[1], id: match[2] } : undefined;
}
