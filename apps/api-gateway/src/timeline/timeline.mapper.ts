import type { Actor, TimelineEntry } from '@gad/contracts';
import type { AccessClaims } from '@gad/contracts';
import type { TimelineRow } from './timeline.repository';

export function toTimelineEntry(row: TimelineRow): TimelineEntry {
  return {
    id: row.id,
    incidentId: row.incident_id,
    kind: row.kind,
    at: new Date(row.at).toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id },
    message: row.message,
    reason: row.reason,
    detail: row.detail,
  };
}

/** The envelope/timeline actor of an authenticated caller. */
export function actorOf(user: AccessClaims): Actor {
  return { kind: 'user', id: user.sub, roles: user.roles };
}
