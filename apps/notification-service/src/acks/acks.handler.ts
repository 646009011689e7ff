import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { AllCallsService } from '../all-calls/all-calls.service';
import { CommandsService } from '../commands/commands.service';

/**
 * `gad:field:acks`: device acknowledgements advance commands and stop escalation, or record an
 * all-call's stage (each service ignores commands that are not its own).
 */
@Controller()
export class AcksHandler {
  constructor(
    private readonly commands: CommandsService,
    private readonly allCalls: AllCallsService,
  ) {}

  /** Acks of one command keep their order (delivered before accepted). */
  @OnEvent(EventTypes.CommandAcknowledged, {
    orderKey: (event) => `command:${event.agencyId}:${event.data.commandId}`,
  })
  async onAcknowledged(@Payload() event: EventEnvelope<'command.acknowledged'>): Promise<void> {
    await this.commands.onAcknowledged(event);
    await this.allCalls.onAcknowledged(event);
  }
}
