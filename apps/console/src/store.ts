import {
  connectDispatchFeed,
  type ConnectionState,
  type DispatchFeed,
  type GadRestClient,
} from '@gad/client';
import type {
  Assignment,
  Geofence,
  Incident,
  IncidentPriority,
  IncidentStatus,
  Unit,
} from '@gad/contracts';
import type { ConsoleConfig } from './config';

/** An incident as the console shows it (REST answers and live events both fill it). */
export interface IncidentView {
  id: string;
  type: string;
  priority: IncidentPriority;
  status: IncidentStatus;
  location: { type: 'Point'; coordinates: number[] };
  address: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  version?: number;
}

export interface UnitView {
  id: string;
  callSign?: string;
  status?: string;
  /** [lon, lat] of the last fix. */
  position?: [number, number];
  recordedAt?: string;
}

export interface AssignmentView {
  id: string;
  incidentId: string;
  unitId: string;
  callSign?: string;
  status: string;
  /** When each stage was reached (delivered, seen, accepted, declined, ...). */
  steps: Record<string, string>;
  declineReason?: string | null;
}

export interface EscalationView {
  assignmentId: string;
  incidentId: string;
  unitId: string;
  lastStage?: string;
  waitedMs: number;
  at: string;
}

interface EnvelopeLike<T> {
  id: string;
  type: string;
  occurredAt: string;
  data: T;
}

const STAGE_ORDER = [
  'proposed',
  'notified',
  'delivered',
  'seen',
  'accepted',
  'declined',
  'en_route',
  'on_scene',
  'cleared',
];
const PRIORITY_RANK: Record<string, number> = { P1: 0, P2: 1, P3: 2, P4: 3 };
export const OPEN_STATUSES: IncidentStatus[] = ['new', 'dispatched', 'in_progress'];

/** Newest and highest priority first: P1 before P2, then the newest. */
export function queueOrder(a: IncidentView, b: IncidentView): number {
  const rank = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
  return rank !== 0 ? rank : b.createdAt.localeCompare(a.createdAt);
}

/**
 * The console's live state: loaded over REST, kept current by the agency's `/dispatch` feed
 * (`connectDispatchFeed` of @gad/client: caught up after a reconnect, reloaded over REST when the
 * gap is older than the feed). No business rule lives here: the API decides. React views subscribe
 * to `version`; unit positions (`units.moved`, many a second) go to `onPositions` listeners only,
 * which move map markers without re-rendering the page.
 */
export class ConsoleStore {
  incidents = new Map<string, IncidentView>();
  units = new Map<string, UnitView>();
  assignments = new Map<string, AssignmentView>();
  escalations: EscalationView[] = [];
  geofences: Geofence[] = [];
  connection: ConnectionState = { status: 'connecting', attempt: 0 };
  /** Bumps on every change a view shows. */
  version = 0;
  /** Bumps when a device acknowledges an all-call (the open report is read again). */
  allCallRevision = 0;
  /** Bumps on every change of an incident's own data (detail views reload their timeline). */
  incidentRevisions = new Map<string, number>();

  private readonly listeners = new Set<() => void>();
  private readonly positionListeners = new Set<(units: UnitView[]) => void>();
  private readonly seenEvents = new Set<string>();
  private feed: DispatchFeed | undefined;
  private caughtUpOnce = false;
  private subscribedIncident: string | undefined;
  private notifyQueued = false;
  private generation = 0;

