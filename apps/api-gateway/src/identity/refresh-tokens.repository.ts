import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { AgencyStatus, Role, UserStatus } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'refresh-tokens.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const LOCK = sqlOf(SQL, 'lock');
const MARK_USED = sqlOf(SQL, 'mark_used');

/** A refresh token looked up (and row-locked) for rotation, with its session and user. */
export interface RefreshTokenRow {
  session_id: string;
  used_at: Date | null;
  agency_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  /** Authentication methods the session proved. */
  amr: string[];
  last_used_at: Date;
  /** Null on sessions from before idle timeouts (the configured default applies). */
  idle_timeout_seconds: number | null;
  user_status: UserStatus;
  roles: Role[];
  /** A suspended agency's sessions are not refreshed. */
  agency_status: AgencyStatus;
}

/** The only place with SQL for refresh tokens (by digest). Runs in the caller's transaction. */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly database: Database) {}

  async insert(
    client: SqlClient,
    tokenHash: Buffer,
    sessionId: string,
    agencyId: string,
    now: Date,
  ): Promise<void> {
    await this.database.result(
      { text: INSERT, values: [tokenHash, sessionId, agencyId, now] },
      client,
    );
  }

  /** Pre-authentication lookup of a refresh token by digest, locking it and its session. */
  async lock(client: SqlClient, tokenHash: Buffer): Promise<RefreshTokenRow | undefined> {
    const rows = await this.database.rows<RefreshTokenRow>(
      { text: LOCK, values: [tokenHash] },
      client,
    );
    return rows[0];
  }

  async markUsed(client: SqlClient, tokenHash: Buffer, now: Date): Promise<void> {
    await this.database.result({ text: MARK_USED, values: [tokenHash, now] }, client);
  }
}
