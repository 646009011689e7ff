import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { AcksService } from './acks.service';

/**
 * `command.issued` from `gad:notify:outbound` and `command.acknowledged` from `gad:field:acks`
 * (consumer group `api-gateway`); the transport validates both against the registry first.
 */
@Controller()
export class AcksHandler {
  constructor(private readonly acks: AcksService) {}

  @OnEvent(EventTypes.CommandIssued)
  async onCommandIssued(@Payload() event: EventEnvelope<'command.issued'>): Promise<void> {
    await this.acks.commandIssued(event);
  }

  @OnEvent(EventTypes.CommandAcknowledged)
  async onCommandAcknowledged(
    @Payload() event: EventEnvelope<'command.acknowledged'>,
  ): Promise<void> {
    await this.acks.commandAcknowledged(event);
  }
}
