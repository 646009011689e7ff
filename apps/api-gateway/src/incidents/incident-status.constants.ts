import type { IncidentStatus } from '@gad/contracts';

/**
 * Which statuses an incident may move to from each status (docs/architecture.md, Status machines).
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  new: ['dispatched', 'cancelled'],
  dispatched: ['in_progress', 'resolved', 'cancelled'],
  in_progress: ['resolved', 'cancelled'],
  resolved: ['closed', 'in_progress'],
  closed: [],
  cancelled: [],
};

/** Statuses in which units may still be assigned. */
export const ASSIGNABLE_INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'new',
  'dispatched',
  'in_progress',
];

/** Statuses that end an incident: its open assignments are cleared and their units freed. */
export const FINAL_INCIDENT_STATUSES: readonly IncidentStatus[] = ['closed', 'cancelled'];

export function canIncidentMove(from: IncidentStatus, to: IncidentStatus): boolean {
  return INCIDENT_TRANSITIONS[from].includes(to);
}