  constructor(
    private readonly api: GadRestClient,
    private readonly config: ConsoleConfig,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  onPositions(listener: (units: UnitView[]) => void): () => void {
    this.positionListeners.add(listener);
    return () => this.positionListeners.delete(listener);
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    await this.reload();
    if (generation !== this.generation) {
      return; // stopped while loading
    }
    // The agency's feed through @gad/client: every event once, in feed order, caught up after a
    // reconnect (`catch_up`), or a resync (reload over REST) when the gap is older than the feed.
    const feed = connectDispatchFeed({
      url: this.config.wsUrl,
      token: (request) => this.api.freshAccessToken(request),
      transports: ['websocket', 'polling'],
      onState: (state) => {
        this.connection = state;
        if (state.status === 'connected') {
          this.refollow();
        }
        this.changed();
      },
      onEvent: (event) => this.handle(event.type, event),
      onResync: () => void this.reload().catch(() => undefined),
      onCaughtUp: () => {
        // Events between the first REST load and the first connection are in no feed page.
        if (!this.caughtUpOnce) {
          this.caughtUpOnce = true;
          void this.reload().catch(() => undefined);
        }
      },
    });
    this.feed = feed;
    feed.socket.on('units.moved', (batch) => this.moved(batch.units));
  }

  stop(): void {
    this.generation += 1;
    this.feed?.close();
    this.feed = undefined;
  }

  /** Everything over REST: open and recent incidents, units with their last fixes, geofences. */
  async reload(): Promise<void> {
    const [incidents, units, geofences] = await Promise.all([
      this.api.ops.listIncidents({ query: { limit: 200 } }),
      this.loadUnits(),
      this.api.ops
        .listGeofences({ query: { limit: 500 } })
        .then(({ body }) => body.items)
        .catch(() => [] as Geofence[]),
    ]);
    this.incidents = new Map(
      incidents.body.items.map((incident) => [incident.id, fromIncident(incident)]),
    );
    this.units = units;
    this.geofences = geofences;
    await this.loadPositions();
    this.changed();
  }

  /** Re-reads one incident (after a change whose event the feed may not carry). */
  async refreshIncident(id: string): Promise<IncidentView | undefined> {
    try {
      const { body } = await this.api.ops.getIncident({ params: { id } });
      const view = fromIncident(body);
      this.incidents.set(id, view);
      this.bumpIncident(id);
      this.changed();
      return view;
    } catch {
      return this.incidents.get(id);
    }
  }

  /** Stores an incident a REST call answered with (create, update, status change). */
  putIncident(incident: Incident): IncidentView {
    const view = fromIncident(incident);
    this.incidents.set(view.id, view);
    this.bumpIncident(view.id);
    this.changed();
    return view;
  }

  /** Like {@link putIncident}, for a view's own read: views that follow the incident do not reload. */
  putIncidentQuietly(incident: Incident): void {
    this.incidents.set(incident.id, fromIncident(incident));
    this.changed();
  }

  putAssignments(items: Assignment[]): void {
    for (const item of items) {
      // A read may be older than the live events already applied: stages only move forward.
      const known = this.assignments.get(item.id);
      this.assignments.set(item.id, {
        id: item.id,
        incidentId: item.incidentId,
        unitId: item.unitId,
        callSign: item.callSign,
        status: known ? later(known.status, item.status) : item.status,
        steps: { ...known?.steps, ...(item.steps as Record<string, string>) },
        declineReason: item.declineReason ?? known?.declineReason,
      });
    }
    this.changed();
  }

  /** Stores a unit's status a REST call answered with (the feed confirms it a moment later). */
  putUnitStatus(unitId: string, status: string): void {
    const unit = this.units.get(unitId) ?? { id: unitId };
    unit.status = status;
    this.units.set(unitId, unit);
    this.emitPositions([unit]);
    this.changed();
  }

  assignmentsOf(incidentId: string): AssignmentView[] {
    return [...this.assignments.values()].filter((a) => a.incidentId === incidentId);
  }

  dismissEscalation(assignmentId: string): void {
    this.escalations = this.escalations.filter((e) => e.assignmentId !== assignmentId);
    this.changed();
  }

  /** Follows one incident's room too (its detail is open). */
  async follow(incidentId: string | undefined): Promise<void> {
    const previous = this.subscribedIncident;
    if (incidentId === previous) {
      return;
    }
    this.subscribedIncident = incidentId;
    const socket = this.feed?.socket;
    if (!socket?.connected) {
      return; // refollow() subscribes once connected
    }
    if (previous) {
      await socket
        .timeout(5_000)
        .emitWithAck('unsubscribe', { kind: 'incident', id: previous })
        .catch(() => undefined);
    }
    if (incidentId) {
      await socket
        .timeout(5_000)
        .emitWithAck('subscribe', { kind: 'incident', id: incidentId })
        .catch(() => undefined);
    }
  }

  unitLabel(unitId: string): string {
    return this.units.get(unitId)?.callSign ?? unitId;
  }

  isStale(unit: UnitView, now = Date.now()): boolean {
    return (
      unit.recordedAt === undefined ||
      now - Date.parse(unit.recordedAt) > this.config.staleAfterS * 1000
    );
  }

  // -------------------------------------------------------------------------------------------

  private async loadUnits(): Promise<Map<string, UnitView>> {
    const units = new Map<string, UnitView>();
    let cursor: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const { body } = await this.api.ops.listUnits({
        query: { limit: 200, ...(cursor ? { cursor } : {}) },
      });
      for (const unit of body.items as Unit[]) {
        units.set(unit.id, { id: unit.id, callSign: unit.callSign, status: unit.status });
      }
      cursor = body.nextCursor;
      if (!cursor) {
        break;
      }
    }
    return units;
  }

