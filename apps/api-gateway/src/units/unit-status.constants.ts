import type { UnitStatus } from '@gad/contracts';

/** Which statuses a unit may move to from each status (ARCHITECTURE.md §4). */
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

/** Statuses in which a unit is working an incident (it cannot be retired). */
export const BUSY_UNIT_STATUSES: readonly UnitStatus[] = ['dispatched', 'en_route', 'on_scene'];

export function canUnitMove(from: UnitStatus, to: UnitStatus): boolean {
  return UNIT_TRANSITIONS[from].includes(to);
}
