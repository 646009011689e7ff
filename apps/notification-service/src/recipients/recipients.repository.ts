import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { NotifyRecipientUpsertRequest, NotificationChannel } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';
import type { Recipient } from './recipient';

const SQL = loadSqlFile(join(__dirname, 'recipients.repository.sql'));
const FIND_MANY = sqlOf(SQL, 'find_many');
const FIND_CREW = sqlOf(SQL, 'find_crew');
const FIND_BY_ROLES = sqlOf(SQL, 'find_by_roles');
const UPSERT = sqlOf(SQL, 'upsert');
const MARK_LOGGED_OUT = sqlOf(SQL, 'mark_logged_out');
const FOLLOW_USER = sqlOf(SQL, 'follow_user');
const FORGET_USER = sqlOf(SQL, 'forget_user');

interface RecipientRow {
  agency_id: string;
  user_id: string;
  roles: string[];
  locale: string;
  on_duty: boolean;
  unit_id: string | null;
  telegram_chat_id: string | null;
  email: string | null;
  channels: string[];
  quiet_start: string | null;
  quiet_end: string | null;
  quiet_time_zone: string | null;
  logged_out_at: Date | null;
  account_active: boolean;
}

function toRecipient(row: RecipientRow): Recipient {
  return {
    agencyId: row.agency_id,
    userId: row.user_id,
    roles: row.roles,
    locale: row.locale === 'en' ? 'en' : 'es',
    onDuty: row.on_duty,
    ...(row.unit_id ? { unitId: row.unit_id } : {}),
    ...(row.telegram_chat_id ? { telegramChatId: row.telegram_chat_id } : {}),
    ...(row.email ? { email: row.email } : {}),
    channels: row.channels as NotificationChannel[],
    ...(row.quiet_start && row.quiet_end && row.quiet_time_zone
      ? {
          quietHours: { start: row.quiet_start, end: row.quiet_end, timeZone: row.quiet_time_zone },
        }
      : {}),
    loggedOut: row.logged_out_at !== null,
    accountActive: row.account_active,
  };
}

/** Recipient profiles (`notify.recipients`). */
@Injectable()
export class RecipientsRepository {
  constructor(private readonly database: Database) {}

  async findMany(agencyId: string, userIds: readonly string[]): Promise<Recipient[]> {
    if (userIds.length === 0) {
      return [];
    }
    const rows = await this.database.rows<RecipientRow>({
      text: FIND_MANY,
      values: [agencyId, userIds],
    });
    return rows.map(toRecipient);
  }

  /**
   * The stored profiles of a unit's crew (users without one are absent) and the unit's duty
   * status, in one statement.
   */
  async findCrew(
    agencyId: string,
    unitId: string,
    userIds: readonly string[],
  ): Promise<{ profiles: Recipient[]; unitStatus: string | undefined }> {
    const rows = await this.database.rows<
      { crew_unit_status: string | null } & (RecipientRow | { user_id: null })
    >({
      text: FIND_CREW,
      values: [agencyId, userIds, unitId],
    });
    return {
      profiles: rows.flatMap((row) => (row.user_id === null ? [] : [toRecipient(row)])),
      unitStatus: rows[0]?.crew_unit_status ?? undefined,
    };
  }

  async findByRoles(agencyId: string, roles: readonly string[]): Promise<Recipient[]> {
    const rows = await this.database.rows<RecipientRow>({
      text: FIND_BY_ROLES,
      values: [agencyId, roles],
    });
    return rows.map(toRecipient);
  }

  async upsert(input: NotifyRecipientUpsertRequest): Promise<void> {
    const has = (key: keyof NotifyRecipientUpsertRequest): boolean => input[key] !== undefined;
    await this.database.result({
      text: UPSERT,
      values: [
        input.agencyId,
        input.userId,
        input.roles ?? null,
        input.locale ?? null,
        input.onDuty ?? null,
        input.unitId ?? null,
        input.telegramChatId ?? null,
        input.email ?? null,
        input.channels ?? null,
        input.quietHours?.start ?? null,
        input.quietHours?.end ?? null,
        input.quietHours?.timeZone ?? null,
        has('unitId'),
        has('telegramChatId'),
        has('email'),
        has('quietHours'),
      ],
    });
  }

  /** Roles, locale and account state of a user as of `changedAt` (older changes are ignored). */
  async followUser(u: {
    agencyId: string;
    userId: string;
    roles: readonly string[];
    locale: string;
    active: boolean;
    changedAt: Date;
  }): Promise<void> {
    await this.database.result({
      text: FOLLOW_USER,
      values: [u.agencyId, u.userId, u.roles, u.locale, u.active, u.changedAt],
    });
  }

  async forgetUser(agencyId: string, userId: string): Promise<void> {
    await this.database.result({ text: FORGET_USER, values: [agencyId, userId] });
  }

  /** All of a user's sessions were revoked: their devices are logged out. */
  async markLoggedOut(agencyId: string, userId: string, at: Date): Promise<void> {
    await this.database.result({ text: MARK_LOGGED_OUT, values: [agencyId, userId, at] });
  }
}
