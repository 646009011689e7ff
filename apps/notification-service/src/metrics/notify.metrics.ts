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
