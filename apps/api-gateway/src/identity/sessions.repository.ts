import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'sessions.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const REVOKE = sqlOf(SQL, 'revoke');
const REVOKE_OF_USER = sqlOf(SQL, 'revoke_of_user');
const IS_REVOKED = sqlOf(SQL, 'is_revoked');

export interface SessionRow {
  id: string;
  agency_id: string;
  user_id: string;
  authenticated_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface NewSession {
  id: string;
  agencyId: string;
  userId: string;
  authenticatedAt: Date;
  expiresAt: Date;
  ip?: string;
  userAgent?: string;
}

/** The only place with SQL for sessions. Scoped by agency; `client` is the caller's transaction. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly database: Database) {}

  async insert(client: SqlClient, session: NewSession): Promise<void> {
    await this.database.result(
      {
        text: INSERT,
        values: [
          session.id,
          session.agencyId,
          session.userId,
          session.authenticatedAt,
          session.expiresAt,
          session.ip ?? null,
          session.userAgent ?? null,
        ],
      },
      client,
    );
  }

  /** Revokes one session; returns whether it was live. */
  async revoke(
    client: SqlClient,
    agencyId: string,
    sessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.database.rows<{ id: string }>(
      { text: REVOKE, values: [agencyId, sessionId, now, reason] },
      client,
    );
    return rows.length > 0;
  }

  /** Revokes every live session of a user (except `keep`); returns their ids. */
  async revokeOfUser(
    client: SqlClient,
    agencyId: string,
    userId: string,
    reason: string,
    now: Date,
    keep?: string,
  ): Promise<string[]> {
    const rows = await this.database.rows<{ id: string }>(
      { text: REVOKE_OF_USER, values: [agencyId, userId, now, reason, keep ?? null] },
      client,
    );
    return rows.map((row) => row.id);
  }

  async isRevoked(agencyId: string, sessionId: string): Promise<boolean> {
    const rows = await this.database.rows<{ revoked: boolean }>({
      text: IS_REVOKED,
      values: [agencyId, sessionId],
    });
    return rows[0]?.revoked ?? true;
  }
}
