import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, type CommandAcknowledgedV1, type Envelope } from '@gad/contracts';
import { CommandsService } from '../commands/commands.service';
import { validated } from '../intake/event-data';
import { SerialByKey } from '../intake/serial-by-key';

/** `gad:field:acks`: device acknowledgements advance commands and stop escalation. */
@Controller()
export class AcksHandler {
  /** Acks of one command keep their order (delivered before accepted). */
  private readonly serial = new SerialByKey();

  constructor(private readonly commands: CommandsService) {}

  @EventPattern(EventTypes.CommandAcknowledged)
  onAcknowledged(@Payload() envelope: Envelope): Promise<void> {
    const event = validated<CommandAcknowledgedV1>(envelope);
    return this.serial.run(`${event.agencyId}\u0000${event.data.commandId}`, () =>
      this.commands.onAcknowledged(event),
    );
  }
}
