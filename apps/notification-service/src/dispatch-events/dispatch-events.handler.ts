import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';
import { NoticesService } from '../notices/notices.service';
import { RecipientsService } from '../recipients/recipients.service';

/**
 * Events of one unit keep their stream order (the consumer runs entries concurrently): the same
 * key for assignments and status changes.
 */
const byUnit = (event: { agencyId: string; data: { unitId: string } }): string =>
  `unit:${event.agencyId}:${event.data.unitId}`;

/** `gad:dispatch:events`: assignments become commands, incidents notices; duty and logins projected. */
@Controller()
export class DispatchEventsHandler {
  constructor(
    private readonly commands: CommandsService,
    private readonly notices: NoticesService,
    private readonly recipients: RecipientsService,
  ) {}

  @OnEvent(EventTypes.IncidentCreated)
  onIncidentCreated(@Payload() event: EventEnvelope<'incident.created'>): Promise<void> {
    return this.notices.onIncidentCreated(event);
  }

  @OnEvent(EventTypes.IncidentStatusChanged)
  onIncidentStatusChanged(
    @Payload() event: EventEnvelope<'incident.status_changed'>,
  ): Promise<void> {
    return this.commands.onIncidentStatusChanged(event);
  }

  @OnEvent(EventTypes.AssignmentCreated, { orderKey: byUnit })
  onAssignmentCreated(@Payload() event: EventEnvelope<'assignment.created'>): Promise<void> {
    return this.commands.onAssignmentCreated(event);
  }

  @OnEvent(EventTypes.AssignmentUpdated, { orderKey: byUnit })
  onAssignmentUpdated(@Payload() event: EventEnvelope<'assignment.updated'>): Promise<void> {
    return this.commands.onAssignmentUpdated(event);
  }

  @OnEvent(EventTypes.UnitStatusChanged, { orderKey: byUnit })
  onUnitStatusChanged(@Payload() event: EventEnvelope<'unit.status_changed'>): Promise<void> {
    return this.projectStatus(event, event.data.status, event.data.changedAt);
  }

  @OnEvent(EventTypes.UnitUpdated)
  async onUnitUpdated(@Payload() event: EventEnvelope<'unit.updated'>): Promise<void> {
    if (event.data.status) {
      await this.projectStatus(event, event.data.status, event.data.updatedAt);
    }
  }

  @OnEvent(EventTypes.UserSessionsRevoked)
  async onSessionsRevoked(
    @Payload() { agencyId, data }: EventEnvelope<'user.sessions_revoked'>,
  ): Promise<void> {
    // One session ending says nothing about the user's other devices; all of them ending does.
    if (data.sessionId === undefined) {
      await this.recipients.loggedOut(agencyId, data.userId, new Date(data.revokedAt));
    }
  }

  /** The unit's duty status as of the event (its own time when it has one). */
  private projectStatus(
    event: { agencyId: string; occurredAt: string; data: { unitId: string } },
    status: string,
    at: string | undefined,
  ): Promise<void> {
    return this.recipients.unitStatus(
      event.agencyId,
      event.data.unitId,
      status,
      new Date(at ?? event.occurredAt),
    );
  }
}
