import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, type Envelope, type IncidentCreatedV1 } from '@gad/contracts';
import { FanoutService } from './fanout.service';

/** Bus handlers for `gad:dispatch:events`: translate and hand over to the fan-out. */
@Controller()
export class FanoutHandler {
  constructor(private readonly fanout: FanoutService) {}

  @EventPattern(EventTypes.IncidentCreated)
  onIncidentCreated(@Payload() envelope: Envelope<IncidentCreatedV1>): void {
    this.fanout.toAgency(envelope);
  }
}
