import { Injectable } from '@nestjs/common';
import type { NotifyRecipientUpsertRequest, NotificationChannel } from '@gad/contracts';
import { DataSource } from 'typeorm';
import type { Recipient } from './recipient';

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
  };
}

/** Recipient profiles and the unit status projection (`notify.recipients`, `notify.units`). */
@Injectable()
export class RecipientsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findMany(agencyId: string, userIds: readonly string[]): Promise<Recipient[]> {
    if (userIds.length === 0) {
      return [];
    }
    const rows: RecipientRow[] = await this.dataSource.query(
      `SELECT * FROM notify.recipients WHERE agency_id = $1 AND user_id = ANY($2::text[])`,
      [agencyId, userIds],
    );
    return rows.map(toRecipient);
  }

  async findByRoles(agencyId: string, roles: readonly string[]): Promise<Recipient[]> {
    const rows: RecipientRow[] = await this.dataSource.query(
      `SELECT * FROM notify.recipients WHERE agency_id = $1 AND roles && $2::text[]
        ORDER BY user_id LIMIT 500`,
      [agencyId, roles],
    );
    return rows.map(toRecipient);
  }

  async upsert(input: NotifyRecipientUpsertRequest): Promise<void> {
    const has = (key: keyof NotifyRecipientUpsertRequest): boolean => input[key] !== undefined;
    await this.dataSource.query(
      `INSERT INTO notify.recipients AS r (agency_id, user_id, roles, locale, on_duty, unit_id,
          telegram_chat_id, email, channels, quiet_start, quiet_end, quiet_time_zone)
       VALUES ($1, $2, COALESCE($3::text[], '{}'), COALESCE($4, 'es'), COALESCE($5, true), $6, $7, $8,
          COALESCE($9::text[], '{in_app}'), $10, $11, $12)
       ON CONFLICT (agency_id, user_id) DO UPDATE SET
          roles = COALESCE($3::text[], r.roles),
          locale = COALESCE($4, r.locale),
          on_duty = COALESCE($5, r.on_duty),
          unit_id = CASE WHEN $13 THEN $6 ELSE r.unit_id END,
          telegram_chat_id = CASE WHEN $14 THEN $7 ELSE r.telegram_chat_id END,
          email = CASE WHEN $15 THEN $8 ELSE r.email END,
          channels = COALESCE($9::text[], r.channels),
          quiet_start = CASE WHEN $16 THEN $10 ELSE r.quiet_start END,
          quiet_end = CASE WHEN $16 THEN $11 ELSE r.quiet_end END,
          quiet_time_zone = CASE WHEN $16 THEN $12 ELSE r.quiet_time_zone END,
          updated_at = now()`,
      [
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
    );
  }

  /** All of a user's sessions were revoked: their devices are logged out. */
  async markLoggedOut(agencyId: string, userId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notify.recipients (agency_id, user_id, logged_out_at) VALUES ($1, $2, $3)
       ON CONFLICT (agency_id, user_id) DO UPDATE SET logged_out_at = $3, updated_at = now()`,
      [agencyId, userId, at],
    );
  }

  /** A device of the user spoke (an ack): they are logged in again. */
  async markActive(agencyId: string, userId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE notify.recipients SET logged_out_at = NULL, updated_at = now()
        WHERE agency_id = $1 AND user_id = $2 AND logged_out_at IS NOT NULL`,
      [agencyId, userId],
    );
  }

  async setUnitStatus(agencyId: string, unitId: string, status: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notify.units (agency_id, unit_id, status, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (agency_id, unit_id) DO UPDATE SET status = $3, updated_at = $4
        WHERE notify.units.updated_at <= $4`,
      [agencyId, unitId, status, at],
    );
  }

  async unitStatus(agencyId: string, unitId: string): Promise<string | undefined> {
    const rows: { status: string }[] = await this.dataSource.query(
      `SELECT status FROM notify.units WHERE agency_id = $1 AND unit_id = $2`,
      [agencyId, unitId],
    );
    return rows[0]?.status;
  }
}
