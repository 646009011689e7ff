import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'password-setup-tokens.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const SPEND = sqlOf(SQL, 'spend');

/** The only place with SQL for set-password tokens (digests only, never the token). */
@Injectable()
export class PasswordSetupTokensRepository {
  constructor(private readonly database: Database) {}

  async insert(
    client: SqlClient,
    token: { hash: Buffer; agencyId: string; userId: string; now: Date; expiresAt: Date },
  ): Promise<void> {
    await this.database.result(
      {
        text: INSERT,
        values: [token.hash, token.agencyId, token.userId, token.now, token.expiresAt],
      },
      client,
    );
  }

  /** Marks the token used; its agency and user, or undefined when unknown, used or expired. */
  async spend(
    client: SqlClient,
    hash: Buffer,
    now: Date,
  ): Promise<{ agency_id: string; user_id: string } | undefined> {
    const rows = await this.database.rows<{ agency_id: string; user_id: string }>(
      { text: SPEND, values: [hash, now] },
      client,
    );
    return rows[0];
  }
}
