import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'platform-operators.repository.sql'));
const FIND_BY_USERNAME = sqlOf(SQL, 'find_by_username');
const ANY = sqlOf(SQL, 'any');
const LOCK_BOOTSTRAP = sqlOf(SQL, 'lock_bootstrap');
const INSERT = sqlOf(SQL, 'insert');
const RECORD_LOGIN = sqlOf(SQL, 'record_login');

export interface PlatformOperatorRow {
  id: string;
  username: string;
  password_hash: string;
  status: 'active' | 'disabled';
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The only place with SQL for platform operators. */
@Injectable()
export class PlatformOperatorsRepository {
  constructor(private readonly database: Database) {}

  async findByUsername(username: string): Promise<PlatformOperatorRow | undefined> {
    const rows = await this.database.rows<PlatformOperatorRow>({
      text: FIND_BY_USERNAME,
      values: [username],
    });
    return rows[0];
  }

  async any(client: SqlClient): Promise<boolean> {
    const rows = await this.database.rows<{ exists: boolean }>({ text: ANY }, client);
    return rows[0]?.exists ?? false;
  }

  async lockBootstrap(client: SqlClient): Promise<void> {
    await this.database.result({ text: LOCK_BOOTSTRAP }, client);
  }

  /** Inserts an operator; undefined when the username is taken. */
  async insert(
    client: SqlClient,
    operator: { id: string; username: string; passwordHash: string; now: Date },
  ): Promise<PlatformOperatorRow | undefined> {
    const rows = await this.database.rows<PlatformOperatorRow>(
      {
        text: INSERT,
        values: [operator.id, operator.username, operator.passwordHash, operator.now],
      },
      client,
    );
    return rows[0];
  }

  async recordLogin(id: string, now: Date): Promise<void> {
    await this.database.result({ text: RECORD_LOGIN, values: [id, now] });
  }
}
