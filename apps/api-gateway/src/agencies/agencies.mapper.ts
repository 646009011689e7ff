import type { AgencySettingsResponse, PlatformAgency } from '@gad/contracts';
import type { AgencyRow } from '../identity/agencies.repository';
import { settingsOf } from './agency-settings';

/** The strong ETag of a settings version. */
export const settingsEtagOf = (version: number): string => `"${version}"`;

export function toPlatformAgency(row: AgencyRow): PlatformAgency {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    statusReason: row.status_reason,
    suspendedAt: row.suspended_at ? row.suspended_at.toISOString() : null,
    settings: settingsOf(row.settings),
    settingsVersion: row.settings_version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toSettingsResponse(row: AgencyRow): AgencySettingsResponse {
  return {
    agencyId: row.id,
    version: row.settings_version,
    settings: settingsOf(row.settings),
    updatedAt: row.settings_updated_at.toISOString(),
  };
}
