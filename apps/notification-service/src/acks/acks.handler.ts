import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, type CommandAcknowledgedV1, type Envelope } from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';
import { validated } from '../rpc/event-data';

/** `gad:field:acks`: device acknowledgements advance commands and stop escalation. */
@Controller()
export class AcksHandler {
  constructor(private readonly commands: CommandsService) {}

  @EventPattern(EventTypes.CommandAcknowledged)
  onAcknowledged(@Payload() envelope: Envelope): Promise<void> {
    return this.commands.onAcknowledged(validated<CommandAcknowledgedV1>(envelope));
  }
}
