import { Injectable } from '@nestjs/common';
import {
  NOTIFY_RPC_SERVICE,
  NotifyWebhookRpcPatterns,
  createdWebhookSchema,
  notifyWebhookDeleteReplySchema,
  webhookListSchema,
  type AccessClaims,
  type CreateWebhookRequest,
  type CreatedWebhook,
  type WebhookList,
} from '@gad/contracts';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/**
 * The caller's agency webhooks, kept by notification-service (which checks targets against request
 * forgery, generates the secret and stores it encrypted); always scoped to the caller's agency.
 */
@Injectable()
export class AgencyWebhooksService {
  constructor(private readonly rpc: ServiceRpcClient) {}

  create(user: AccessClaims, body: CreateWebhookRequest): Promise<CreatedWebhook> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyWebhookRpcPatterns.Create,
      { ...body, agencyId: user.agencyId },
      createdWebhookSchema,
    );
  }

  list(user: AccessClaims): Promise<WebhookList> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyWebhookRpcPatterns.List,
      { agencyId: user.agencyId },
      webhookListSchema,
    );
  }

  async delete(user: AccessClaims, webhookId: string): Promise<void> {
    await this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyWebhookRpcPatterns.Delete,
      { agencyId: user.agencyId, webhookId },
      notifyWebhookDeleteReplySchema,
    );
  }
}
