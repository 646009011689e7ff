import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext } from '@gad/bus';
import {
  NotifyWebhookRpcPatterns,
  notifyWebhookCreateRequestSchema,
  notifyWebhookDeleteRequestSchema,
  notifyWebhookListRequestSchema,
  type CreatedWebhook,
  type WebhookList,
} from '@gad/contracts';
import { parseRpcRequest } from '../intake/rpc-request';
import { WebhooksService } from './webhooks.service';

/** `notify.webhooks.create|list|delete` on `gad:rpc:notification-service` (api-gateway's edge). */
@Controller()
export class WebhooksHandler {
  constructor(private readonly webhooks: WebhooksService) {}

  @MessagePattern(NotifyWebhookRpcPatterns.Create)
  create(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<CreatedWebhook> {
    return this.webhooks.create(parseRpcRequest(notifyWebhookCreateRequestSchema, payload, ctx));
  }

  @MessagePattern(NotifyWebhookRpcPatterns.List)
  list(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<WebhookList> {
    const request = parseRpcRequest(notifyWebhookListRequestSchema, payload, ctx);
    return this.webhooks.list(request.agencyId);
  }

  @MessagePattern(NotifyWebhookRpcPatterns.Delete)
  delete(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<{ deleted: true }> {
    const request = parseRpcRequest(notifyWebhookDeleteRequestSchema, payload, ctx);
    return this.webhooks.delete(request.agencyId, request.webhookId);
  }
}
