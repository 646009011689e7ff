import { defaultRecipient, inQuietHours, outsideChannelsFor, type Recipient } from './recipient';

const at = (iso: string) => new Date(iso);

describe('quiet hours and channels', () => {
  const base: Recipient = {
    ...defaultRecipient('agency-1', 'user-1'),
    telegramChatId: '42',
    email: 'user@agency.test',
    channels: ['in_app', 'telegram', 'email'],
  };

  it('applies a window within one day in the recipient time zone', () => {
    const sut = { quietHours: { start: '13:00', end: '15:00', timeZone: 'Europe/Madrid' } };
    // 12:30 UTC is 13:30 in Madrid (CET, UTC+1 in November).
    expect(inQuietHours(sut, at('2026-11-22T12:30:00Z'))).toBe(true);
    expect(inQuietHours(sut, at('2026-11-22T14:00:00Z'))).toBe(false);
  });

  it('applies a window spanning midnight', () => {
    const sut = { quietHours: { start: '22:00', end: '07:00', timeZone: 'UTC' } };
    expect(inQuietHours(sut, at('2026-11-22T23:30:00Z'))).toBe(true);
    expect(inQuietHours(sut, at('2026-11-22T06:59:00Z'))).toBe(true);
    expect(inQuietHours(sut, at('2026-11-22T07:00:00Z'))).toBe(false);
    expect(inQuietHours(sut, at('2026-11-22T12:00:00Z'))).toBe(false);
  });

  it('has no quiet hours without a window or with an empty one', () => {
    expect(inQuietHours({}, at('2026-11-22T03:00:00Z'))).toBe(false);
    expect(
      inQuietHours(
        { quietHours: { start: '05:00', end: '05:00', timeZone: 'UTC' } },
        at('2026-11-22T05:00:00Z'),
      ),
    ).toBe(false);
  });

  it('suppresses outside channels of a notice in quiet hours but not of a critical command', () => {
    const sut: Recipient = {
      ...base,
      quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' },
    };
    const now = at('2026-11-22T12:00:00Z');
    expect(outsideChannelsFor(sut, false, now)).toEqual({ channels: [], suppressed: true });
    expect(outsideChannelsFor(sut, true, now)).toEqual({
      channels: ['telegram', 'email'],
      suppressed: false,
    });
  });

  it('uses only channels the user chose and linked', () => {
    const sut: Recipient = { ...base, channels: ['in_app', 'email'], email: undefined };
    expect(outsideChannelsFor(sut, true, at('2026-11-22T12:00:00Z')).channels).toEqual([]);
    expect(
      outsideChannelsFor(
        { ...base, channels: ['in_app', 'telegram'] },
        false,
        at('2026-11-22T12:00:00Z'),
      ).channels,
    ).toEqual(['telegram']);
  });
});
