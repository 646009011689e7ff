import type { Envelope } from '@gad/contracts';
import { BaseRpcContext } from '@nestjs/microservices';
import type { Delivery } from './stream.consumer';

/** Second argument of `@EventPattern` / `@MessagePattern` handlers on the Redis Streams transport (`@Ctx()`). */
export class BusContext extends BaseRpcContext<[Envelope, Delivery]> {
  /** The whole envelope (for RPC: `data` is the request, `agencyId`/`actor` the caller's). */
  getEnvelope(): Envelope {
    return this.args[0];
  }

  getDelivery(): Delivery {
    return this.args[1];
  }

  getStream(): string {
    return this.args[1].stream;
  }

  getPattern(): string {
    return this.args[0].type;
  }
}
