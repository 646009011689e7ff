import { createPublicKey, randomBytes } from 'node:crypto';
import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import {
  AuditActions,
  type AuditEntry,
  type ContactSettings,
  type CreatedWebhook,
  type TelegramLink,
  type WebhookList,
} from '@gad/contracts';
import {
  createTestDatabase,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Client } from 'pg';
import { DispatchTestApp, type Caller } from './dispatch-test-app';

/**
 * Notification set-up through the api-gateway edge to the built notification-service: contact
 * channels and preferences under `/v1/me` and (admins) `/v1/users/{id}`, and
 * `/v1/agency/webhooks` through the api-gateway edge to the built notification-service: admin only,
 * the secret answered once and stored encrypted, non-public and non-https targets refused with a
 * stable code, every agency seeing only its own webhooks.
 */
describe('notification set-up over REST', () => {
  let t: DispatchTestApp;
  let notifyDb: TestDatabase;
  let notifyPg: Client;
  let notify: ServiceProcess;
  let admin: Caller;
  let otherAdmin: Caller;
  let dispatcher: Caller;

  beforeAll(async () => {
    t = await DispatchTestApp.start();
    notifyDb = await createTestDatabase();
    notify = await startServiceProcess({
      app: 'notification-service',
      env: {
        DATABASE_URL: notifyDb.url,
        REDIS_URL: t.config.REDIS_URL,
        REDIS_KEY_PREFIX: t.config.REDIS_KEY_PREFIX,
        JWT_PUBLIC_KEY: createPublicKey(t.config.JWT_PRIVATE_KEY)
          .export({ type: 'spki', format: 'pem' })
          .toString(),
        JWT_ISSUER: t.config.JWT_ISSUER,
        JWT_AUDIENCE: t.config.JWT_AUDIENCE,
        NOTIFY_SECRETS_KEY: randomBytes(32).toString('base64'),
        NOTIFY_SECRETS_KEY_ID: 'k7',
        TELEGRAM_BOT_USERNAME: 'gad_test_bot',
      },
      readyTimeoutMs: 60_000,
    });
    notifyPg = new Client({ connectionString: notifyDb.url });
    await notifyPg.connect();
    admin = await t.caller('agency-w', 'admin-1', ['admin']);
    otherAdmin = await t.caller('agency-x', 'admin-2', ['admin']);
    dispatcher = await t.caller('agency-w', '0190aaaa-0000-7000-8000-0000000000d1', ['dispatcher']);
  }, 120_000);

  afterAll(async () => {
    await notify?.stop();
    await notifyPg?.end();
    await t?.close();
    await notifyDb?.drop();
  }, 60_000);

  it('creates a webhook, shows its secret once, lists and deletes it within the agency', async () => {
    const created = await t.send<CreatedWebhook>(admin, 'POST', '/v1/agency/webhooks', {
      url: 'https://93.184.215.14/gad/hooks',
      description: 'CAD bridge',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'https://93.184.215.14/gad/hooks',
      description: 'CAD bridge',
      active: true,
    });
    expect(created.body.secret).toMatch(/^whsec_/);

    const listed = await t.send<WebhookList>(admin, 'GET', '/v1/agency/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((w) => w.id)).toEqual([created.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect(
      (await t.send<WebhookList>(otherAdmin, 'GET', '/v1/agency/webhooks')).body.items,
    ).toEqual([]);

    const { rows } = await notifyPg.query<{ secret: string | null; sealed: string; key: string }>(
      `SELECT secret, secret_ciphertext AS sealed, secret_key_id AS key FROM notify.webhooks`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret).toBeNull();
    expect(rows[0]?.key).toBe('k7');
    expect(rows[0]?.sealed).not.toContain(created.body.secret.slice(6));

    const foreign = await t.send(otherAdmin, 'DELETE', `/v1/agency/webhooks/${created.body.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'webhook_not_found' });
    expect((await t.send(admin, 'DELETE', `/v1/agency/webhooks/${created.body.id}`)).status).toBe(
      204,
    );
    expect((await t.send<WebhookList>(admin, 'GET', '/v1/agency/webhooks')).body.items).toEqual([]);
  }, 30_000);

  it('has notification-service commit the request entry of a forwarded change with it, once', async () => {
    const created = await t.send<CreatedWebhook>(admin, 'POST', '/v1/agency/webhooks', {
      url: 'https://93.184.215.14/gad/audited',
    });
    expect(created.status).toBe(201);
    // Committed in notification-service's transaction (docs/adr/0021), not again by the gateway.
    const served = await notifyPg.query<{ entry: AuditEntry }>(
      `SELECT envelope AS entry FROM notify.outbox
        WHERE stream = $1 AND envelope->'object'->>'id' = $2`,
      [AUDIT_OUTBOX_STREAM, created.body.id],
    );
    expect(served.rows).toHaveLength(1);
    const entry = served.rows[0]?.entry;
    expect(entry).toMatchObject({
      service: 'api-gateway',
      agencyId: 'agency-w',
      actor: { kind: 'user', id: 'admin-1' },
      action: AuditActions.Created,
      outcome: 'success',
      object: { type: 'webhook', id: created.body.id },
      changes: { after: { id: created.body.id, url: 'https://93.184.215.14/gad/audited' } },
    });
    expect(JSON.stringify(entry)).not.toContain(created.body.secret);
    const atGateway = await t.pg.query(
      `SELECT 1 FROM dispatch.outbox WHERE stream = $1 AND envelope->>'id' = $2`,
      [AUDIT_OUTBOX_STREAM, entry?.id],
    );
    expect(atGateway.rows).toHaveLength(0);

    // A change the service refuses: no success entry there; the gateway records the refusal.
    const refused = await t.send(admin, 'POST', '/v1/agency/webhooks', {
      url: 'https://10.0.0.9/audited',
    });
    expect(refused.status).toBe(422);
    const failed = await t.pg.query<{ entry: AuditEntry }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->>'outcome' = 'failed'
          AND envelope->>'reason' LIKE '%invalid_webhook_target%'
          AND envelope->'actor'->>'id' = 'admin-1'`,
      [AUDIT_OUTBOX_STREAM],
    );
    expect(failed.rows.length).toBeGreaterThan(0);
    const failedIds = failed.rows.map((row) => row.entry.id);
    const leaked = await notifyPg.query(
      `SELECT 1 FROM notify.outbox WHERE stream = $1 AND envelope->>'id' = ANY($2::text[])`,
      [AUDIT_OUTBOX_STREAM, failedIds],
    );
    expect(leaked.rows).toHaveLength(0);
  }, 30_000);

  it.each([
    ['https://127.0.0.1/hook', 'invalid_webhook_target'],
    ['https://[::1]/hook', 'invalid_webhook_target'],
    ['https://10.0.0.8/hook', 'invalid_webhook_target'],
    ['https://169.254.169.254/latest/meta-data', 'invalid_webhook_target'],
    ['https://localhost/hook', 'invalid_webhook_target'],
    ['http://93.184.215.14/hook', 'validation_failed'],
  ])('refuses %s with 422 %s and stores nothing', async (url, code) => {
    const reply = await t.send(admin, 'POST', '/v1/agency/webhooks', { url });
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ code });
    const { rows } = await notifyPg.query(`SELECT 1 FROM notify.webhooks WHERE url = $1`, [url]);
    expect(rows).toHaveLength(0);
  });

  it('lets only admins manage webhooks', async () => {
    const reply = await t.send(dispatcher, 'POST', '/v1/agency/webhooks', {
      url: 'https://93.184.215.14/hook',
    });
    expect(reply.status).toBe(403);
    expect((await t.send(dispatcher, 'GET', '/v1/agency/webhooks')).status).toBe(403);
  });

  it('lets a user set their own preferences and get a Telegram link code', async () => {
    const before = await t.send<ContactSettings>(dispatcher, 'GET', '/v1/me/contacts');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      telegram: { linked: false },
      email: { address: null, pending: null },
      channels: ['in_app'],
      quietHours: null,
    });

    const quietHours = { start: '22:00', end: '07:00', timeZone: 'Europe/Madrid' };
    const set = await t.send<ContactSettings>(
      dispatcher,
      'PUT',
      '/v1/me/notification-preferences',
      {
        channels: ['in_app', 'telegram'],
        quietHours,
      },
    );
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ channels: ['in_app', 'telegram'], quietHours });
    const refused = await t.send(dispatcher, 'PUT', '/v1/me/notification-preferences', {
      channels: ['telegram'],
    });
    expect(refused.status).toBe(422);
    expect(
      (await t.send<ContactSettings>(dispatcher, 'GET', '/v1/me/contacts')).body.channels,
    ).toEqual(['in_app', 'telegram']);

    const link = await t.send<TelegramLink>(dispatcher, 'POST', '/v1/me/contacts/telegram-link');
    expect(link.status).toBe(201);
    expect(link.body.deepLink).toBe(`https://t.me/gad_test_bot?start=${link.body.code}`);
  });

  it('keeps other users’ contacts to admins of their agency', async () => {
    const unknown = '0190aaaa-0000-7000-8000-00000000ffff';
    const missing = await t.send(admin, 'GET', `/v1/users/${unknown}/contacts`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'user_not_found' });
    expect(
      (await t.send(dispatcher, 'GET', `/v1/users/${dispatcher.claims.sub}/contacts`)).status,
    ).toBe(403);
  });
});
