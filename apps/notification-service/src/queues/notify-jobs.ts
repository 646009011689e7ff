import type { IncidentPriority } from '@gad/contracts';

/** BullMQ queues of notification-service (prefix `<REDIS_KEY_PREFIX>{notify}`). */
export const NotifyQueueNames = {
  Escalation: 'notify-escalation',
  Telegram: 'notify-telegram',
  Webhook: 'notify-webhook',
  Email: 'notify-email',
} as const;

export type EscalationStep = 'undelivered' | 'unaccepted';

/** A delayed step of an assignment's ladder (job id `esc_<assignmentId>_<step>`). */
export interface EscalationJob {
  agencyId: string;
  assignmentId: string;
  step: EscalationStep;
  priority: IncidentPriority;
  traceparent?: string;
}

export type DeliveryChannel = 'telegram' | 'webhook' | 'email';

/**
 * One message on one outside channel. `target` is a Telegram chat id, an e-mail address or a
 * webhook id (its URL and secret are read from `notify.webhooks` when sending, never put in Redis).
 */
export interface DeliveryJob {
  agencyId: string;
  channel: DeliveryChannel;
  target: string;
  commandId?: string;
  noticeId?: string;
  title: string;
  body: string;
  /** Webhooks: the JSON event posted (type + data). */
  event?: { id: string; type: string; data: Record<string, unknown> };
  traceparent?: string;
}
