import type { Actor } from '@gad/contracts';

/** The actor of everything notification-service does on its own. */
export const SERVICE_ACTOR: Actor = { kind: 'service', id: 'notification-service' };

/** Audit actions of notification-service (`<noun>.<verb>`; deliveries and acks use `AuditActions`). */
export const NotifyAuditActions = {
  CommandIssued: 'command.issue',
  CommandSkipped: 'command.skip',
  Escalated: 'command.escalation',
  EscalationCancelled: 'command.escalation_cancel',
  NoticeSent: 'notice.send',
} as const;

/**
 * Outbox "stream" of the commands to devices: the relay hands its rows to the command relay sink
 * (one Redis call per command appends it to the recipient's log and publishes it to every
 * ws-gateway instance, docs/adr/0020) instead of a consumer group.
 */
export const COMMAND_SINK = 'queue:commands';
