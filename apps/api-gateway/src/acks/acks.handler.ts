import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  EventTypes,
  parseEventData,
  type CommandAcknowledgedV1,
  type CommandIssuedV1,
  type Envelope,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { AcksService } from './acks.service';

/**
 * `command.issued` from `gad:notify:outbound` and `command.acknowledged` from `gad:field:acks`
 * (consumer group `api-gateway`).
 */
@Controller()
export class AcksHandler {
  private readonly logger = createLogger('acks');

  constructor(private readonly acks: AcksService) {}

  @EventPattern(EventTypes.CommandIssued)
  async onCommandIssued(@Payload() envelope: Envelope): Promise<void> {
    await this.acks.commandIssued({ ...envelope, data: this.parse<CommandIssuedV1>(envelope) });
  }

  @EventPattern(EventTypes.CommandAcknowledged)
  async onCommandAcknowledged(@Payload() envelope: Envelope): Promise<void> {
    await this.acks.commandAcknowledged({
      ...envelope,
      data: this.parse<CommandAcknowledgedV1>(envelope),
    });
  }

  /** Invalid data throws: the entry is retried and then dead-lettered. */
  private parse<T>(envelope: Envelope): T {
    const parsed = parseEventData(envelope.type, envelope.version, envelope.data);
    if (!parsed.success) {
      this.logger.warn(
        { eventId: envelope.id, type: envelope.type, error: parsed.error },
        'invalid event',
      );
      throw new Error(`invalid ${envelope.type}@v${envelope.version}: ${parsed.error}`);
    }
    return parsed.data as T;
  }
}
