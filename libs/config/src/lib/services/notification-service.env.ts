/*
 * notification-service's environment: the schema it loads at boot (`notification-service.config.ts`) and the one
 * docker/test holds compose and the k8s overlays to. Variables are listed in the app's README.
 */
import { z } from 'zod';
import {
  databaseEnvSchema,
  envBool,
  envInt,
  envUrl,
  outboxEnvSchema,
  serviceEnvSchema,
} from '../env-schemas';

export const notificationServiceEnvSchema = serviceEnvSchema
  .extend(databaseEnvSchema.shape)
  .extend({
    PORT: envInt(3004, 1, 65535),
    /** Name of this instance in consumer groups and logs (defaults to host:pid). */
    INSTANCE_ID: z.string().min(1).optional(),
    /** Escalation ladder (ms after the command): not delivered → re-send + Telegram. 0 = no step. */
    ESCALATION_P1_DELIVER_MS: envInt(3_000, 0, 3_600_000),
    /** Not accepted → supervisor alert + `assignment.unacknowledged`. 0 = no step. */
    ESCALATION_P1_ACCEPT_MS: envInt(30_000, 0, 3_600_000),
    ESCALATION_P2_DELIVER_MS: envInt(10_000, 0, 3_600_000),
    ESCALATION_P2_ACCEPT_MS: envInt(60_000, 0, 3_600_000),
    ESCALATION_P3_DELIVER_MS: envInt(0, 0, 3_600_000),
    ESCALATION_P3_ACCEPT_MS: envInt(300_000, 0, 3_600_000),
    ESCALATION_P4_DELIVER_MS: envInt(0, 0, 3_600_000),
    ESCALATION_P4_ACCEPT_MS: envInt(0, 0, 3_600_000),
    /** Telegram Bot API base URL and token; without a token the channel is disabled. */
    TELEGRAM_API_URL: envUrl(['http', 'https']).default('https://api.telegram.org'),
    TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
    /** The bot's @name, for chat link deep links (`https://t.me/<name>?start=<code>`). */
    TELEGRAM_BOT_USERNAME: z
      .string()
      .regex(/^[A-Za-z0-9_]{3,64}$/)
      .optional(),
    /** Poll `getUpdates` for `/start <code>` chat links (one replica wins each poll). */
    TELEGRAM_POLL_UPDATES: envBool(true),
    /** Long-poll timeout of `getUpdates` (s); 0 = short polls. */
    TELEGRAM_POLL_TIMEOUT_S: envInt(25, 0, 50),
    /** Bot API limits: messages per second overall and per chat. */
    TELEGRAM_GLOBAL_PER_SECOND: envInt(30, 1, 1_000),
    TELEGRAM_CHAT_PER_SECOND: envInt(1, 1, 100),
    /** Longest `retry_after` (s) honoured inside one attempt; longer ones fail the attempt. */
    TELEGRAM_MAX_RETRY_AFTER_S: envInt(60, 1, 3_600),
    /** SMTP server for e-mail; without a host the channel is disabled. */
    SMTP_HOST: z.string().min(1).optional(),
    SMTP_PORT: envInt(587, 1, 65535),
    SMTP_SECURE: envBool(false),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    SMTP_FROM: z.string().min(3).default('GAD Dispatch <no-reply@gad.local>'),
    /** Attempts per outside delivery (Telegram, webhook, e-mail) and the first backoff. */
    DELIVERY_ATTEMPTS: envInt(5, 1, 50),
    DELIVERY_BACKOFF_MS: envInt(1_000, 10, 600_000),
    /** Timeout of each outside HTTP/SMTP call. */
    CHANNEL_TIMEOUT_MS: envInt(5_000, 100, 120_000),
    /** Consecutive failures that open a channel's circuit, and how long it stays open. */
    BREAKER_THRESHOLD: envInt(5, 1, 1_000),
    BREAKER_HALF_OPEN_AFTER_MS: envInt(10_000, 100, 600_000),
    DELIVERY_CONCURRENCY: envInt(16, 1, 1_000),
    /** Stream entries handled concurrently (events of one unit or one command stay in order). */
    CONSUMER_CONCURRENCY: envInt(32, 1, 1_000),
    /** OUTBOX_POLL_MS, OUTBOX_COALESCE_MS: its outbox relay. */
    ...outboxEnvSchema.shape,
    /**
     * Retention of the per-recipient command logs the relay appends to (docs/adr/0020): the newest
     * N commands, none older than the age. Keep equal to ws-gateway's WS_COMMAND_LOG_MAX_*.
     */
    COMMAND_LOG_MAX_LEN: envInt(1_000, 1, 1_000_000),
    COMMAND_LOG_MAX_AGE_S: envInt(86_400, 1, 30 * 86_400),
    /**
     * Key sealing webhook secrets at rest (AES-256-GCM): base64 of 32 random bytes, named
     * NOTIFY_SECRETS_KEY_ID in what it seals. Unset = agency webhooks cannot be created.
     */
    NOTIFY_SECRETS_KEY: z.string().min(40).optional(),
    NOTIFY_SECRETS_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .default('k1'),
    /** Earlier keys still opening what they sealed while rotating: `<id>:<base64>,...`. */
    NOTIFY_SECRETS_PREVIOUS_KEYS: z.string().default(''),
    /** PEM file of extra CAs trusted for webhook targets (an agency's private PKI; tests). */
    WEBHOOK_CA_FILE: z.string().min(1).optional(),
  });
