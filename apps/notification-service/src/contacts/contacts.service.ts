import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type {
  ContactSettings,
  NotificationChannel,
  NotificationPreferencesRequest,
  TelegramLink,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import { createLogger } from '@gad/observability';
import { CLOCK, type Clock, type SqlClient } from '@gad/platform';
import { EmailChannel } from '../channels/email.channel';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { ContactsException, ContactsExceptionCode } from './contacts.exception';
import { ContactsRepository, type ContactsRow } from './contacts.repository';

/** How long a Telegram link code and an e-mail code stay valid. */
export const LINK_CODE_TTL_MS = 15 * 60_000;
export const EMAIL_CODE_TTL_MS = 30 * 60_000;
/** Wrong e-mail codes allowed before the verification must be started again. */
export const EMAIL_CODE_ATTEMPTS = 5;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** The e-mail code's hash binds it to the user, so a code is worth nothing for another one. */
const emailCodeHash = (agencyId: string, userId: string, code: string): string =>
  sha256(`email:${agencyId}:${userId}:${code}`);

function toSettings(userId: string, row: ContactsRow): ContactSettings {
  return {
    userId,
    telegram: { linked: row.telegram_chat_id !== null },
    email: { address: row.email, pending: row.pending_email },
    channels: (row.channels ?? ['in_app']) as NotificationChannel[],
    quietHours:
      row.quiet_start && row.quiet_end && row.quiet_time_zone
        ? { start: row.quiet_start, end: row.quiet_end, timeZone: row.quiet_time_zone }
        : null,
  };
}

/**
 * A user's outside channels: Telegram linked by a one-time code the bot receives as
 * `/start <code>`, e-mail verified by a code sent to the address (only a verified address is ever
 * paged), channel preferences and quiet hours.
 */
@Injectable()
export class ContactsService {
  private readonly logger = createLogger('contacts');

  constructor(
    private readonly repository: ContactsRepository,
    private readonly email: EmailChannel,
    private readonly unitOfWork: UnitOfWork,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async get(agencyId: string, userId: string, client?: SqlClient): Promise<ContactSettings> {
    return toSettings(userId, await this.repository.contacts(agencyId, userId, client));
  }

  /** A fresh link code (the previous one stops working) and the bot's deep link. */
  async telegramLink(agencyId: string, userId: string): Promise<TelegramLink> {
    const code = randomBytes(18).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + LINK_CODE_TTL_MS);
    // The code with the audit entry api-gateway forwarded (docs/adr/0021); the entry never holds it.
    await this.unitOfWork.run(async ({ client }) => {
      await this.repository.putVerification(
        { agencyId, userId, kind: 'telegram', codeHash: sha256(`telegram:${code}`), expiresAt },
        client,
      );
      describeChange({ after: { telegramLinkExpiresAt: expiresAt.toISOString() } }, userId);
    });
    const bot = this.config.TELEGRAM_BOT_USERNAME;
    return {
      code,
      deepLink: bot ? `https://t.me/${bot}?start=${code}` : null,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** `/start <code>` from a chat: links it to the code's user; false for an unknown code. */
  async linkTelegramChat(code: string, chatId: string): Promise<boolean> {
    const owner = await this.repository.takeTelegramCode(sha256(`telegram:${code}`));
    if (!owner) {
      return false;
    }
    await this.repository.setTelegramChat(owner.agencyId, owner.userId, chatId);
    this.logger.info({ agencyId: owner.agencyId, userId: owner.userId }, 'telegram chat linked');
    return true;
  }

  /** Sends a 6-digit code to `email`; the address is paged only once the code comes back. */
  async startEmail(agencyId: string, userId: string, email: string): Promise<ContactSettings> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    // The mail goes first: the pending address and its audit entry commit together only once it
    // was sent (docs/adr/0021), so a failed send leaves no change and no success entry.
    try {
      await this.email.send(
        email,
        `GAD Dispatch: código de verificación ${code} / verification code ${code}`,
        `Código / code: ${code}\n\nIntrodúzcalo en GAD Dispatch para recibir avisos en esta dirección.\nEnter it in GAD Dispatch to receive alerts at this address.\nValid ${EMAIL_CODE_TTL_MS / 60_000} min.`,
      );
    } catch (error) {
      throw new ContactsException(
        ContactsExceptionCode.EmailNotSent,
        502,
        `the verification e-mail could not be sent: ${(error as Error).message}`,
      );
    }
    return this.unitOfWork.run(async ({ client }) => {
      const before = await this.get(agencyId, userId, client);
      await this.repository.putVerification(
        {
          agencyId,
          userId,
          kind: 'email',
          codeHash: emailCodeHash(agencyId, userId, code),
          email,
          expiresAt: new Date(this.clock.now().getTime() + EMAIL_CODE_TTL_MS),
        },
        client,
      );
      const after = await this.get(agencyId, userId, client);
      describeChange({ before: before.email, after: after.email }, userId);
      return after;
    });
  }

  async verifyEmail(agencyId: string, userId: string, code: string): Promise<ContactSettings> {
    const pending = await this.repository.attemptEmail(agencyId, userId, EMAIL_CODE_ATTEMPTS);
    if (!pending) {
      throw new ContactsException(
        ContactsExceptionCode.NoPendingEmail,
        404,
        'no e-mail address is waiting for a code (expired, too many attempts or never started)',
      );
    }
    const expected = Buffer.from(pending.codeHash, 'hex');
    const given = Buffer.from(emailCodeHash(agencyId, userId, code), 'hex');
    if (!timingSafeEqual(expected, given)) {
      throw new ContactsException(ContactsExceptionCode.InvalidCode, 422, 'wrong code');
    }
    return this.unitOfWork.run(async ({ client }) => {
      const before = await this.get(agencyId, userId, client);
      await this.repository.setEmail(agencyId, userId, pending.email, client);
      await this.repository.dropVerification(agencyId, userId, 'email', client);
      const after = await this.get(agencyId, userId, client);
      describeChange({ before: before.email, after: after.email }, userId);
      return after;
    });
  }

  async setPreferences(
    agencyId: string,
    userId: string,
    preferences: NotificationPreferencesRequest,
  ): Promise<ContactSettings> {
    return this.unitOfWork.run(async ({ client }) => {
      const before = await this.get(agencyId, userId, client);
      await this.repository.setPreferences(agencyId, userId, preferences, client);
      const after = await this.get(agencyId, userId, client);
      describeChange({ before, after }, userId);
      return after;
    });
  }
}
