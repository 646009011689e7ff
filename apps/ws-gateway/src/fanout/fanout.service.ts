import { Injectable, Logger } from '@nestjs/common';
import { roomOf, traceIdOf, type Envelope } from '@gad/contracts';
import { DispatchGateway } from '../dispatch/dispatch.gateway';

/** Emits domain events to the rooms that should see them; the adapter spreads it to other instances. */
@Injectable()
export class FanoutService {
  private readonly logger = new Logger(FanoutService.name);

  constructor(private readonly dispatch: DispatchGateway) {}

  toAgency(envelope: Envelope): void {
    this.dispatch.namespace.to(roomOf.agency(envelope.agencyId)).emit(envelope.type, envelope);
    this.logger.log({
      msg: 'event emitted',
      eventId: envelope.id,
      type: envelope.type,
      room: roomOf.agency(envelope.agencyId),
      eventTraceId: traceIdOf(envelope.traceparent),
    });
  }
}
