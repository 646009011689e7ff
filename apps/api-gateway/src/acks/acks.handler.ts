import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { AcksService } from './acks.service';

/**
 * `command.acknowledged` from `gad:field:acks` (consumer group `api-gateway`), the only stream the
 * api-gateway consumes (docs/adr/0028); the transport validates it against the registry first.
 */
@Controller()
export class AcksHandler {
  constructor(private readonly acks: AcksService) {}

  @OnEvent(EventTypes.CommandAcknowledged)
  async onCommandAcknowledged(
    @Payload() event: EventEnvelope<'command.acknowledged'>,
  ): Promise<void> {
    await this.acks.commandAcknowledged(event);
  }
}
