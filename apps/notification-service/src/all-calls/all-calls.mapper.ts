import type { AllCall, AllCallDevice } from '@gad/contracts';
import type { AllCallCommandRow, AllCallRow } from './all-calls.repository';

const iso = (at: Date | null): string | null => (at ? at.toISOString() : null);

function stageOf(row: AllCallCommandRow): AllCallDevice['stage'] {
  if (row.declined_at) return 'declined';
  if (row.accepted_at) return 'accepted';
  if (row.seen_at) return 'seen';
  if (row.delivered_at) return 'delivered';
  return 'issued';
}

/** Rows → the `AllCall` report (`GET /v1/all-calls/{id}`). */
export function toAllCall(
  call: AllCallRow,
  commands: readonly AllCallCommandRow[],
  steps: readonly { step: string; fired_at: Date }[] = [],
): AllCall {
  const devices = commands.map((row): AllCallDevice => ({
    unitId: row.unit_id,
    commandId: row.command_id,
    stage: stageOf(row),
    deliveredAt: iso(row.delivered_at),
    seenAt: iso(row.seen_at),
    acceptedAt: iso(row.accepted_at),
    declinedAt: iso(row.declined_at),
    declineReason: row.decline_reason,
    acknowledgedBy: row.acknowledged_by,
  }));
  return {
    id: call.all_call_id,
    title: call.title,
    message: call.message,
    priority: call.priority,
    zoneId: call.zone_id,
    critical: call.critical,
    createdBy: call.created_by,
    createdAt: call.created_at.toISOString(),
    summary: {
      recipients: devices.length,
      delivered: devices.filter((device) => device.deliveredAt).length,
      seen: devices.filter((device) => device.seenAt).length,
      accepted: devices.filter((device) => device.acceptedAt).length,
      declined: devices.filter((device) => device.declinedAt).length,
    },
    devices,
    escalations: steps.map((step) => ({
      step: step.step === 'all_call_undelivered' ? 'undelivered' : 'unaccepted',
      firedAt: step.fired_at.toISOString(),
    })),
  };
}
