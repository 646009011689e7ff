import type { Envelope } from '@gad/contracts';
import { BaseRpcContext } from '@nestjs/microservices';
import type { Delivery } from './stream.consumer';

/** Second argument of `@EventPattern` / `@MessagePattern` handlers on the Redis Streams transport (`@Ctx()`). */
export class BusContext extends BaseRpcContext<[Envelope, Delivery]> {
  private audited?: string;

  /**
   * Marks the request's `audit` entry as recorded with the change (set by the audit interceptor):
   * the reply tells the caller, which then does not record it again (docs/adr/0021).
   */
  markAuditRecorded(entryId: string): void {
    this.audited = entryId;
  }

  /** The id of the request's `audit` entry once recorded, else undefined. */
  getAuditRecorded(): string | undefined {
    return this.audited;
  }

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
