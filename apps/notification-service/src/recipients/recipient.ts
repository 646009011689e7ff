import type { NotificationChannel } from '@gad/contracts';
import type { Locale } from '../templates/templates';

/** What notification-service knows about one user. */
export interface Recipient {
  agencyId: string;
  userId: string;
  roles: string[];
  locale: Locale;
  onDuty: boolean;
  unitId?: string;
  telegramChatId?: string;
  email?: string;
  channels: NotificationChannel[];
  quietHours?: { start: string; end: string; timeZone: string };
  loggedOut: boolean;
  /** False for a disabled account (never paged). */
  accountActive: boolean;
}

/** A crew member nobody told us about: Spanish, on duty, in-app only. */
export function defaultRecipient(agencyId: string, userId: string): Recipient {
  return {
    agencyId,
    userId,
    roles: [],
    locale: 'es',
    onDuty: true,
    channels: ['in_app'],
    loggedOut: false,
    accountActive: true,
  };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Local wall-clock minutes since midnight of `at` in `timeZone` (UTC when the zone is unknown). */
export function localMinutes(at: Date, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(at);
  } catch {
    return at.getUTCHours() * 60 + at.getUTCMinutes();
  }
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/** True when `at` falls in the recipient's quiet hours (`start` > `end` spans midnight). */
export function inQuietHours(recipient: Pick<Recipient, 'quietHours'>, at: Date): boolean {
  const quiet = recipient.quietHours;
  if (!quiet) {
    return false;
  }
  const now = localMinutes(at, quiet.timeZone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) {
    return false;
  }
  return start < end ? now >= start && now < end : now >= start || now < end;
}

export type OutsideChannel = Exclude<NotificationChannel, 'in_app' | 'webhook'>;

/** Outside channels a user can be reached on (linked), in a stable order. */
export function linkedChannels(recipient: Recipient): OutsideChannel[] {
  const linked: OutsideChannel[] = [];
  if (recipient.telegramChatId) {
    linked.push('telegram');
  }
  if (recipient.email) {
    linked.push('email');
  }
  return linked;
}

/**
 * Outside channels for one message to a user: the channels they chose (and linked); a critical
 * message ignores quiet hours, a non-critical one sent in quiet hours goes nowhere outside.
 */
export function outsideChannelsFor(
  recipient: Recipient,
  critical: boolean,
  at: Date,
): { channels: OutsideChannel[]; suppressed: boolean } {
  const chosen = linkedChannels(recipient).filter((c) => recipient.channels.includes(c));
  if (!critical && inQuietHours(recipient, at)) {
    return { channels: [], suppressed: chosen.length > 0 || recipient.channels.length > 0 };
  }
  return { channels: chosen, suppressed: false };
}
