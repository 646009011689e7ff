import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext } from '@gad/bus';
import {
  NotifyRpcPatterns,
  notifyIncidentNotificationsRequestSchema,
  notifyRecipientUpsertRequestSchema,
  notifyWebhookUpsertRequestSchema,
  type IncidentNotificationsResponse,
} from '@gad/contracts';
import type { z } from 'zod';
import { NotificationsQueryService } from '../commands/notifications-query.service';
import { NotifyException, NotifyExceptionCode } from '../notify.exception';
import { RecipientsService } from '../recipients/recipients.service';

/** Envelope agency of internal calls made without a tenant (`BusClient.request` default). */
const SYSTEM_AGENCY = 'system';

/** RPCs on `gad:rpc:notification-service`: validate, scope to the caller's agency, delegate. */
@Controller()
export class NotifyHandler {
  constructor(
    private readonly query: NotificationsQueryService,
    private readonly recipients: RecipientsService,
  ) {}

  @MessagePattern(NotifyRpcPatterns.IncidentNotifications)
  incidentNotifications(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<IncidentNotificationsResponse> {
    const request = parse(notifyIncidentNotificationsRequestSchema, payload, ctx);
    return this.query.incidentNotifications(request.agencyId, request.incidentId);
  }

  @MessagePattern(NotifyRpcPatterns.RecipientUpsert)
  async upsertRecipient(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<{ userId: string }> {
    const request = parse(notifyRecipientUpsertRequestSchema, payload, ctx);
    await this.recipients.upsert(request);
    return { userId: request.userId };
  }

  @MessagePattern(NotifyRpcPatterns.WebhookUpsert)
  upsertWebhook(
    @Payload() payload: unknown,
    @Ctx() ctx: BusContext,
  ): Promise<{ webhookId: string }> {
    return this.query.upsertWebhook(parse(notifyWebhookUpsertRequestSchema, payload, ctx));
  }
}

/**
 * Validates the request and checks that the agency it names is the caller's (the request envelope's),
 * unless an internal service calls for the system.
 */
function parse<S extends z.ZodType<{ agencyId: string }>>(
  schema: S,
  payload: unknown,
  ctx: BusContext,
): z.infer<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new NotifyException(NotifyExceptionCode.ValidationFailed, 422, parsed.error.message);
  }
  const caller = ctx.getEnvelope().agencyId;
  if (caller !== SYSTEM_AGENCY && caller !== parsed.data.agencyId) {
    throw new NotifyException(
      NotifyExceptionCode.Forbidden,
      403,
      'the request names another agency than the caller',
    );
  }
  return parsed.data;
}
