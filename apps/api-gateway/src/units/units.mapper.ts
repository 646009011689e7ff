import type { Unit } from '@gad/contracts';
import { ASSIGNABLE_UNIT_STATUSES } from './unit-status.constants';
import type { UnitRow } from './units.repository';

export function toUnit(row: UnitRow): Unit {
  return {
    id: row.id,
    agencyId: row.agency_id,
    callSign: row.call_sign,
    type: row.type,
    capabilities: row.capabilities,
    crew: row.crew,
    status: row.status,
    available: ASSIGNABLE_UNIT_STATUSES.includes(row.status),
    statusChangedAt: new Date(row.status_changed_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
