import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  EventTypes,
  type AssignmentCreatedV1,
  type AssignmentUpdatedV1,
  type Envelope,
  type IncidentCreatedV1,
  type IncidentStatusChangedV1,
  type UnitStatusChangedV1,
  type UnitUpdatedV1,
  type UserSessionsRevokedV1,
} from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';
import { NoticesService } from '../notices/notices.service';
import { RecipientsService } from '../recipients/recipients.service';
import { validated } from '../intake/event-data';
import { SerialByKey } from '../intake/serial-by-key';

/** `gad:dispatch:events`: assignments become commands, incidents notices; duty and logins projected. */
@Controller()
export class DispatchEventsHandler {
  /** Events of one unit keep their stream order (the consumer runs entries concurrently). */
  private readonly serial = new SerialByKey();

  constructor(
    private readonly commands: CommandsService,
    private readonly notices: NoticesService,
    private readonly recipients: RecipientsService,
  ) {}

  @EventPattern(EventTypes.IncidentCreated)
  onIncidentCreated(@Payload() envelope: Envelope): Promise<void> {
    return this.notices.onIncidentCreated(validated<IncidentCreatedV1>(envelope));
  }

  @EventPattern(EventTypes.IncidentStatusChanged)
  onIncidentStatusChanged(@Payload() envelope: Envelope): Promise<void> {
    return this.commands.onIncidentStatusChanged(validated<IncidentStatusChangedV1>(envelope));
  }

  @EventPattern(EventTypes.AssignmentCreated)
  onAssignmentCreated(@Payload() envelope: Envelope): Promise<void> {
    const event = validated<AssignmentCreatedV1>(envelope);
    return this.serial.run(unitKey(event.agencyId, event.data.unitId), () =>
      this.commands.onAssignmentCreated(event),
    );
  }

  @EventPattern(EventTypes.AssignmentUpdated)
  onAssignmentUpdated(@Payload() envelope: Envelope): Promise<void> {
    const event = validated<AssignmentUpdatedV1>(envelope);
    return this.serial.run(unitKey(event.agencyId, event.data.unitId), () =>
      this.commands.onAssignmentUpdated(event),
    );
  }

  @EventPattern(EventTypes.UnitStatusChanged)
  async onUnitStatusChanged(@Payload() envelope: Envelope): Promise<void> {
    const { agencyId, data, occurredAt } = validated<UnitStatusChangedV1>(envelope);
    await this.serial.run(unitKey(agencyId, data.unitId), () =>
      this.recipients.unitStatus(
        agencyId,
        data.unitId,
        data.status,
        new Date(data.changedAt ?? occurredAt),
      ),
    );
  }

  @EventPattern(EventTypes.UnitUpdated)
  async onUnitUpdated(@Payload() envelope: Envelope): Promise<void> {
    const { agencyId, data, occurredAt } = validated<UnitUpdatedV1>(envelope);
    if (data.status) {
      await this.recipients.unitStatus(
        agencyId,
        data.unitId,
        data.status,
        new Date(data.updatedAt ?? occurredAt),
      );
    }
  }

  @EventPattern(EventTypes.UserSessionsRevoked)
  async onSessionsRevoked(@Payload() envelope: Envelope): Promise<void> {
    const { agencyId, data } = validated<UserSessionsRevokedV1>(envelope);
    // One session ending says nothing about the user's other devices; all of them ending does.
    if (data.sessionId === undefined) {
      await this.recipients.loggedOut(agencyId, data.userId, new Date(data.revokedAt));
    }
  }
}

const unitKey = (agencyId: string, unitId: string): string => `${agencyId}\u0000${unitId}`;
