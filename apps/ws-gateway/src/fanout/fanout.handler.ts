import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  EventTypes,
  parseEventData,
  type CommandIssuedV1,
  type Envelope,
  type UnitMovedV1,
  type UserSessionsRevokedV1,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { CommandsService } from '../commands/commands.service';
import { FanoutService } from './fanout.service';
import { PositionCoalescer } from './position-coalescer';

const logger = createLogger('fanout-handler');

/** Validates `data` against the registry; an invalid event is retried, then dead-lettered. */
function validated<T>(envelope: Envelope): Envelope<T> {
  const parsed = parseEventData(envelope.type, envelope.version, envelope.data);
  if (!parsed.success) {
    logger.warn(
      { eventId: envelope.id, type: envelope.type, error: parsed.error },
      'invalid event',
    );
    throw new Error(`invalid ${envelope.type}@v${envelope.version}: ${parsed.error}`);
  }
  return { ...envelope, data: parsed.data as T };
}

/**
 * Bus handlers of group `ws-gateway` on `gad:dispatch:events`, `gad:geo:events` and
 * `gad:notify:outbound`: each event is handled by one instance and emitted through the adapter.
 */
@Controller()
export class FanoutHandler {
  constructor(
    private readonly fanout: FanoutService,
    private readonly commands: CommandsService,
    private readonly coalescer: PositionCoalescer,
  ) {}

  @EventPattern(EventTypes.IncidentCreated)
  async onIncidentCreated(@Payload() envelope: Envelope): Promise<void> {
    await this.fanout.incidentCreated(validated<{ incidentId: string }>(envelope));
  }

  @EventPattern(EventTypes.UnitStatusChanged)
  onUnitStatusChanged(@Payload() envelope: Envelope): void {
    this.fanout.toAgency(validated(envelope));
  }

  @EventPattern(EventTypes.UnitUpdated)
  onUnitUpdated(@Payload() envelope: Envelope): void {
    this.fanout.toAgency(validated(envelope));
  }

  @EventPattern(EventTypes.AssignmentCreated)
  onAssignmentCreated(@Payload() envelope: Envelope): void {
    this.fanout.toAgencyAndIncident(validated<{ incidentId: string }>(envelope));
  }

  @EventPattern(EventTypes.AssignmentUpdated)
  onAssignmentUpdated(@Payload() envelope: Envelope): void {
    this.fanout.toAgencyAndIncident(validated<{ incidentId: string }>(envelope));
  }

  @EventPattern(EventTypes.AssignmentUnacknowledged)
  onAssignmentUnacknowledged(@Payload() envelope: Envelope): void {
    this.fanout.toAgencyAndIncident(validated<{ incidentId: string }>(envelope));
  }

  @EventPattern(EventTypes.GeofenceEntered)
  async onGeofenceEntered(@Payload() envelope: Envelope): Promise<void> {
    await this.fanout.toZone(validated<{ geofenceId: string; incidentId?: string }>(envelope));
  }

  @EventPattern(EventTypes.GeofenceExited)
  async onGeofenceExited(@Payload() envelope: Envelope): Promise<void> {
    await this.fanout.toZone(validated<{ geofenceId: string; incidentId?: string }>(envelope));
  }

  @EventPattern(EventTypes.GeofenceDwell)
  async onGeofenceDwell(@Payload() envelope: Envelope): Promise<void> {
    await this.fanout.toZone(validated<{ geofenceId: string; incidentId?: string }>(envelope));
  }

  @EventPattern(EventTypes.UnitMoved)
  onUnitMoved(@Payload() envelope: Envelope): void {
    const moved = validated<UnitMovedV1>(envelope);
    this.coalescer.add(moved.agencyId, moved.data);
  }

  @EventPattern(EventTypes.UserSessionsRevoked)
  onSessionsRevoked(@Payload() envelope: Envelope): void {
    this.fanout.revokeSessions(validated<UserSessionsRevokedV1>(envelope));
  }

  /** Resolves once the command is in the recipient's log (a throw retries; the log dedupes). */
  @EventPattern(EventTypes.CommandIssued)
  async onCommandIssued(@Payload() envelope: Envelope): Promise<void> {
    await this.commands.issue(validated<CommandIssuedV1>(envelope));
  }
}
