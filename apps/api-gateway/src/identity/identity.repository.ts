import { Injectable } from '@nestjs/common';
import { OutboxWriter, type SqlExecutor } from '@gad/bus';
import { Streams, type Envelope, type Locale, type Role, type UserStatus } from '@gad/contracts';
import { DataSource } from 'typeorm';

export interface AgencyRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

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

export interface SessionRow {
  id: string;
  agency_id: string;
  user_id: string;
  authenticated_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A refresh token looked up (and row-locked) for rotation, with its session and user. */
export interface RefreshTokenRow {
  session_id: string;
  used_at: Date | null;
  agency_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  user_status: UserStatus;
  roles: Role[];
}

export interface FailureResult {
  status: UserStatus;
  previous_status: UserStatus;
  failures: number;
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

const USER_COLUMNS = `id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at`;

/**
 * SQL of agencies, users and sessions on one executor (the pool or a transaction). Every query
 * that reads or changes an agency's rows is scoped by `agency_id`; the only unscoped lookups are
 * the pre-authentication ones (login name, refresh token digest) and the system sweeps.
 */
export class IdentitySql {
  constructor(
    protected readonly executor: SqlExecutor,
    private readonly outbox: OutboxWriter,
  ) {}

  private async rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    const result = await this.executor.query(sql, params);
    // TypeORM answers UPDATE/DELETE ... RETURNING with [rows, rowCount].
    if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0])) {
      if (typeof result[1] === 'number') {
        return result[0] as T[];
      }
    }
    return result as T[];
  }

  /** Appends domain events to the outbox (inside a transaction: with the change). */
  appendEvents(envelopes: readonly Envelope[]): Promise<void> {
    return this.outbox.append(this.executor, Streams.DispatchEvents, envelopes);
  }

  // Agencies

  async findAgency(id: string): Promise<AgencyRow | undefined> {
    const rows = await this.rows<AgencyRow>(`SELECT * FROM dispatch.agencies WHERE id = $1`, [id]);
    return rows[0];
  }

  async ensureAgency(id: string, name: string, now: Date): Promise<void> {
    await this.executor.query(
      `INSERT INTO dispatch.agencies (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (id) DO NOTHING`,
      [id, name, now],
    );
  }

  async renameAgency(id: string, name: string, now: Date): Promise<AgencyRow | undefined> {
    const rows = await this.rows<AgencyRow>(
      `UPDATE dispatch.agencies SET name = $2, updated_at = $3 WHERE id = $1 RETURNING *`,
      [id, name, now],
    );
    return rows[0];
  }

  // Users

  /**
   * Pre-authentication lookup by username or e-mail (case-insensitive), in one agency or, without
   * one, across agencies: names are unique per agency, so up to two rows tell an ambiguous login.
   */
  async findByLogin(login: string, agencyId?: string): Promise<UserRow[]> {
    return this.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM dispatch.users
       WHERE (lower(username) = lower($1) OR lower(email) = lower($1))
         AND ($2::text IS NULL OR agency_id = $2)
       ORDER BY agency_id, id
       LIMIT 2`,
      [login, agencyId ?? null],
    );
  }

  async findUser(agencyId: string, id: string, lock = false): Promise<UserRow | undefined> {
    const rows = await this.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM dispatch.users WHERE agency_id = $1 AND id = $2
       ${lock ? 'FOR UPDATE' : ''}`,
      [agencyId, id],
    );
    return rows[0];
  }

  async listUsers(
    agencyId: string,
    options: { limit: number; after?: string; status?: UserStatus },
  ): Promise<UserRow[]> {
    return this.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM dispatch.users
       WHERE agency_id = $1 AND ($2::text IS NULL OR username > $2)
         AND ($3::text IS NULL OR status = $3)
       ORDER BY username LIMIT $4`,
      [agencyId, options.after ?? null, options.status ?? null, options.limit],
    );
  }

  async anyAdmin(): Promise<boolean> {
    const rows = await this.rows<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM dispatch.users WHERE 'admin' = ANY (roles)) AS found`,
      [],
    );
    return rows[0]?.found ?? false;
  }

  async insertUser(user: NewUser): Promise<UserRow> {
    const rows = await this.rows<UserRow>(
      `INSERT INTO dispatch.users (id, agency_id, username, email, display_name, locale, roles,
         password_hash, password_changed_at, last_seen_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $9)
       RETURNING ${USER_COLUMNS}`,
      [
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
    );
    return rows[0];
  }

  async updateProfile(
    agencyId: string,
    id: string,
    change: UserProfileChange,
    now: Date,
  ): Promise<UserRow | undefined> {
    const rows = await this.rows<UserRow>(
      `UPDATE dispatch.users SET
         email = CASE WHEN $3 THEN $4 ELSE email END,
         display_name = CASE WHEN $5 THEN $6 ELSE display_name END,
         locale = CASE WHEN $7 THEN $8 ELSE locale END,
         updated_at = $9
       WHERE agency_id = $1 AND id = $2 RETURNING ${USER_COLUMNS}`,
      [
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
    );
    return rows[0];
  }

  async setRoles(agencyId: string, id: string, roles: Role[], now: Date): Promise<UserRow> {
    const rows = await this.rows<UserRow>(
      `UPDATE dispatch.users SET roles = $3, updated_at = $4
       WHERE agency_id = $1 AND id = $2 RETURNING ${USER_COLUMNS}`,
      [agencyId, id, roles, now],
    );
    return rows[0];
  }

  async setPassword(agencyId: string, id: string, passwordHash: string, now: Date): Promise<void> {
    await this.executor.query(
      `UPDATE dispatch.users SET password_hash = $3, password_changed_at = $4, updated_at = $4
       WHERE agency_id = $1 AND id = $2`,
      [agencyId, id, passwordHash, now],
    );
  }

  /** Sets the status; `active` also clears failed logins and counts as activity. */
  async setStatus(
    agencyId: string,
    id: string,
    status: UserStatus,
    reason: string | null,
    now: Date,
  ): Promise<UserRow> {
    const rows = await this.rows<UserRow>(
      `UPDATE dispatch.users SET status = $3, status_reason = $4, updated_at = $5,
         recent_failures = CASE WHEN $3 = 'active' THEN '{}' ELSE recent_failures END,
         last_seen_at = CASE WHEN $3 = 'active' THEN $5 ELSE last_seen_at END
       WHERE agency_id = $1 AND id = $2 RETURNING ${USER_COLUMNS}`,
      [agencyId, id, status, reason, now],
    );
    return rows[0];
  }

  async deleteUser(agencyId: string, id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM dispatch.users WHERE agency_id = $1 AND id = $2 RETURNING id`,
      [agencyId, id],
    );
    return rows.length > 0;
  }

  /**
   * Records a failed login atomically: keeps the failures inside the window, adds this one, and
   * locks an active account when they reach the threshold.
   */
  async recordFailedLogin(
    id: string,
    now: Date,
    windowStart: Date,
    threshold: number,
  ): Promise<FailureResult> {
    const rows = await this.rows<FailureResult>(
      `WITH previous AS (SELECT status FROM dispatch.users WHERE id = $1 FOR UPDATE),
       kept AS (
         SELECT array(SELECT f FROM unnest(u.recent_failures) f WHERE f > $3 ORDER BY f)
                || $2::timestamptz AS failures
         FROM dispatch.users u WHERE u.id = $1
       )
       UPDATE dispatch.users u SET
         recent_failures = kept.failures,
         status = CASE WHEN u.status = 'active' AND cardinality(kept.failures) >= $4
                       THEN 'locked' ELSE u.status END,
         status_reason = CASE WHEN u.status = 'active' AND cardinality(kept.failures) >= $4
                              THEN 'failed_logins' ELSE u.status_reason END,
         updated_at = $2
       FROM kept, previous WHERE u.id = $1
       RETURNING u.status, previous.status AS previous_status,
                 cardinality(kept.failures) AS failures`,
      [id, now, windowStart, threshold],
    );
    return rows[0];
  }

  async recordLogin(id: string, now: Date): Promise<void> {
    await this.executor.query(
      `UPDATE dispatch.users SET last_login_at = $2, last_seen_at = $2, recent_failures = '{}'
       WHERE id = $1`,
      [id, now],
    );
  }

  async touchUser(id: string, now: Date): Promise<void> {
    await this.executor.query(`UPDATE dispatch.users SET last_seen_at = $2 WHERE id = $1`, [
      id,
      now,
    ]);
  }

  /** System sweep: disables active accounts unused since `cutoff` (across agencies). */
  async disableInactive(
    cutoff: Date,
    now: Date,
  ): Promise<Array<{ id: string; agency_id: string }>> {
    return this.rows(
      `UPDATE dispatch.users SET status = 'disabled', status_reason = 'inactive', updated_at = $2
       WHERE status = 'active' AND last_seen_at < $1 RETURNING id, agency_id`,
      [cutoff, now],
    );
  }

  // Sessions and refresh tokens

  async insertSession(session: {
    id: string;
    agencyId: string;
    userId: string;
    authenticatedAt: Date;
    expiresAt: Date;
    ip?: string;
    userAgent?: string;
  }): Promise<void> {
    await this.executor.query(
      `INSERT INTO dispatch.sessions (id, agency_id, user_id, authenticated_at, expires_at, ip,
         user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        session.id,
        session.agencyId,
        session.userId,
        session.authenticatedAt,
        session.expiresAt,
        session.ip ?? null,
        session.userAgent ?? null,
      ],
    );
  }

  async insertRefreshToken(
    tokenHash: Buffer,
    sessionId: string,
    agencyId: string,
    now: Date,
  ): Promise<void> {
    await this.executor.query(
      `INSERT INTO dispatch.refresh_tokens (token_hash, session_id, agency_id, issued_at)
       VALUES ($1, $2, $3, $4)`,
      [tokenHash, sessionId, agencyId, now],
    );
  }

  /** Pre-authentication lookup of a refresh token by digest, locking it and its session. */
  async lockRefreshToken(tokenHash: Buffer): Promise<RefreshTokenRow | undefined> {
    const rows = await this.rows<RefreshTokenRow>(
      `SELECT t.session_id, t.used_at, s.agency_id, s.user_id, s.expires_at, s.revoked_at,
              u.status AS user_status, u.roles
       FROM dispatch.refresh_tokens t
       JOIN dispatch.sessions s ON s.id = t.session_id
       JOIN dispatch.users u ON u.id = s.user_id AND u.agency_id = s.agency_id
       WHERE t.token_hash = $1
       FOR UPDATE OF t, s`,
      [tokenHash],
    );
    return rows[0];
  }

  async markRefreshTokenUsed(tokenHash: Buffer, now: Date): Promise<void> {
    await this.executor.query(
      `UPDATE dispatch.refresh_tokens SET used_at = $2 WHERE token_hash = $1`,
      [tokenHash, now],
    );
  }

  /** Revokes one session; returns whether it was live. */
  async revokeSession(
    agencyId: string,
    sessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE dispatch.sessions SET revoked_at = $3, revoked_reason = $4
       WHERE agency_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`,
      [agencyId, sessionId, now, reason],
    );
    return rows.length > 0;
  }

  /** Revokes every live session of a user (except `keep`); returns their ids. */
  async revokeUserSessions(
    agencyId: string,
    userId: string,
    reason: string,
    now: Date,
    keep?: string,
  ): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE dispatch.sessions SET revoked_at = $3, revoked_reason = $4
       WHERE agency_id = $1 AND user_id = $2 AND revoked_at IS NULL
         AND ($5::uuid IS NULL OR id <> $5::uuid)
       RETURNING id`,
      [agencyId, userId, now, reason, keep ?? null],
    );
    return rows.map((row) => row.id);
  }

  async isSessionRevoked(agencyId: string, sessionId: string): Promise<boolean> {
    const rows = await this.rows<{ revoked: boolean }>(
      `SELECT revoked_at IS NOT NULL AS revoked FROM dispatch.sessions
       WHERE agency_id = $1 AND id = $2`,
      [agencyId, sessionId],
    );
    return rows[0]?.revoked ?? true;
  }
}

/** The identity tables on the pool, with {@link transaction} for changes that go together. */
@Injectable()
export class IdentityRepository extends IdentitySql {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: OutboxWriter,
  ) {
    super(dataSource, writer);
  }

  /** Runs `fn` in one transaction (with outbox appends); commits when it resolves. */
  transaction<T>(fn: (tx: IdentitySql) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => fn(new IdentitySql(manager, this.writer)));
  }

  /** Takes a transaction-scoped advisory lock (serialises first-admin creation across replicas). */
  async bootstrapTransaction<T>(fn: (tx: IdentitySql) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('gad:bootstrap-admin'))`);
      return fn(new IdentitySql(manager, this.writer));
    });
  }
}
