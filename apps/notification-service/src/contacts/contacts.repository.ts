import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'contacts.repository.sql'));
const CONTACTS = sqlOf(SQL, 'contacts');
const PUT_VERIFICATION = sqlOf(SQL, 'put_verification');
const TAKE_TELEGRAM_CODE = sqlOf(SQL, 'take_telegram_code');
const ATTEMPT_EMAIL = sqlOf(SQL, 'attempt_email');
const DROP_VERIFICATION = sqlOf(SQL, 'drop_verification');
const SET_TELEGRAM_CHAT = sqlOf(SQL, 'set_telegram_chat');
const SET_EMAIL = sqlOf(SQL, 'set_email');
const SET_PREFERENCES = sqlOf(SQL, 'set_preferences');

export interface ContactsRow {
  telegram_chat_id: string | null;
  email: string | null;
  channels: string[] | null;
  quiet_start: string | null;
  quiet_end: string | null;
  quiet_time_zone: string | null;
  pending_email: string | null;
}

export type VerificationKind = 'telegram' | 'email';

/** Contact channels of a user and their pending verifications. */
@Injectable()
export class ContactsRepository {
  constructor(private readonly database: Database) {}

  async contacts(agencyId: string, userId: string, client?: SqlClient): Promise<ContactsRow> {
    const [row] = await this.database.rows<ContactsRow>(
      { text: CONTACTS, values: [agencyId, userId] },
      client,
    );
    return row as ContactsRow;
  }

  async putVerification(
    v: {
      agencyId: string;
      userId: string;
      kind: VerificationKind;
      codeHash: string;
      email?: string;
      expiresAt: Date;
    },
    client?: SqlClient,
  ): Promise<void> {
    await this.database.result(
      {
        text: PUT_VERIFICATION,
        values: [v.agencyId, v.userId, v.kind, v.codeHash, v.email ?? null, v.expiresAt],
      },
      client,
    );
  }

  /** Spends a live Telegram link code: whose it was, or undefined. */
  async takeTelegramCode(
    codeHash: string,
  ): Promise<{ agencyId: string; userId: string } | undefined> {
    const [row] = await this.database.rows<{ agency_id: string; user_id: string }>({
      text: TAKE_TELEGRAM_CODE,
      values: [codeHash],
    });
    return row ? { agencyId: row.agency_id, userId: row.user_id } : undefined;
  }

  /** Counts an attempt at the e-mail code; the pending verification while attempts remain. */
  async attemptEmail(
    agencyId: string,
    userId: string,
    maxAttempts: number,
  ): Promise<{ codeHash: string; email: string } | undefined> {
    const [row] = await this.database.rows<{ code_hash: string; email: string }>({
      text: ATTEMPT_EMAIL,
      values: [agencyId, userId, maxAttempts],
    });
    return row ? { codeHash: row.code_hash, email: row.email } : undefined;
  }

  async dropVerification(
    agencyId: string,
    userId: string,
    kind: VerificationKind,
    client?: SqlClient,
  ): Promise<void> {
    await this.database.result(
      { text: DROP_VERIFICATION, values: [agencyId, userId, kind] },
      client,
    );
  }

  async setTelegramChat(agencyId: string, userId: string, chatId: string): Promise<void> {
    await this.database.result({ text: SET_TELEGRAM_CHAT, values: [agencyId, userId, chatId] });
  }

  async setEmail(
    agencyId: string,
    userId: string,
    email: string,
    client?: SqlClient,
  ): Promise<void> {
    await this.database.result({ text: SET_EMAIL, values: [agencyId, userId, email] }, client);
  }

  async setPreferences(
    agencyId: string,
    userId: string,
    p: {
      channels?: readonly string[];
      quietHours?: { start: string; end: string; timeZone: string } | null;
    },
    client?: SqlClient,
  ): Promise<void> {
    await this.database.result(
      {
        text: SET_PREFERENCES,
        values: [
          agencyId,
          userId,
          p.channels ?? null,
          p.quietHours?.start ?? null,
          p.quietHours?.end ?? null,
          p.quietHours?.timeZone ?? null,
          p.channels !== undefined,
          p.quietHours !== undefined,
        ],
      },
      client,
    );
  }
}
