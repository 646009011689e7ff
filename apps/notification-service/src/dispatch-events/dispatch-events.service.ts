import { Injectable, Logger } from '@nestjs/common';
import type { Envelope, IncidentCreatedV1 } from '@gad/contracts';

/**
 * Turns dispatch events into notifications. The walking skeleton only records that the event was
 * received and which agency's dispatchers a notice is for; channels and commands come with the
 * notification issue.
 */
@Injectable()
export class DispatchEventsService {
  private readonly logger = new Logger(DispatchEventsService.name);

  onIncidentCreated(envelope: Envelope<IncidentCreatedV1>): void {
    this.logger.log({
      msg: 'incident notice prepared',
      eventId: envelope.id,
      type: envelope.type,
      agencyId: envelope.agencyId,
      incidentId: envelope.data.incidentId,
      priority: envelope.data.priority,
    });
  }
}
