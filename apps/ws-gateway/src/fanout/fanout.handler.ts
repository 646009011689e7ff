import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';
import { FanoutService } from './fanout.service';
import { PositionCoalescer } from './position-coalescer';

/**
 * Bus handlers of group `ws-gateway` on `gad:dispatch:events`, `gad:geo:events` and
 * `gad:notify:outbound`: each event is handled by one instance and emitted through the adapter.
 * The transport validates every event against the registry first (`@OnEvent`).
 */
@Controller()
export class FanoutHandler {
  constructor(
    private readonly fanout: FanoutService,
    private readonly commands: CommandsService,
    private readonly coalescer: PositionCoalescer,
  ) {}

  @OnEvent(EventTypes.IncidentCreated)
  async onIncidentCreated(@Payload() event: EventEnvelope<'incident.created'>): Promise<void> {
    await this.fanout.incidentCreated(event);
  }

  @OnEvent([EventTypes.UnitStatusChanged, EventTypes.UnitUpdated])
  onUnitChanged(@Payload() event: EventEnvelope<'unit.status_changed' | 'unit.updated'>): void {
    this.fanout.toAgency(event);
  }

  @OnEvent([
    EventTypes.AssignmentCreated,
    EventTypes.AssignmentUpdated,
    EventTypes.AssignmentUnacknowledged,
  ])
  onAssignmentChanged(
    @Payload()
    event: EventEnvelope<'assignment.created' | 'assignment.updated' | 'assignment.unacknowledged'>,
  ): void {
    this.fanout.toAgencyAndIncident(event);
  }

  @OnEvent([EventTypes.GeofenceEntered, EventTypes.GeofenceExited, EventTypes.GeofenceDwell])
  async onGeofence(
    @Payload() event: EventEnvelope<'geofence.entered' | 'geofence.exited' | 'geofence.dwell'>,
  ): Promise<void> {
    await this.fanout.toZone(event);
  }

  @OnEvent(EventTypes.UnitMoved)
  onUnitMoved(@Payload() event: EventEnvelope<'unit.moved'>): void {
    this.coalescer.add(event.agencyId, event.data);
  }

  @OnEvent(EventTypes.UserSessionsRevoked)
  onSessionsRevoked(@Payload() event: EventEnvelope<'user.sessions_revoked'>): void {
    this.fanout.revokeSessions(event);
  }

  /** Resolves once the command is in the recipient's log (a throw retries; the log dedupes). */
  @OnEvent(EventTypes.CommandIssued)
  async onCommandIssued(@Payload() event: EventEnvelope<'command.issued'>): Promise<void> {
    await this.commands.issue(event);
  }
}
