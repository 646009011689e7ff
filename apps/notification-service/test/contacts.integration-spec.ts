import { RpcRemoteError } from '@gad/bus';
import {
  EventTypes,
  NOTIFY_RPC_SERVICE,
  NotifyContactRpcPatterns,
  Streams,
  createEnvelope,
  uuidv7,
  type ContactSettings,
  type IncidentCreatedV1,
  type TelegramLink,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { NotifyHarness } from './notify-test-harness';

/** A quiet-hours window around the current UTC time. */
function quietNow(): { start: string; end: string; timeZone: string } {
  const hhmm = (date: Date) =>
    `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return {
    start: hhmm(new Date(Date.now() - 3_600_000)),
    end: hhmm(new Date(Date.now() + 3_600_000)),
    timeZone: 'UTC',
  };
}

/**
 * Contact channels set up over notification-service's RPCs (what api-gateway's `/v1/me/...` and
 * `/v1/users/{id}/...` call), with users known only from `user.changed` (no internal upsert RPC):
 * the Telegram chat link through the fake Bot API's `getUpdates`, e-mail verification through the
 * fake SMTP server, preferences and quiet hours, and a supervisor paged when a command escalates.
 */
describe('contact channels', () => {
  const h = new NotifyHarness();

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
  }, 60_000);

  afterAll(async () => {
    await h.tearDown();
  }, 30_000);

  const call = <T>(pattern: string, userId: string, extra: Record<string, unknown> = {}) =>
    h.bus.request<T>(
      NOTIFY_RPC_SERVICE,
      pattern,
      { agencyId: h.agencyId, userId, ...extra },
      { agencyId: h.agencyId, timeoutMs: 10_000 },
    );
  const userChanged = (userId: string, roles: string[], locale: 'es' | 'en' = 'en') =>
    h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserChanged,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'admin-1', roles: ['admin'] },
        data: { userId, roles, locale, status: 'active', changedAt: new Date().toISOString() },
      }),
    );
  const followed = (userId: string) =>
    waitFor(
      async () =>
        (
          await h.sql(`SELECT 1 FROM notify.recipients WHERE agency_id = $1 AND user_id = $2`, [
            h.agencyId,
            userId,
          ])
        ).length === 1,
      { description: `${userId} followed from user.changed` },
    );
  const mailsTo = (address: string) => h.smtp.messages.filter((m) => m.to.includes(address));
  const codeIn = (raw: string): string => /code: (\d{6})/.exec(raw)?.[1] ?? '';
  const linkTelegram = async (userId: string, chatId: string) => {
    const link = await call<TelegramLink>(NotifyContactRpcPatterns.TelegramLink, userId);
    h.telegram.pushUpdate(chatId, `/start ${link.code}`);
    await waitFor(
      async () =>
        (await call<ContactSettings>(NotifyContactRpcPatterns.Get, userId)).telegram.linked,
      { description: `${userId}'s Telegram chat linked` },
    );
    return link;
  };

  it('links a Telegram chat from /start <code>, once', async () => {
    await userChanged('sup-t', ['supervisor']);
    await followed('sup-t');
    const link = await linkTelegram('sup-t', '5005');
    expect(link.deepLink).toBe(`https://t.me/gad_test_bot?start=${link.code}`);
    const [row] = await h.sql<{ telegram_chat_id: string }>(
      `SELECT telegram_chat_id FROM notify.recipients WHERE agency_id = $1 AND user_id = 'sup-t'`,
      [h.agencyId],
    );
    expect(row?.telegram_chat_id).toBe('5005');
    await waitFor(() => h.telegram.sentTo('5005').find((c) => c.text.includes('linked')), {
      description: 'the link confirmed in the chat',
    });

    // The code is spent: another chat sending it links nothing.
    h.telegram.pushUpdate('6006', `/start ${link.code}`);
    await waitFor(() => h.telegram.sentTo('6006').find((c) => c.text.includes('unknown')), {
      description: 'the spent code refused in the other chat',
    });
    const [after] = await h.sql<{ telegram_chat_id: string }>(
      `SELECT telegram_chat_id FROM notify.recipients WHERE agency_id = $1 AND user_id = 'sup-t'`,
      [h.agencyId],
    );
    expect(after?.telegram_chat_id).toBe('5005');
  });

  it('verifies an e-mail address by code; a wrong code changes nothing', async () => {
    const pending = await call<ContactSettings>(NotifyContactRpcPatterns.EmailStart, 'sup-t', {
      email: 'Sup-T@Agency.test',
    });
    expect(pending.email).toEqual({ address: null, pending: 'sup-t@agency.test' });
    const mail = await waitFor(() => mailsTo('sup-t@agency.test')[0], {
      description: 'the verification e-mail',
    });
    const code = codeIn(mail.raw);
    expect(code).toMatch(/^\d{6}$/);

    const wrong = code === '000000' ? '111111' : '000000';
    await expect(
      call(NotifyContactRpcPatterns.EmailVerify, 'sup-t', { code: wrong }),
    ).rejects.toMatchObject({ code: 'invalid_verification_code' });
    expect(
      (await call<ContactSettings>(NotifyContactRpcPatterns.Get, 'sup-t')).email.address,
    ).toBeNull();

    const verified = await call<ContactSettings>(NotifyContactRpcPatterns.EmailVerify, 'sup-t', {
      code,
    });
    expect(verified.email).toEqual({ address: 'sup-t@agency.test', pending: null });
    await expect(
      call(NotifyContactRpcPatterns.EmailVerify, 'sup-t', { code }),
    ).rejects.toBeInstanceOf(RpcRemoteError);
  });

  it('pages a supervisor known only from user.changed when a command escalates, on Telegram and the verified e-mail only', async () => {
    await call(NotifyContactRpcPatterns.Preferences, 'sup-t', {
      preferences: { channels: ['in_app', 'telegram', 'email'] },
    });
    // A second supervisor whose address was never verified.
    await userChanged('sup-u', ['supervisor']);
    await followed('sup-u');
    await call(NotifyContactRpcPatterns.Preferences, 'sup-u', {
      preferences: { channels: ['in_app', 'email'] },
    });
    await call(NotifyContactRpcPatterns.EmailStart, 'sup-u', { email: 'sup-u@agency.test' });
    await waitFor(() => mailsTo('sup-u@agency.test')[0], { description: 'sup-u code mailed' });

    const event = h.assignment({ priority: 'P1', crew: ['officer-z'] });
    await h.publish(Streams.DispatchEvents, event);
    await waitFor(
      () => h.telegram.sentTo('5005').find((c) => c.text.includes('Not accepted: Alfa 12')),
      { description: 'the supervisor alerted on Telegram', timeoutMs: 20_000 },
    );
    await waitFor(() => mailsTo('sup-t@agency.test').length >= 2, {
      description: 'the supervisor alerted by e-mail',
      timeoutMs: 20_000,
    });
    // The alert went out on every channel that will carry it; the unverified address got only its code.
    const logged = await waitFor(
      async () => {
        const rows = await h.sql<{ target: string }>(
          `SELECT target FROM notify.deliveries WHERE agency_id = $1 AND channel = 'email'`,
          [h.agencyId],
        );
        return rows.length > 0 && rows;
      },
      { description: 'e-mail deliveries logged' },
    );
    expect(logged.map((r) => r.target)).not.toContain('sup-u@agency.test');
    expect(mailsTo('sup-u@agency.test')).toHaveLength(1);
  }, 40_000);

  it('respects quiet hours set as a preference for a notice', async () => {
    await call(NotifyContactRpcPatterns.Preferences, 'sup-t', {
      preferences: { quietHours: quietNow() },
    });
    expect((await call<ContactSettings>(NotifyContactRpcPatterns.Get, 'sup-t')).quietHours).toEqual(
      quietNow(),
    );
    const telegramBefore = h.telegram.sentTo('5005').length;
    const incident = createEnvelope<IncidentCreatedV1>({
      type: EventTypes.IncidentCreated,
      agencyId: h.agencyId,
      actor: { kind: 'user', id: 'dispatcher-1' },
      data: {
        incidentId: uuidv7(),
        type: 'traffic_accident',
        priority: 'P3',
        status: 'new',
        location: { type: 'Point', coordinates: [-3.7, 40.41] },
        createdAt: new Date().toISOString(),
      },
    });
    await h.publish(Streams.DispatchEvents, incident);
    const suppressed = await waitFor(
      async () => {
        const rows = await h.sql<{ outcome: string }>(
          `SELECT outcome FROM notify.deliveries WHERE notice_id IS NOT NULL AND target = 'user:sup-t'`,
        );
        return rows.length > 0 && rows;
      },
      { description: 'the suppressed notice recorded' },
    );
    expect(suppressed.map((r) => r.outcome)).toEqual(['suppressed']);
    expect(h.telegram.sentTo('5005')).toHaveLength(telegramBefore);
  });
});
