import type { AssignmentStatus } from '@gad/contracts';

/**
 * Which statuses an assignment may move to from each status (docs/architecture.md, Status
 * machines).
 */
export const ASSIGNMENT_TRANSITIONS: Readonly<
  Record<AssignmentStatus, readonly AssignmentStatus[]>
> = {
  proposed: ['notified', 'delivered', 'seen', 'accepted', 'declined', 'en_route', 'cleared'],
  notified: ['delivered', 'seen', 'accepted', 'declined', 'en_route', 'cleared'],
  delivered: ['seen', 'accepted', 'declined', 'en_route', 'cleared'],
  seen: ['accepted', 'declined', 'en_route', 'cleared'],
  accepted: ['en_route', 'on_scene', 'cleared'],
  en_route: ['on_scene', 'cleared'],
  on_scene: ['cleared'],
  declined: [],
  cleared: [],
};

/** Statuses that end an assignment (its unit is free again). */
export const FINAL_ASSIGNMENT_STATUSES: readonly AssignmentStatus[] = ['declined', 'cleared'];

/** Closest available units asked from geo-service for the nearest strategy. */
export const NEAREST_CANDIDATES = 5;

export function canAssignmentMove(from: AssignmentStatus, to: AssignmentStatus): boolean {
  return ASSIGNMENT_TRANSITIONS[from].includes(to);
}
