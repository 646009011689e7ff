import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { AgencyStatus, Locale, Role, UserStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'users.repository.sql'));
const FIND_BY_LOGIN = sqlOf(SQL, 'find_by_login');
const FIND = sqlOf(SQL, 'find');
const LOCK = sqlOf(SQL, 'lock');
const LIST = sqlOf(SQL, 'list');
const ANY_ADMIN = sqlOf(SQL, 'any_admin');
const LOCK_BOOTSTRAP = sqlOf(SQL, 'lock_bootstrap');
const INSERT = sqlOf(SQL, 'insert');
const UPDATE_PROFILE = sqlOf(SQL, 'update_profile');
const SET_ROLES = sqlOf(SQL, 'set_roles');
const SET_PASSWORD = sqlOf(SQL, 'set_password');
const SET_STATUS = sqlOf(SQL, 'set_status');
const DELETE = sqlOf(SQL, 'delete');
const RECORD_LOGIN = sqlOf(SQL, 'record_login');
const TOUCH = sqlOf(SQL, 'touch');
const DISABLE_INACTIVE = sqlOf(SQL, 'disable_inactive');

export interface UserRow {
  id: string;
  agency_id: string;
  username: string;
  email: string;
  display_name: string | null;
  locale: Locale;
  roles: Role[];
  status: UserStatus;
  status_reason: string | null;
  password_hash: string;
  last_login_at: Date | null;
  last_seen_at: Date;
  created_at: Date;
  updated_at: Date;
  /** Only from the login lookup: the status of the user's agency. */
  agency_status?: AgencyStatus;
}

export interface NewUser {
  id: string;
  agencyId: string;
  username: string;
  email: string;
  displayName: string | null;
  locale: Locale;
  roles: Role[];
  passwordHash: string;
  now: Date;
}

export interface UserProfileChange {
  email?: string;
  displayName?: string | null;
  locale?: Locale;
}

/** Postgres unique violation on one of the users' unique indexes. */
export function uniqueViolation(error: unknown): 'username' | 'email' | undefined {
  const record = error as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = record.driverError?.code ?? record.code;
  const constraint = record.driverError?.constraint ?? record.constraint;
  if (code !== '23505') {
    return undefined;
  }
  return constraint === 'users_agency_email_key' ? 'email' : 'username';
}

/**
 * The only place with SQL for users. Every statement that reads or changes an agency's users is
 * scoped by `agency_id`; the only unscoped ones are the pre-authentication lookup (login name)
 * and the system sweeps. `client` is the caller's transaction; methods without one run on the
 * pool.
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly database: Database) {}

  /**
   * Pre-authentication lookup by username or e-mail (case-insensitive), in one agency or, without
   * one, across agencies: names are unique per agency, so up to two rows tell an ambiguous login.
   */
  async findByLogin(login: string, agencyId?: string): Promise<UserRow[]> {
    return this.database.rows<UserRow>({ text: FIND_BY_LOGIN, values: [login, agencyId ?? null] });
  }

  async find(agencyId: string, id: string): Promise<UserRow | undefined> {
    const rows = await this.database.rows<UserRow>({ text: FIND, values: [agencyId, id] });
    return rows[0];
  }

  /** Reads and row-locks a user inside the caller's transaction. */
  async lock(client: SqlClient, agencyId: string, id: string): Promise<UserRow | undefined> {
    const rows = await this.database.rows<UserRow>({ text: LOCK, values: [agencyId, id] }, client);
    return rows[0];
  }

  async list(
    agencyId: string,
    options: { limit: number; after?: string; status?: UserStatus },
  ): Promise<UserRow[]> {
    return this.database.rows<UserRow>({
      text: LIST,
      values: [agencyId, options.after ?? null, options.status ?? null, options.limit],
    });
  }

  async anyAdmin(client: SqlClient): Promise<boolean> {
    const rows = await this.database.rows<{ found: boolean }>(
      { text: ANY_ADMIN, values: [] },
      client,
    );
    return rows[0]?.found ?? false;
  }

  /** Takes a transaction-scoped advisory lock (serialises first-admin creation across replicas). */
  async lockBootstrap(client: SqlClient): Promise<void> {
    await this.database.result({ text: LOCK_BOOTSTRAP, values: [] }, client);
  }

  /** Inserts a user, in the caller's transaction when given one. */
  async insert(user: NewUser, client?: SqlClient): Promise<UserRow> {
    const rows = await this.database.rows<UserRow>(
      {
        text: INSERT,
        values: [
          user.id,
          user.agencyId,
          user.username,
          user.email,
          user.displayName,
          user.locale,
          user.roles,
          user.passwordHash,
          user.now,
        ],
      },
      client,
    );
    return rows[0];
  }

  async updateProfile(
    agencyId: string,
    id: string,
    change: UserProfileChange,
    now: Date,
    client?: SqlClient,
  ): Promise<UserRow | undefined> {
    const rows = await this.database.rows<UserRow>(
      {
        text: UPDATE_PROFILE,
        values: [
          agencyId,
          id,
          change.email !== undefined,
          change.email ?? null,
          change.displayName !== undefined,
          change.displayName ?? null,
          change.locale !== undefined,
          change.locale ?? null,
          now,
        ],
      },
      client,
    );
    return rows[0];
  }

  async setRoles(
    client: SqlClient,
    agencyId: string,
    id: string,
    roles: Role[],
    now: Date,
  ): Promise<UserRow> {
    const rows = await this.database.rows<UserRow>(
      { text: SET_ROLES, values: [agencyId, id, roles, now] },
      client,
    );
    return rows[0];
  }

  async setPassword(
    client: SqlClient,
    agencyId: string,
    id: string,
    passwordHash: string,
    now: Date,
  ): Promise<void> {
    await this.database.result(
      { text: SET_PASSWORD, values: [agencyId, id, passwordHash, now] },
      client,
    );
  }

  /** Sets the status; `active` also clears failed logins and counts as activity. */
  async setStatus(
    client: SqlClient,
    agencyId: string,
    id: string,
    status: UserStatus,
    reason: string | null,
    now: Date,
  ): Promise<UserRow> {
    const rows = await this.database.rows<UserRow>(
      { text: SET_STATUS, values: [agencyId, id, status, reason, now] },
      client,
    );
    return rows[0];
  }

  async delete(client: SqlClient, agencyId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.database.result(
      { text: DELETE, values: [agencyId, id] },
      client,
    );
    return (rowCount ?? 0) > 0;
  }

  async recordLogin(client: SqlClient, id: string, now: Date): Promise<void> {
    await this.database.result({ text: RECORD_LOGIN, values: [id, now] }, client);
  }

  async touch(client: SqlClient, id: string, now: Date): Promise<void> {
    await this.database.result({ text: TOUCH, values: [id, now] }, client);
  }

  /** System sweep: disables active accounts unused since `cutoff` (across agencies). */
  async disableInactive(
    client: SqlClient,
    cutoff: Date,
    now: Date,
  ): Promise<Array<{ id: string; agency_id: string }>> {
    return this.database.rows<{ id: string; agency_id: string }>(
      { text: DISABLE_INACTIVE, values: [cutoff, now] },
      client,
    );
  }
}