  private async loadPositions(): Promise<void> {
    try {
      const { body } = await this.api.ops.positionsInBbox({
        query: { bbox: [-180, -90, 180, 90], limit: 5_000 },
      });
      for (const fix of body.items) {
        const unit = this.units.get(fix.unitId) ?? { id: fix.unitId };
        unit.position = [fix.position.coordinates[0], fix.position.coordinates[1]];
        unit.recordedAt = fix.recordedAt;
        unit.status ??= fix.status ?? undefined;
        this.units.set(fix.unitId, unit);
      }
    } catch {
      // geo-service unavailable: units appear as their fixes arrive.
    }
    this.emitPositions([...this.units.values()]);
  }

  /** After a reconnect the incident rooms are gone: follow the open incident again. */
  private refollow(): void {
    const id = this.subscribedIncident;
    this.subscribedIncident = undefined;
    if (id) {
      void this.follow(id);
    }
  }

  private handle(type: string, event: EnvelopeLike<unknown>): void {
    if (this.seenEvents.has(event.id)) {
      return;
    }
    this.seenEvents.add(event.id);
    if (this.seenEvents.size > 5_000) {
      this.seenEvents.delete(this.seenEvents.values().next().value as string);
    }
    const data = event.data as Record<string, unknown>;
    switch (type) {
      case 'incident.created': {
        const d = data as unknown as IncidentCreated;
        this.incidents.set(d.incidentId, {
          id: d.incidentId,
          type: d.type,
          priority: d.priority,
          status: d.status,
          location: d.location,
          address: d.address ?? null,
          description: d.description ?? null,
          createdAt: d.createdAt,
          updatedAt: d.createdAt,
        });
        this.bumpIncident(d.incidentId);
        break;
      }
      case 'incident.updated': {
        const d = data as unknown as IncidentUpdated;
        const current = this.incidents.get(d.incidentId);
        if (current) {
          const changes = Object.fromEntries(
            Object.entries(d.changes).filter(([, value]) => value !== undefined),
          );
          this.incidents.set(d.incidentId, {
            ...current,
            ...changes,
            version: d.version,
            updatedAt: d.updatedAt,
          } as IncidentView);
          this.bumpIncident(d.incidentId);
        } else {
          void this.refreshIncident(d.incidentId);
        }
        break;
      }
      case 'incident.status_changed': {
        const d = data as unknown as IncidentStatusChanged;
        const current = this.incidents.get(d.incidentId);
        if (current) {
          this.incidents.set(d.incidentId, {
            ...current,
            status: d.status,
            priority: d.priority,
            updatedAt: d.changedAt,
            version: undefined, // unknown until the next read
          });
          this.bumpIncident(d.incidentId);
        }
        void this.refreshIncident(d.incidentId);
        break;
      }
      case 'unit.status_changed':
      case 'unit.updated': {
        const d = data as { unitId: string; callSign?: string; status?: string };
        const unit = this.units.get(d.unitId) ?? { id: d.unitId };
        if (d.callSign) unit.callSign = d.callSign;
        if (d.status) unit.status = d.status;
        this.units.set(d.unitId, unit);
        this.emitPositions([unit]);
        break;
      }
      case 'assignment.created': {
        const d = data as unknown as AssignmentCreated;
        const existing = this.assignments.get(d.assignmentId);
        this.assignments.set(d.assignmentId, {
          id: d.assignmentId,
          incidentId: d.incidentId,
          unitId: d.unitId,
          callSign: d.callSign,
          status: existing ? later(existing.status, d.status) : d.status,
          steps: { [d.status]: d.createdAt, ...existing?.steps },
        });
        // The incident moves to `dispatched` without an incident event on older gateways.
        void this.refreshIncident(d.incidentId);
        break;
      }
      case 'assignment.updated': {
        const d = data as unknown as AssignmentUpdated;
        const current = this.assignments.get(d.assignmentId) ?? {
          id: d.assignmentId,
          incidentId: d.incidentId,
          unitId: d.unitId,
          status: d.previousStatus,
          steps: {},
        };
        this.assignments.set(d.assignmentId, {
          ...current,
          status: later(current.status, d.status),
          steps: { ...current.steps, [d.status]: d.changedAt },
          declineReason: d.status === 'declined' ? (d.reason ?? null) : current.declineReason,
        });
        if (d.status === 'accepted' || d.status === 'declined') {
          this.dismissQuietly(d.assignmentId);
        }
        this.bumpIncident(d.incidentId);
        break;
      }
      case 'command.acknowledged': {
        const d = data as unknown as CommandAcknowledged;
        if (d.allCallId) {
          this.allCallRevision += 1;
        }
        const current = d.assignmentId ? this.assignments.get(d.assignmentId) : undefined;
        if (current) {
          this.assignments.set(current.id, {
            ...current,
            status: later(current.status, d.stage),
            steps: { ...current.steps, [d.stage]: current.steps[d.stage] ?? d.receivedAt },
          });
        }
        break;
      }
      case 'assignment.unacknowledged': {
        const d = data as unknown as AssignmentUnacknowledged;
        if (!this.escalations.some((e) => e.assignmentId === d.assignmentId)) {
          this.escalations = [
            {
              assignmentId: d.assignmentId,
              incidentId: d.incidentId,
              unitId: d.unitId,
              lastStage: d.lastStage,
              waitedMs: d.waitedMs,
              at: event.occurredAt,
            },
            ...this.escalations,
          ];
        }
        break;
      }
      default:
        break;
    }
    this.changed();
  }

