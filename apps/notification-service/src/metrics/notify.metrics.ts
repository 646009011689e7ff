import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('notification-service');

/** Metrics of notification-service (README § Metrics). */
export const notifyMetrics = {
  commandsIssued: meter.createCounter('gad_notify_commands_issued', {
    description: 'Commands issued to officers, by priority',
  }),
  recipientsSkipped: meter.createCounter('gad_notify_recipients_skipped', {
    description: 'Crew members not paged, by reason (off_duty, unit_off_duty, logged_out)',
  }),
  deliveries: meter.createCounter('gad_notify_deliveries', {
    description: 'Delivery attempts by channel and outcome (sent, failed, retrying, suppressed)',
  }),
  escalations: meter.createCounter('gad_notify_escalations', {
    description: 'Escalation ladder steps fired, by step',
  }),
  ackLatency: meter.createHistogram('gad_notify_ack_latency_ms', {
    description: 'Time from command issue to each acknowledgement stage',
    unit: 'ms',
  }),
};

/**
 * Gives the counters the alert rules read a series from the start (0), so an alert on their rate
 * evaluates instead of seeing nothing until the first delivery or escalation
 * (docs/operations/alerts.yml: GadNotifyChannelFailing, GadNotifyEscalationsHigh). The ack-latency
 * histogram has no such zero: it appears with the first acknowledgement.
 */
export function exportNotifyMetricsFromStart(): void {
  notifyMetrics.deliveries.add(0, { channel: 'socket', outcome: 'sent' });
  notifyMetrics.escalations.add(0, { step: 'undelivered', priority: 'P1' });
}
