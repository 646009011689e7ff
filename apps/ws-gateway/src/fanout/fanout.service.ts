import { Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { roomOf, traceIdOf, type Envelope } from '@gad/contracts';
import { DispatchGateway } from '../dispatch/dispatch.gateway';

/** Emits domain events to the rooms that should see them; the adapter spreads it to other instances. */
@Injectable()
export class FanoutService {
  private readonly logger = createLogger('fanout');

  constructor(private readonly dispatch: DispatchGateway) {}

  toAgency(envelope: Envelope): void {
    this.dispatch.namespace.to(roomOf.agency(envelope.agencyId)).emit(envelope.type, envelope);
    this.logger.info(
      {
        eventId: envelope.id,
        type: envelope.type,
        room: roomOf.agency(envelope.agencyId),
        eventTraceId: traceIdOf(envelope.traceparent),
      },
      'event emitted',
    );
  }
}
