import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext } from '@gad/bus';
import {
  NotifyRpcPatterns,
  notifyIncidentNotificationsRequestSchema,
  notifyWebhookUpsertRequestSchema,
  type IncidentNotificationsResponse,
} from '@gad/contracts';
import { parseRpcRequest } from '../intake/rpc-request';
import { NotificationsQueryService } from './notifications-query.service';

/**
 * `notify.incident_notifications` and `notify.webhooks.upsert` on `gad:rpc:notification-service`:
 * validate, scope to the caller's agency, delegate.
 */
@Controller()
export class NotificationsHandler {
  constructor(private readonly query: NotificationsQueryService) {}

  @MessagePattern(NotifyRpcPatterns.IncidentNotifications)
  incidentNotifications(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<IncidentNotificationsResponse> {
    const request = parseRpcRequest(notifyIncidentNotificationsRequestSchema, payload, ctx);
    return this.query.incidentNotifications(request.agencyId, request.incidentId);
  }

  @MessagePattern(NotifyRpcPatterns.WebhookUpsert)
  upsertWebhook(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<{ webhookId: string }> {
    return this.query.upsertWebhook(
      parseRpcRequest(notifyWebhookUpsertRequestSchema, payload, ctx),
    );
  }
}
