import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';

/** `gad:field:acks`: device acknowledgements advance commands and stop escalation. */
@Controller()
export class AcksHandler {
  constructor(private readonly commands: CommandsService) {}

  /** Acks of one command keep their order (delivered before accepted). */
  @OnEvent(EventTypes.CommandAcknowledged, {
    orderKey: (event) => `command:${event.agencyId}:${event.data.commandId}`,
  })
  onAcknowledged(@Payload() event: EventEnvelope<'command.acknowledged'>): Promise<void> {
    return this.commands.onAcknowledged(event);
  }
}
