import { RpcRemoteError } from '@gad/bus';
import {
  NOTIFY_RPC_SERVICE,
  NotifyWebhookRpcPatterns,
  Streams,
  type WebhookList,
} from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { FakeWebhookReceiver } from './fake-outside-services';
import { NotifyHarness } from './notify-test-harness';

/**
 * Agency webhooks set up over notification-service's RPCs (what api-gateway's
 * `/v1/agency/webhooks` calls): secrets sealed at rest and shown once, deliveries signed, and
 * request forgery refused at creation and again at delivery. The https target is a local server
 * with a self-signed certificate the service trusts through WEBHOOK_CA_FILE.
 */
describe('agency webhooks', () => {
  const h = new NotifyHarness();

  beforeAll(async () => {
    await h.setUp();
    await h.startInProcess();
  }, 60_000);

  afterAll(async () => {
    await h.tearDown();
  }, 30_000);

  const call = <T>(pattern: string, payload: Record<string, unknown>): Promise<T> =>
    h.bus.request<T>(
      NOTIFY_RPC_SERVICE,
      pattern,
      { agencyId: h.agencyId, ...payload },
      { agencyId: h.agencyId, timeoutMs: 10_000 },
    );

  const refusal = async (url: string): Promise<string> => {
    try {
      await h.createWebhook(url);
    } catch (error) {
      expect(error).toBeInstanceOf(RpcRemoteError);
      return (error as RpcRemoteError).code;
    }
    throw new Error(`${url} was accepted`);
  };

  /** Deliveries logged for one webhook, once one has an outcome other than `retrying`. */
  const settledDeliveries = (webhookId: string) =>
    waitFor(
      async () => {
        const rows = await h.sql<{ outcome: string; detail: string | null }>(
          `SELECT outcome, detail FROM notify.deliveries
            WHERE channel = 'webhook' AND target = $1 ORDER BY id`,
          [`webhook:${webhookId}`],
        );
        return rows.some((r) => r.outcome !== 'retrying') && rows;
      },
      { description: `a settled delivery to webhook ${webhookId}`, timeoutMs: 15_000 },
    );

  const page = async () => {
    const event = h.assignment({ priority: 'P3', crew: ['officer-w'] });
    await h.publish(Streams.DispatchEvents, event);
    return event;
  };

  it('shows the secret once, keeps only ciphertext, signs deliveries with it', async () => {
    await h.setAllowedWebhookHosts(['127.0.0.1']);
    const created = await h.createWebhook(`${h.webhook.url}/hooks/gad`);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    h.webhook.secret = created.secret;

    const list = await call<WebhookList>(NotifyWebhookRpcPatterns.List, {});
    expect(list.items).toEqual([
      expect.objectContaining({ id: created.id, url: `${h.webhook.url}/hooks/gad`, active: true }),
    ]);
    expect(JSON.stringify(list)).not.toContain(created.secret);

    const [row] = await h.sql<{
      secret: string | null;
      secret_ciphertext: string;
      secret_key_id: string;
    }>(
      `SELECT secret, secret_ciphertext, secret_key_id FROM notify.webhooks WHERE webhook_id = $1`,
      [created.id],
    );
    expect(row?.secret).toBeNull();
    expect(row?.secret_key_id).toBe('k1');
    expect(row?.secret_ciphertext).not.toContain(created.secret);
    expect(row?.secret_ciphertext.split('.')).toHaveLength(3);

    const event = await page();
    const deliveries = await settledDeliveries(created.id);
    expect(deliveries.map((d) => d.outcome)).toEqual(['sent']);
    const [received] = h.webhook.calls;
    expect(received?.signatureValid).toBe(true);
    expect(JSON.parse(received?.body ?? '{}')).toMatchObject({
      data: { assignmentId: event.data.assignmentId },
    });

    await call(NotifyWebhookRpcPatterns.Delete, { webhookId: created.id });
    expect((await call<WebhookList>(NotifyWebhookRpcPatterns.List, {})).items).toEqual([]);
    await expect(
      call(NotifyWebhookRpcPatterns.Delete, { webhookId: created.id }),
    ).rejects.toMatchObject({ code: 'webhook_not_found' });
    await h.setAllowedWebhookHosts([]);
  }, 30_000);

  it.each([
    ['https://127.0.0.1/hook'],
    ['https://[::1]/hook'],
    ['https://10.1.2.3/hook'],
    ['https://172.16.0.1/hook'],
    ['https://192.168.1.10/hook'],
    ['https://169.254.169.254/latest/meta-data'],
    ['https://[fe80::1]/hook'],
    ['https://100.64.0.1/hook'],
    ['https://[fd00::1]/hook'],
    ['https://[::ffff:127.0.0.1]/hook'],
    ['https://0.0.0.0/hook'],
    ['https://localhost/hook'],
  ])('refuses %s at creation without the allow-list', async (url) => {
    expect(await refusal(url)).toBe('invalid_webhook_target');
  });

  it('refuses http targets at creation, even allow-listed', async () => {
    await h.setAllowedWebhookHosts(['127.0.0.1']);
    expect(await refusal('http://127.0.0.1/hook')).toBe('validation_failed');
    await h.setAllowedWebhookHosts([]);
    expect((await call<WebhookList>(NotifyWebhookRpcPatterns.List, {})).items).toEqual([]);
  });

  it('refuses a target at delivery once its host is no longer allow-listed', async () => {
    await h.setAllowedWebhookHosts(['127.0.0.1']);
    const created = await h.createWebhook(h.webhook.url);
    await h.setAllowedWebhookHosts([]);
    const callsBefore = h.webhook.calls.length;

    await page();
    const deliveries = await settledDeliveries(created.id);
    expect(deliveries.map((d) => d.outcome)).toEqual(['failed']);
    expect(deliveries[0]?.detail).toContain('webhook target refused');
    expect(deliveries[0]?.detail).toContain('127.0.0.1');
    expect(h.webhook.calls.length).toBe(callsBefore);
    await call(NotifyWebhookRpcPatterns.Delete, { webhookId: created.id });
  }, 30_000);

  it('does not follow a redirect to a private address', async () => {
    const target = new FakeWebhookReceiver('unused', h.certificate);
    await target.start();
    const privateHop = new FakeWebhookReceiver('unused', h.certificate);
    await privateHop.start();
    try {
      target.status = 302;
      target.location = `${privateHop.url}/internal`;
      await h.setAllowedWebhookHosts(['127.0.0.1']);
      const created = await h.createWebhook(target.url);

      await page();
      const deliveries = await settledDeliveries(created.id);
      expect(deliveries.map((d) => d.outcome)).toEqual(['failed']);
      expect(deliveries[0]?.detail).toContain('302');
      expect(target.calls).toHaveLength(1);
      expect(privateHop.calls).toHaveLength(0);
      await call(NotifyWebhookRpcPatterns.Delete, { webhookId: created.id });
    } finally {
      await h.setAllowedWebhookHosts([]);
      await target.stop();
      await privateHop.stop();
    }
  }, 30_000);
});
