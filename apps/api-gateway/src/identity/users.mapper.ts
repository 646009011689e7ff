import type { Agency, User } from '@gad/contracts';
import type { AgencyRow } from './agencies.repository';
import type { UserRow } from './users.repository';

/** A user row as the API shows it (never the password hash or failure history). */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    agencyId: row.agency_id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    locale: row.locale,
    roles: row.roles,
    status: row.status,
    statusReason: row.status_reason,
    lastLoginAt: row.last_login_at ? row.last_login_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toAgency(row: AgencyRow): Agency {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
