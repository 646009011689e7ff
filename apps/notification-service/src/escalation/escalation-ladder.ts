import type { IncidentPriority } from '@gad/contracts';
import type { NotificationServiceConfig } from '../notification-service.config';

/** Delays (ms after the command) of a priority's ladder steps; 0 = the step does not exist. */
export interface Ladder {
  deliverMs: number;
  acceptMs: number;
}

export function ladderFor(config: NotificationServiceConfig, priority: IncidentPriority): Ladder {
  switch (priority) {
    case 'P1':
      return {
        deliverMs: config.ESCALATION_P1_DELIVER_MS,
        acceptMs: config.ESCALATION_P1_ACCEPT_MS,
      };
    case 'P2':
      return {
        deliverMs: config.ESCALATION_P2_DELIVER_MS,
        acceptMs: config.ESCALATION_P2_ACCEPT_MS,
      };
    case 'P3':
      return {
        deliverMs: config.ESCALATION_P3_DELIVER_MS,
        acceptMs: config.ESCALATION_P3_ACCEPT_MS,
      };
    default:
      return {
        deliverMs: config.ESCALATION_P4_DELIVER_MS,
        acceptMs: config.ESCALATION_P4_ACCEPT_MS,
      };
  }
}

/** P1 and P2 commands are critical: they override preferences and quiet hours. */
export const isCritical = (priority: IncidentPriority): boolean =>
  priority === 'P1' || priority === 'P2';
