import type { IncidentType } from '@gad/contracts';
import type { IncidentTypeRow } from './incident-types.repository';

export function toIncidentType(row: IncidentTypeRow): IncidentType {
  return {
    code: row.code,
    agencyId: row.agency_id,
    nameEs: row.name_es,
    nameEn: row.name_en,
    defaultPriority: row.default_priority,
    plan: row.plan,
    active: row.active,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    version: row.version,
  };
}
