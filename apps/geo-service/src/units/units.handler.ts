import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  EventTypes,
  parseEventData,
  type Envelope,
  type UnitStatusChangedV1,
  type UnitUpdatedV1,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { UnitsService } from './units.service';

/** Unit status/capability projection from `gad:dispatch:events`. */
@Controller()
export class UnitsHandler {
  private readonly logger = createLogger('geo-units');

  constructor(private readonly units: UnitsService) {}

  @EventPattern(EventTypes.UnitStatusChanged)
  async onStatusChanged(@Payload() envelope: Envelope): Promise<void> {
    await this.units.statusChanged({
      ...envelope,
      data: this.parse<UnitStatusChangedV1>(envelope),
    });
  }

  @EventPattern(EventTypes.UnitUpdated)
  async onUpdated(@Payload() envelope: Envelope): Promise<void> {
    await this.units.updated({ ...envelope, data: this.parse<UnitUpdatedV1>(envelope) });
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
