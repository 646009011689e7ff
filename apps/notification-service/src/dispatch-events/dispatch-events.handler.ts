import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, type Envelope, type IncidentCreatedV1 } from '@gad/contracts';
import { DispatchEventsService } from './dispatch-events.service';

@Controller()
export class DispatchEventsHandler {
  constructor(private readonly service: DispatchEventsService) {}

  @EventPattern(EventTypes.IncidentCreated)
  onIncidentCreated(@Payload() envelope: Envelope<IncidentCreatedV1>): void {
    this.service.onIncidentCreated(envelope);
  }
}
