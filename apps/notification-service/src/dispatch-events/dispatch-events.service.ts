import { Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import type { Envelope, IncidentCreatedV1 } from '@gad/contracts';

/**
 * Turns dispatch events into notifications. The walking skeleton only records that the event was
 * received and which agency's dispatchers a notice is for; channels and commands come with the
 * notification issue.
 */
@Injectable()
export class DispatchEventsService {
  private readonly logger = createLogger('dispatch-events');

  onIncidentCreated(envelope: Envelope<IncidentCreatedV1>): void {
    this.logger.info(
      {
        eventId: envelope.id,
        type: envelope.type,
        agencyId: envelope.agencyId,
        incidentId: envelope.data.incidentId,
        priority: envelope.data.priority,
      },
      'incident notice prepared',
    );
  }
}
