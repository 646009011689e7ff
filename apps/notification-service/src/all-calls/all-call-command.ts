import type { CommandIssuedV1 } from '@gad/contracts';
import type { AllCallRow } from './all-calls.repository';

/** The `command.issued` of one unit's copy of an all-call (the same on every re-send). */
export function allCallCommandOf(
  call: AllCallRow,
  commandId: string,
  unitId: string,
  issuedAt: Date,
): CommandIssuedV1 {
  return {
    commandId,
    recipient: { kind: 'unit', id: unitId },
    kind: 'message',
    critical: call.critical,
    title: call.title,
    body: call.message,
    locale: 'es',
    payload: { allCallId: call.all_call_id, priority: call.priority, unitId },
    issuedAt: issuedAt.toISOString(),
  };
}
