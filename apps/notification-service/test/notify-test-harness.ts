import { AUDIT_OUTBOX_STREAM, auditQueuePrefix } from '@gad/audit';
import { BusClient } from '@gad/bus';
import {
  DEFAULT_AGENCY_SETTINGS,
  EventTypes,
  NOTIFY_RPC_SERVICE,
  NotifyRpcPatterns,
  NotifyWebhookRpcPatterns,
  Streams,
  createEnvelope,
  uuidv7,
  type AssignmentCreatedV1,
  type AuditEntry,
  type CreatedWebhook,
  type CommandAckStage,
  type CommandIssuedV1,
  type Envelope,
  type IncidentNotificationsResponse,
  type IncidentPriority,
  type NotifyRecipientUpsertRequest,
} from '@gad/contracts';
import {
  createTestDatabase,
  freePort,
  queuedAuditEntries,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startNotificationService } from '../src/bootstrap';
import { notificationServiceEnvSchema } from '../src/notification-service.config';
import {
  FakeSmtp,
  FakeTelegram,
  FakeWebhookReceiver,
  selfSignedCertificate,
} from './fake-outside-services';

export const BOT_TOKEN = '123456:TEST-token';
export const WEBHOOK_SECRET = 'webhook-secret-0123456789';
/** NOTIFY_SECRETS_KEY of the tests (32 bytes, base64). */
export const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** Environment giving short ladders and retries so tests run in seconds. */
export function fastEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ESCALATION_P1_DELIVER_MS: '1500',
    ESCALATION_P1_ACCEPT_MS: '4000',
    ESCALATION_P3_ACCEPT_MS: '0',
    DELIVERY_ATTEMPTS: '3',
    DELIVERY_BACKOFF_MS: '100',
    OUTBOX_POLL_MS: '50',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface StreamEntry<T = unknown> {
  entryId: string;
  envelope: Envelope<T>;
}

/** The pieces every notification-service test needs: fakes, a bus client, stream and SQL readers. */
export class NotifyHarness {
  readonly agencyId = `agency-${uuidv7().slice(-12)}`;
  readonly prefix = uniqueRedisPrefix();
  readonly telegram = new FakeTelegram();
  /** The https webhook target's certificate, trusted by the service through WEBHOOK_CA_FILE. */
  readonly certificate = selfSignedCertificate();
  readonly webhook = new FakeWebhookReceiver(WEBHOOK_SECRET, this.certificate);
  readonly smtp = new FakeSmtp();
  db!: TestDatabase;
  bus!: BusClient;
  redis!: Redis;
  pg!: Client;
  app: NestFastifyApplication | undefined;

  async setUp(): Promise<void> {
    await Promise.all([this.telegram.start(), this.webhook.start(), this.smtp.start()]);
    this.db = await createTestDatabase();
    this.bus = new BusClient({
      redis: testStack.redisUrl,
      prefix: this.prefix,
      instanceId: `notify-test-${process.pid}`,
    });
    this.redis = new Redis(testStack.redisUrl);
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
  }

  /** Environment of a notification-service instance wired to this harness. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return fastEnv({
      DATABASE_URL: this.db.url,
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: this.prefix,
      TELEGRAM_API_URL: this.telegram.url,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_BOT_USERNAME: 'gad_test_bot',
      TELEGRAM_POLL_TIMEOUT_S: '0',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(this.smtp.port),
      NOTIFY_SECRETS_KEY: SECRETS_KEY,
      WEBHOOK_CA_FILE: this.certificate.certFile,
      ...extra,
    });
  }

  /** Starts the service in this process. */
  async startInProcess(extra: Record<string, string> = {}): Promise<void> {
    const config = notificationServiceEnvSchema.parse({
      ...this.env(extra),
      PORT: String(await freePort()),
    });
    this.app = await startNotificationService(config, {
      handleSignals: false,
      instanceId: `notify-${process.pid}`,
    });
  }

