import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import {
  EventTypes,
  NOTIFY_RPC_SERVICE,
  NotifyAllCallPatterns,
  NotifyContactRpcPatterns,
  NotifyWebhookRpcPatterns,
  Streams,
  createEnvelope,
  uuidv7,
  type AllCall,
  type AuditEntry,
  type ContactSettings,
  type CreatedWebhook,
  type RpcAudit,
  type TelegramLink,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { NotifyHarness } from './notify-test-harness';

/**
 * Notification setup changes api-gateway forwards over RPC (contacts, preferences, Telegram links,
 * webhooks, all-calls) carry the request's audit entry (envelope `audit`): notification-service
 * commits it in `notify.outbox` in the transaction of the change, with before and after images,
 * and its reply says so (docs/adr/0021). Deferred constraint triggers refuse to commit any of these
 * changes without a `queue:audit` row of the same transaction.
 */
describe('notification setup changes forwarded with their audit entry', () => {
  const h = new NotifyHarness();
  const userId = 'sup-audit';

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
    await h.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserChanged,
        agencyId: h.agencyId,
        actor: { kind: 'user', id: 'admin-1', roles: ['admin'] },
        data: {
          userId,
          roles: ['supervisor'],
          locale: 'en',
          status: 'active',
          changedAt: new Date().toISOString(),
        },
      }),
    );
    await waitFor(
      async () =>
        (
          await h.sql(`SELECT 1 FROM notify.recipients WHERE agency_id = $1 AND user_id = $2`, [
            h.agencyId,
            userId,
          ])
        ).length === 1,
      { description: 'the user followed from user.changed' },
    );
    const contactColumns = ['email', 'channels', 'quiet_start', 'quiet_end', 'quiet_time_zone']
      .map((column) => `OLD.${column} IS DISTINCT FROM NEW.${column}`)
      .join(' OR ');
    await h.requireAuditOn([
      ['audited_contacts', 'UPDATE', 'recipients', contactColumns],
      ['audited_new_code', 'INSERT', 'contact_verifications', 'true'],
      [
        'audited_code',
        'UPDATE',
        'contact_verifications',
        'OLD.code_hash IS DISTINCT FROM NEW.code_hash',
      ],
      ['audited_webhook_insert', 'INSERT', 'webhooks', 'true'],
      ['audited_webhook_delete', 'DELETE', 'webhooks', 'true'],
    ]);
  }, 60_000);

  afterAll(async () => {
    await h.tearDown();
  }, 30_000);

  const recorded: string[] = [];

  /** The entry api-gateway's audit interceptor forwards for a change request. */
  function forwarded(action: string, objectType: string, objectId?: string): RpcAudit {
    return {
      entry: {
        id: uuidv7(),
        occurredAt: new Date().toISOString(),
        agencyId: h.agencyId,
        actor: { kind: 'user', id: userId, roles: ['supervisor'] },
        service: 'api-gateway',
        action,
        object: { type: objectType, ...(objectId ? { id: objectId } : {}) },
        outcome: 'success',
        source: { ip: '203.0.113.9' },
        details: { method: 'PUT' },
      },
      captureResult: true,
      idParam: 'id',
    };
  }

  function call<T>(pattern: string, data: Record<string, unknown>, audit: RpcAudit): Promise<T> {
    return h.bus.request<T>(
      NOTIFY_RPC_SERVICE,
      pattern,
      { agencyId: h.agencyId, ...data },
      {
        agencyId: h.agencyId,
        actor: audit.entry.actor,
        audit,
        onAuditRecorded: (id) => recorded.push(id),
        timeoutMs: 10_000,
      },
    );
  }

  async function stored(id: string): Promise<AuditEntry[]> {
    return (
      await h.sql<{ envelope: AuditEntry }>(
        `SELECT envelope FROM notify.outbox WHERE stream = $1 AND envelope->>'id' = $2`,
        [AUDIT_OUTBOX_STREAM, id],
      )
    ).map((row) => row.envelope);
  }

  it('commits preferences with their entry, before and after', async () => {
    const audit = forwarded('contact.preferences', 'user', userId);
    await call<ContactSettings>(
      NotifyContactRpcPatterns.Preferences,
      { userId, preferences: { channels: ['in_app', 'telegram'] } },
      audit,
    );
    expect(recorded).toContain(audit.entry.id);
    const [entry] = await stored(audit.entry.id);
    expect(entry).toMatchObject({
      service: 'api-gateway',
      actor: { id: userId },
      object: { type: 'user', id: userId },
      changes: {
        before: { channels: ['in_app'] },
        after: { channels: ['in_app', 'telegram'] },
      },
    });
  });

  it('commits a Telegram link code with an entry that does not hold the code', async () => {
    const audit = forwarded('contact.telegram_link', 'user', userId);
    const link = await call<TelegramLink>(NotifyContactRpcPatterns.TelegramLink, { userId }, audit);
    expect(recorded).toContain(audit.entry.id);
    const [entry] = await stored(audit.entry.id);
    expect(entry?.changes?.after).toEqual({ telegramLinkExpiresAt: link.expiresAt });
    expect(JSON.stringify(entry)).not.toContain(link.code);
  });

  it('commits an e-mail verification; a wrong code is refused and leaves no success entry', async () => {
    const start = forwarded('contact.email_start', 'user', userId);
    const pending = await call<ContactSettings>(
      NotifyContactRpcPatterns.EmailStart,
      { userId, email: 'sup-audit@agency.test' },
      start,
    );
    expect(pending.email.pending).toBe('sup-audit@agency.test');
    expect((await stored(start.entry.id))[0]?.changes).toMatchObject({
      before: { pending: null },
      after: { pending: 'sup-audit@agency.test' },
    });
    const mail = await waitFor(
      () => h.smtp.messages.find((m) => m.to.includes('sup-audit@agency.test')),
      { description: 'the verification e-mail' },
    );
    const code = /code: (\d{6})/.exec(mail.raw)?.[1] ?? '';

    const wrong = forwarded('contact.email_verify', 'user', userId);
    await expect(
      call(
        NotifyContactRpcPatterns.EmailVerify,
        { userId, code: code === '000000' ? '111111' : '000000' },
        wrong,
      ),
    ).rejects.toMatchObject({ code: 'invalid_verification_code' });
    expect(recorded).not.toContain(wrong.entry.id);
    expect(await stored(wrong.entry.id)).toEqual([]);

    const verify = forwarded('contact.email_verify', 'user', userId);
    await call(NotifyContactRpcPatterns.EmailVerify, { userId, code }, verify);
    expect(recorded).toContain(verify.entry.id);
    expect((await stored(verify.entry.id))[0]?.changes).toMatchObject({
      before: { address: null },
      after: { address: 'sup-audit@agency.test', pending: null },
    });
  });

  it('commits a webhook and its deletion with their entries; the secret is in no entry', async () => {
    await h.setAllowedWebhookHosts([new URL(h.webhook.url).hostname]);
    const create = forwarded('webhook.create', 'webhook');
    const webhook = await call<CreatedWebhook>(
      NotifyWebhookRpcPatterns.Create,
      { url: h.webhook.url },
      create,
    );
    expect(recorded).toContain(create.entry.id);
    const [created] = await stored(create.entry.id);
    expect(created).toMatchObject({
      object: { type: 'webhook', id: webhook.id },
      changes: { after: { id: webhook.id, url: h.webhook.url } },
    });
    expect(JSON.stringify(created)).not.toContain(webhook.secret);

    const remove = forwarded('webhook.delete', 'webhook', webhook.id);
    await call(NotifyWebhookRpcPatterns.Delete, { webhookId: webhook.id }, remove);
    expect((await stored(remove.entry.id))[0]?.changes).toMatchObject({
      before: { id: webhook.id, url: h.webhook.url },
    });

    const again = forwarded('webhook.delete', 'webhook', webhook.id);
    await expect(
      call(NotifyWebhookRpcPatterns.Delete, { webhookId: webhook.id }, again),
    ).rejects.toMatchObject({ code: expect.stringMatching(/not_found$/) });
    expect(recorded).not.toContain(again.entry.id);
    expect(await stored(again.entry.id)).toEqual([]);
  });

  it('commits an all-call with the request entry beside its own all_call.issue', async () => {
    const audit = forwarded('all_call.create', 'all_call');
    const allCallId = uuidv7();
    const allCall = await call<AllCall>(
      NotifyAllCallPatterns.Create,
      { allCallId, createdBy: userId, title: 'Muster', message: 'Report to base', priority: 'P3' },
      audit,
    );
    expect(allCall.id).toBe(allCallId);
    expect(recorded).toContain(audit.entry.id);
    const [entry] = await stored(audit.entry.id);
    expect(entry).toMatchObject({ action: 'all_call.create', object: { type: 'all_call' } });
    // Rows of one transaction share its start time (`created_at DEFAULT now()`); xmin is not
    // compared, since the relay rewrites it when it marks a row sent.
    const [together] = await h.sql<{ rows: number; transactions: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT created_at)::int AS transactions
         FROM notify.outbox
        WHERE envelope->>'id' = $1
           OR (envelope->>'action' = 'all_call.issue' AND envelope->'object'->>'id' = $2)`,
      [audit.entry.id, allCallId],
    );
    expect(together).toEqual({ rows: 2, transactions: 1 });
  });
});