  private dismissQuietly(assignmentId: string): void {
    this.escalations = this.escalations.filter((e) => e.assignmentId !== assignmentId);
  }

  private moved(batch: MovedUnit[]): void {
    const changed: UnitView[] = [];
    for (const fix of batch) {
      const unit = this.units.get(fix.unitId) ?? { id: fix.unitId };
      unit.position = [fix.position.coordinates[0], fix.position.coordinates[1]];
      unit.recordedAt = fix.recordedAt;
      this.units.set(fix.unitId, unit);
      changed.push(unit);
    }
    this.emitPositions(changed);
  }

  private emitPositions(units: UnitView[]): void {
    for (const listener of this.positionListeners) {
      listener(units);
    }
  }

  private bumpIncident(id: string): void {
    this.incidentRevisions.set(id, (this.incidentRevisions.get(id) ?? 0) + 1);
  }

  /** One render per frame at most, however many events arrive. */
  private changed(): void {
    this.version += 1;
    if (this.notifyQueued) {
      return;
    }
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const listener of this.listeners) {
        listener();
      }
    });
  }
}

/** The more advanced of two assignment stages (acks never move an assignment back). */
function later(current: string, next: string): string {
  return STAGE_ORDER.indexOf(next) >= STAGE_ORDER.indexOf(current) ? next : current;
}

function fromIncident(incident: Incident): IncidentView {
  return {
    id: incident.id,
    type: incident.type,
    priority: incident.priority,
    status: incident.status,
    location: incident.location as IncidentView['location'],
    address: incident.address,
    description: incident.description,
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    version: incident.version,
  };
}

interface MovedUnit {
  unitId: string;
  position: { coordinates: number[] };
  recordedAt: string;
}
interface IncidentCreated {
  incidentId: string;
  type: string;
  priority: IncidentPriority;
  status: IncidentStatus;
  location: { type: 'Point'; coordinates: number[] };
  address?: string;
  description?: string;
  createdAt: string;
}
interface IncidentUpdated {
  incidentId: string;
  version: number;
  changes: Record<string, unknown>;
  updatedAt: string;
}
interface IncidentStatusChanged {
  incidentId: string;
  status: IncidentStatus;
  priority: IncidentPriority;
  changedAt: string;
}
interface AssignmentCreated {
  assignmentId: string;
  incidentId: string;
  unitId: string;
  callSign?: string;
  status: string;
  createdAt: string;
}
interface AssignmentUpdated {
  assignmentId: string;
  incidentId: string;
  unitId: string;
  status: string;
  previousStatus: string;
  reason?: string;
  changedAt: string;
}
interface CommandAcknowledged {
  stage: string;
  receivedAt: string;
  assignmentId?: string;
  allCallId?: string;
}
interface AssignmentUnacknowledged {
  assignmentId: string;
  incidentId: string;
  unitId: string;
  lastStage?: string;
  waitedMs: number;
}
