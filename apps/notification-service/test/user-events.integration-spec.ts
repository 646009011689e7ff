import { EventTypes, Streams, createEnvelope, type UserChangedV1 } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { NotifyHarness } from './notify-test-harness';

interface RecipientRow {
  roles: string[];
  locale: string;
  account_active: boolean;
  telegram_chat_id: string | null;
}

/**
 * Recipients follow users from `user.changed` (api-gateway's outbox), with no internal RPC: roles and
 * locale as of the newest change, a disabled account never paged, a deleted user forgotten.
 */
describe('recipients follow users', () => {
  const h = new NotifyHarness();

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
  }, 60_000);

  afterAll(async () => {
    await h.tearDown();
  }, 30_000);

  const changed = async (data: UserChangedV1) => {
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserChanged,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'admin-1', roles: ['admin'] },
        data,
      }),
    );
  };
  const recipient = async (userId: string) =>
    (
      await h.sql<RecipientRow>(
        `SELECT roles, locale, account_active, telegram_chat_id FROM notify.recipients
          WHERE agency_id = $1 AND user_id = $2`,
        [h.agencyId, userId],
      )
    )[0];
  const at = (second: number) => new Date(Date.UTC(2026, 11, 6, 20, 0, second)).toISOString();

  it('keeps roles and locale of the newest change, and ignores an older one', async () => {
    await changed({
      userId: 'sup-1',
      roles: ['supervisor'],
      locale: 'en',
      status: 'active',
      changedAt: at(10),
    });
    await waitFor(async () => (await recipient('sup-1'))?.locale === 'en', {
      description: 'the recipient created from user.changed',
    });
    await changed({
      userId: 'sup-1',
      roles: ['dispatcher'],
      locale: 'es',
      status: 'active',
      changedAt: at(5),
    });
    await changed({
      userId: 'sup-1',
      roles: ['supervisor', 'dispatcher'],
      locale: 'en',
      status: 'active',
      changedAt: at(20),
    });
    const row = await waitFor(
      async () => {
        const found = await recipient('sup-1');
        return found?.roles.length === 2 && found;
      },
      { description: 'the newest change applied' },
    );
    expect(row).toMatchObject({ roles: ['supervisor', 'dispatcher'], locale: 'en' });
  });

  it('keeps contact channels across changes, disables and forgets', async () => {
    await changed({
      userId: 'sup-2',
      roles: ['supervisor'],
      locale: 'es',
      status: 'active',
      changedAt: at(1),
    });
    await waitFor(async () => (await recipient('sup-2')) !== undefined, {
      description: 'sup-2 followed',
    });
    await h.sql(
      `UPDATE notify.recipients SET telegram_chat_id = '777' WHERE agency_id = $1 AND user_id = 'sup-2'`,
      [h.agencyId],
    );
    await changed({
      userId: 'sup-2',
      roles: ['supervisor'],
      locale: 'es',
      status: 'disabled',
      changedAt: at(2),
    });
    const disabled = await waitFor(
      async () => {
        const found = await recipient('sup-2');
        return found?.account_active === false && found;
      },
      { description: 'sup-2 disabled' },
    );
    expect(disabled.telegram_chat_id).toBe('777');
    const bySupervisorRole = await h.sql<{ user_id: string }>(
      `SELECT user_id FROM notify.recipients WHERE agency_id = $1 AND roles && '{supervisor}' AND account_active`,
      [h.agencyId],
    );
    expect(bySupervisorRole.map((r) => r.user_id)).not.toContain('sup-2');

    await changed({
      userId: 'sup-2',
      roles: ['supervisor'],
      locale: 'es',
      status: 'deleted',
      changedAt: at(3),
    });
    await waitFor(async () => (await recipient('sup-2')) === undefined, {
      description: 'sup-2 forgotten',
    });
  });
});