  async tearDown(): Promise<void> {
    await this.app?.close();
    await this.bus?.close();
    this.redis?.disconnect();
    await this.pg?.end();
    await Promise.all([this.telegram.stop(), this.webhook.stop(), this.smtp.stop()]);
    await this.db?.drop();
  }

  async upsertRecipient(input: Omit<NotifyRecipientUpsertRequest, 'agencyId'>): Promise<void> {
    await this.bus.request(
      NOTIFY_RPC_SERVICE,
      NotifyRpcPatterns.RecipientUpsert,
      {
        agencyId: this.agencyId,
        ...input,
      },
      { agencyId: this.agencyId, timeoutMs: 10_000 },
    );
  }

  private settingsVersion = 0;

  /**
   * The agency's `allowedWebhookHosts` setting (hosts its webhooks may target although not public,
   * such as the local fakes), sent as api-gateway does (`agency.settings_changed`) and waited for.
   */
  async setAllowedWebhookHosts(hosts: string[]): Promise<void> {
    const version = ++this.settingsVersion;
    await this.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.AgencySettingsChanged,
        agencyId: this.agencyId,
        actor: { kind: 'user', id: 'admin-1', roles: ['admin'] },
        data: {
          version,
          settings: { ...DEFAULT_AGENCY_SETTINGS, allowedWebhookHosts: hosts },
          changed: ['allowedWebhookHosts'],
          changedAt: new Date().toISOString(),
        },
      }),
    );
    await waitFor(
      async () =>
        (
          await this.sql<{ version: number }>(
            `SELECT version FROM notify.agency_settings WHERE agency_id = $1`,
            [this.agencyId],
          )
        )[0]?.version === version,
      { description: `agency settings v${version} followed` },
    );
  }

  /** Creates an agency webhook (`notify.webhooks.create`), the answer with its one-time secret. */
  createWebhook(url: string): Promise<CreatedWebhook> {
    return this.bus.request<CreatedWebhook>(
      NOTIFY_RPC_SERVICE,
      NotifyWebhookRpcPatterns.Create,
      { agencyId: this.agencyId, url },
      { agencyId: this.agencyId, timeoutMs: 10_000 },
    );
  }

  /** A webhook to the local https receiver (allow-listed), which now verifies with its secret. */
  async addWebhook(url: string): Promise<string> {
    await this.setAllowedWebhookHosts([new URL(url).hostname]);
    const created = await this.createWebhook(url);
    this.webhook.secret = created.secret;
    return created.id;
  }

  notifications(incidentId: string): Promise<IncidentNotificationsResponse> {
    return this.bus.request<IncidentNotificationsResponse>(
      NOTIFY_RPC_SERVICE,
      NotifyRpcPatterns.IncidentNotifications,
      { agencyId: this.agencyId, incidentId },
      { agencyId: this.agencyId, timeoutMs: 10_000 },
    );
  }

  assignment(
    overrides: Partial<AssignmentCreatedV1> & { crew: string[]; priority: IncidentPriority },
  ): Envelope<AssignmentCreatedV1> {
    return createEnvelope<AssignmentCreatedV1>({
      type: EventTypes.AssignmentCreated,
      agencyId: this.agencyId,
      actor: { kind: 'user', id: 'dispatcher-1', roles: ['dispatcher'] },
      data: {
        assignmentId: uuidv7(),
        incidentId: uuidv7(),
        unitId: 'unit-12',
        callSign: 'Alfa 12',
        status: 'notified',
        incidentType: 'structure_fire',
        location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
        address: 'Puerta del Sol 1, Madrid',
        createdAt: new Date().toISOString(),
        ...overrides,
      },
    });
  }

  async publish(stream: string, envelope: Envelope): Promise<void> {
    await this.bus.publish(stream, envelope);
  }

  async ack(commandId: string, userId: string, stage: CommandAckStage): Promise<void> {
    await this.publish(
      Streams.FieldAcks,
      createEnvelope({
        type: EventTypes.CommandAcknowledged,
        agencyId: this.agencyId,
        actor: { kind: 'device', id: `${userId}-phone` },
        data: { commandId, stage, userId, receivedAt: new Date().toISOString() },
      }),
    );
  }

  async entries<T>(stream: string, type: string): Promise<StreamEntry<T>[]> {
    const raw = await this.redis.xrange(`${this.prefix}${stream}`, '-', '+');
    return raw
      .map(([entryId, fields]) => {
        const index = fields.indexOf('envelope');
        return { entryId, envelope: JSON.parse(fields[index + 1] as string) as Envelope<T> };
      })
      .filter((entry) => entry.envelope.type === type);
  }

  /** `command.issued` entries on `gad:notify:outbound` for one assignment. */
  async commandsFor(assignmentId: string): Promise<CommandIssuedV1[]> {
    const entries = await this.entries<CommandIssuedV1>(
      Streams.NotifyOutbound,
      EventTypes.CommandIssued,
    );
    return entries.map((e) => e.envelope.data).filter((d) => d.assignmentId === assignmentId);
  }

  /** Audit entries this service put on the `audit` queue. */
  async auditEntries(): Promise<AuditEntry[]> {
    return queuedAuditEntries(this.redis, auditQueuePrefix(this.prefix));
  }

  /**
   * From now on PostgreSQL refuses to commit an audited change of notify's tables unless the same
   * transaction wrote an audit entry into `notify.outbox` (docs/adr/0021): a command stage, a
   * settlement, an escalation step, an all-call, its commands' stages, a delivery sent or failed,
   * a suppressed notice. A deferred constraint trigger checks at COMMIT, after the outbox insert.
   */
  async requireAuditWithEveryChange(): Promise<void> {
    const stages = ['delivered_at', 'seen_at', 'accepted_at', 'declined_at']
      .map((column) => `OLD.${column} IS DISTINCT FROM NEW.${column}`)
      .join(' OR ');
    await this.requireAuditOn([
      ['audited_stage', 'UPDATE', 'commands', stages],
      ['audited_stage', 'UPDATE', 'all_call_commands', stages],
      ['audited_settle', 'UPDATE', 'assignments', 'OLD.settled_at IS DISTINCT FROM NEW.settled_at'],
      ['audited_step', 'INSERT', 'escalations', 'true'],
      ['audited_all_call', 'INSERT', 'all_calls', 'true'],
      [
        'audited_delivery',
        'INSERT',
        'deliveries',
        `NEW.outcome IN ('sent', 'failed') OR (NEW.outcome = 'suppressed' AND NEW.notice_id IS NOT NULL)`,
      ],
    ]);
  }

  /**
   * Refuses, at commit, any change matched by `guards` ([trigger name, event, notify table,
   * WHEN condition]) whose transaction wrote no audit outbox row (deferred constraint triggers).
   */
  async requireAuditOn(guards: ReadonlyArray<[string, string, string, string]>): Promise<void> {
    await this.sql(`
      CREATE OR REPLACE FUNCTION notify.test_require_audit_in_transaction() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM notify.outbox
           WHERE stream = '${AUDIT_OUTBOX_STREAM}'
             AND xmin::text = (txid_current() % 4294967296)::text
        ) THEN
          RAISE EXCEPTION 'notify.% changed without an audit entry in its transaction', TG_TABLE_NAME;
        END IF;
        RETURN NULL;
      END $$`);
    for (const [name, event, table, when] of guards) {
      await this.sql(`CREATE CONSTRAINT TRIGGER ${name} AFTER ${event} ON notify.${table}
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (${when})
         EXECUTE FUNCTION notify.test_require_audit_in_transaction()`);
    }
  }

  async sql<R>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pg.query(text, values)).rows as R[];
  }
}
