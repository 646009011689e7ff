import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { FanoutService } from './fanout.service';
import { PositionCoalescer } from './position-coalescer';

/**
 * The console feed is one queue per agency: its events are appended and emitted one after another
 * in stream order, so feed ids grow in the order consoles receive the events.
 */
const byAgency = { orderKey: (event: { agencyId: string }) => `feed:${event.agencyId}` };

/**
 * Bus handlers of group `ws-gateway` on `gad:dispatch:events`, `gad:geo:events` and `gad:notify:events` (`assignment.unacknowledged`, docs/adr/0028): each event is handled by one instance and emitted through the adapter.
 * Commands do not come through here (they come over the command channel, see `CommandsService`),
 * nor acks (the receiving instance feeds them to the consoles, docs/adr/0020). The transport validates every event against the registry first
 * (`@OnEvent`).
 */
@Controller()
export class FanoutHandler {
  constructor(
    private readonly fanout: FanoutService,
    private readonly coalescer: PositionCoalescer,
  ) {}

  @OnEvent(EventTypes.IncidentCreated, byAgency)
  async onIncidentCreated(@Payload() event: EventEnvelope<'incident.created'>): Promise<void> {
    await this.fanout.incidentCreated(event);
  }

  @OnEvent([EventTypes.IncidentUpdated, EventTypes.IncidentStatusChanged], byAgency)
  async onIncidentChanged(
    @Payload() event: EventEnvelope<'incident.updated' | 'incident.status_changed'>,
  ): Promise<void> {
    await this.fanout.toAgencyAndIncident(event);
  }

  @OnEvent([EventTypes.UnitStatusChanged, EventTypes.UnitUpdated], byAgency)
  async onUnitChanged(
    @Payload() event: EventEnvelope<'unit.status_changed' | 'unit.updated'>,
  ): Promise<void> {
    await this.fanout.toAgency(event);
  }

  @OnEvent(
    [
      EventTypes.AssignmentCreated,
      EventTypes.AssignmentUpdated,
      EventTypes.AssignmentUnacknowledged,
    ],
    byAgency,
  )
  async onAssignmentChanged(
    @Payload()
    event: EventEnvelope<'assignment.created' | 'assignment.updated' | 'assignment.unacknowledged'>,
  ): Promise<void> {
    await this.fanout.toAgencyAndIncident(event);
  }

  @OnEvent(
    [EventTypes.GeofenceEntered, EventTypes.GeofenceExited, EventTypes.GeofenceDwell],
    byAgency,
  )
  async onGeofence(
    @Payload() event: EventEnvelope<'geofence.entered' | 'geofence.exited' | 'geofence.dwell'>,
  ): Promise<void> {
    await this.fanout.toZone(event);
  }

  /** Call intake, notes and linked incidents (#23): incident ones also to its subscribers. */
  @OnEvent([EventTypes.CallLinked, EventTypes.IncidentsLinked], byAgency)
  async onIncidentLinks(
    @Payload() event: EventEnvelope<'call.linked' | 'incidents.linked'>,
  ): Promise<void> {
    await this.fanout.toAgencyAndIncident(event);
  }

  @OnEvent(EventTypes.CallReceived, byAgency)
  async onCallReceived(@Payload() event: EventEnvelope<'call.received'>): Promise<void> {
    await this.fanout.toAgency(event);
  }

  @OnEvent(EventTypes.NoteAdded, byAgency)
  async onNoteAdded(@Payload() event: EventEnvelope<'note.added'>): Promise<void> {
    const { incidentId } = event.data;
    await (incidentId
      ? this.fanout.toAgencyAndIncident({ ...event, data: { ...event.data, incidentId } })
      : this.fanout.toAgency(event));
  }

  @OnEvent(EventTypes.UnitMoved)
  onUnitMoved(@Payload() event: EventEnvelope<'unit.moved'>): void {
    this.coalescer.add(event.agencyId, event.data);
  }

  @OnEvent(EventTypes.UserSessionsRevoked)
  onSessionsRevoked(@Payload() event: EventEnvelope<'user.sessions_revoked'>): void {
    this.fanout.revokeSessions(event);
  }
}
