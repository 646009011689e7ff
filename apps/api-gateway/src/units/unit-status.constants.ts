import type { UnitStatus } from '@gad/contracts';

/** Which statuses a unit may move to from each status (docs/architecture.md, Status machines). */
export const UNIT_TRANSITIONS: Readonly<Record<UnitStatus, readonly UnitStatus[]>> = {
  available: ['dispatched', 'out_of_service', 'off_duty'],
  dispatched: ['en_route', 'on_scene', 'returning', 'available'],
  en_route: ['on_scene', 'returning', 'available'],
  on_scene: ['returning', 'available'],
  returning: ['available', 'dispatched', 'out_of_service', 'off_duty'],
  out_of_service: ['available', 'off_duty'],
  off_duty: ['available', 'out_of_service'],
};

/** Statuses in which a unit can take a new assignment. */
export const ASSIGNABLE_UNIT_STATUSES: readonly UnitStatus[] = ['available', 'returning'];

/** Statuses a unit may take while it has an open assignment (set by hand or by the assignment). */
export const WORKING_UNIT_STATUSES: readonly UnitStatus[] = ['en_route', 'on_scene', 'returning'];

export function canUnitMove(from: UnitStatus, to: UnitStatus): boolean {
  return UNIT_TRANSITIONS[from].includes(to);
}
