import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext } from '@gad/bus';
import { NotifyRpcPatterns, notifyRecipientUpsertRequestSchema } from '@gad/contracts';
import { parseRpcRequest } from '../intake/rpc-request';
import { RecipientsService } from './recipients.service';

/** `notify.recipients.upsert` on `gad:rpc:notification-service`: validate, scope, delegate. */
@Controller()
export class RecipientsHandler {
  constructor(private readonly recipients: RecipientsService) {}

  @MessagePattern(NotifyRpcPatterns.RecipientUpsert)
  async upsertRecipient(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<{ userId: string }> {
    const request = parseRpcRequest(notifyRecipientUpsertRequestSchema, payload, ctx);
    await this.recipients.upsert(request);
    return { userId: request.userId };
  }
}
