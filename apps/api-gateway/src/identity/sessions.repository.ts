import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'sessions.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const REVOKE = sqlOf(SQL, 'revoke');
const REVOKE_OF_USER = sqlOf(SQL, 'revoke_of_user');
const IS_REVOKED = sqlOf(SQL, 'is_revoked');
const ADD_METHOD = sqlOf(SQL, 'add_method');
const TOUCH = sqlOf(SQL, 'touch');
const LIST_LIVE = sqlOf(SQL, 'list_live');
const OWNER_OF = sqlOf(SQL, 'owner_of');

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
  /** Authentication methods proved (`pwd`, `otp`). */
  amr: string[];
  /** Refresh refused after this long without one. */
  idleTimeoutSeconds: number;
}

/** A live session as its user sees it. */
export interface LiveSessionRow {
  id: string;
  authenticated_at: Date;
  last_used_at: Date;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  amr: string[];
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
          session.amr,
          session.idleTimeoutSeconds,
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

  async addMethod(client: SqlClient, agencyId: string, sessionId: string, method: string) {
    await this.database.result({ text: ADD_METHOD, values: [agencyId, sessionId, method] }, client);
  }

  async touch(client: SqlClient, agencyId: string, sessionId: string, now: Date): Promise<void> {
    await this.database.result({ text: TOUCH, values: [agencyId, sessionId, now] }, client);
  }

  async listLive(agencyId: string, userId: string, now: Date): Promise<LiveSessionRow[]> {
    return this.database.rows<LiveSessionRow>({ text: LIST_LIVE, values: [agencyId, userId, now] });
  }

  /** The user of a live session (undefined when unknown, of another agency, or revoked). */
  async ownerOf(agencyId: string, sessionId: string): Promise<string | undefined> {
    const rows = await this.database.rows<{ user_id: string }>({
      text: OWNER_OF,
      values: [agencyId, sessionId],
    });
    return rows[0]?.user_id;
  }
}
