import type {
  AssignmentStatus,
  GeoPoint,
  IncidentPriority,
  IncidentReplayFrame,
  IncidentStatus,
  ReplayUnit,
  TrackPoint,
} from '@gad/contracts';

/** What the flight recorder rebuilds a moment from: the incident now and its whole timeline. */
export interface ReplaySource {
  incident: {
    id: string;
    type: string;
    priority: IncidentPriority;
    status: IncidentStatus;
    location: GeoPoint;
    address: string | null;
    createdAt: string;
  };
  /** Oldest first. */
  timeline: readonly {
    kind: string;
    at: string;
    detail: Record<string, unknown>;
  }[];
  /** The incident's assignments now (for the call sign and the status of a step-less assignment). */
  assignments: readonly {
    id: string;
    unitId: string;
    callSign: string | null;
    status: AssignmentStatus;
  }[];
}

/** How far back a unit's last fix may be to count as its position at a moment. */
export const REPLAY_POSITION_LOOKBACK_MS = 15 * 60_000;

type IncidentState = NonNullable<IncidentReplayFrame['incident']>;
type Changes = Record<string, { from?: unknown; to?: unknown } | undefined>;

const FIELDS = ['type', 'priority', 'location', 'address'] as const;

/**
 * The incident as it was before any change: each field's first recorded `from`, else today's value
 * (never changed); the status from `incident.created`.
 */
function initialState(source: ReplaySource): IncidentState {
  const state: IncidentState = {
    id: source.incident.id,
    type: source.incident.type,
    priority: source.incident.priority,
    status: source.incident.status,
    location: source.incident.location,
    address: source.incident.address,
  };
  const seen = new Set<string>();
  for (const entry of source.timeline) {
    if (entry.kind === 'incident.created') {
      const status = entry.detail['status'];
      if (typeof status === 'string') state.status = status as IncidentStatus;
      const type = entry.detail['type'];
      if (typeof type === 'string') state.type = type;
      const priority = entry.detail['priority'];
      if (typeof priority === 'string') state.priority = priority as IncidentPriority;
      FIELDS.filter((field) => field === 'type' || field === 'priority').forEach((field) =>
        seen.add(field),
      );
    } else if (entry.kind === 'incident.updated') {
      const changes = (entry.detail['changes'] ?? {}) as Changes;
      for (const field of FIELDS) {
        const change = changes[field];
        if (change && !seen.has(field)) {
          seen.add(field);
          (state as Record<string, unknown>)[field] = change.from ?? null;
        }
      }
    } else if (entry.kind === 'incident.status_changed' && !seen.has('status')) {
      seen.add('status');
      const from = entry.detail['from'];
      if (typeof from === 'string') state.status = from as IncidentStatus;
    }
  }
  return state;
}

/** The last fix at or before `at` (fixes in device-time order), within the look-back. */
export function positionAt(
  track: readonly TrackPoint[] | undefined,
  at: number,
): { position: GeoPoint; recordedAt: string } | undefined {
  if (!track) return undefined;
  let low = 0;
  let high = track.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (Date.parse((track[middle] as TrackPoint).recordedAt) <= at) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  const point = found >= 0 ? track[found] : undefined;
  if (!point || at - Date.parse(point.recordedAt) > REPLAY_POSITION_LOOKBACK_MS) {
    return undefined;
  }
  return { position: point.position, recordedAt: point.recordedAt };
}

/**
 * The frame at `at`: the incident's fields and status after every timeline entry up to `at`, the
 * units assigned by then with their assignment status, and each unit's last fix from `tracks`.
 */
export function replayFrame(
  source: ReplaySource,
  at: Date,
  tracks: ReadonlyMap<string, readonly TrackPoint[]>,
): IncidentReplayFrame {
  const moment = at.getTime();
  const existed = moment >= Date.parse(source.incident.createdAt);
  const state = initialState(source);
  const current = new Map(source.assignments.map((assignment) => [assignment.id, assignment]));
  const units = new Map<string, ReplayUnit>();
  let entries = 0;
  for (const entry of source.timeline) {
    if (Date.parse(entry.at) > moment) break;
    entries += 1;
    const detail = entry.detail;
    switch (entry.kind) {
      case 'incident.updated': {
        const changes = (detail['changes'] ?? {}) as Changes;
        for (const field of FIELDS) {
          const change = changes[field];
          if (change) (state as Record<string, unknown>)[field] = change.to ?? null;
        }
        break;
      }
      case 'incident.status_changed': {
        const to = detail['to'];
        if (typeof to === 'string') state.status = to as IncidentStatus;
        break;
      }
      case 'assignment.created': {
        const assignmentId = String(detail['assignmentId'] ?? '');
        const now = current.get(assignmentId);
        const unitId = String(detail['unitId'] ?? now?.unitId ?? '');
        // The status it was created with: the first step's `from` (below), else today's.
        units.set(assignmentId, {
          unitId,
          callSign:
            typeof detail['callSign'] === 'string' ? detail['callSign'] : (now?.callSign ?? null),
          assignmentId,
          status: firstFromOf(source, assignmentId) ?? now?.status ?? 'proposed',
          position: null,
          positionAt: null,
        });
        break;
      }
      case 'assignment.updated': {
        const unit = units.get(String(detail['assignmentId'] ?? ''));
        const to = detail['to'];
        if (unit && typeof to === 'string') unit.status = to as AssignmentStatus;
        break;
      }
      default:
        break;
    }
  }
  const present = existed ? [...units.values()] : [];
  for (const unit of present) {
    const fix = positionAt(tracks.get(unit.unitId), moment);
    if (fix) {
      unit.position = fix.position;
      unit.positionAt = fix.recordedAt;
    }
  }
  return {
    at: at.toISOString(),
    existed,
    incident: existed ? state : null,
    units: present,
    timelineEntries: entries,
  };
}

function firstFromOf(source: ReplaySource, assignmentId: string): AssignmentStatus | undefined {
  const first = source.timeline.find(
    (entry) => entry.kind === 'assignment.updated' && entry.detail['assignmentId'] === assignmentId,
  );
  const from = first?.detail['from'];
  return typeof from === 'string' ? (from as AssignmentStatus) : undefined;
}
