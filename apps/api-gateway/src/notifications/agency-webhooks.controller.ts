import { Controller } from '@nestjs/common';
import { Audited } from '@gad/audit';
import {
  AuditActions,
  operations,
  type AccessClaims,
  type CreateWebhookRequest,
  type CreatedWebhook,
  type WebhookList,
} from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { AgencyWebhooksService } from './agency-webhooks.service';

/** `/v1/agency/webhooks`: the agency admin's webhooks (secret shown once, at creation). */
@Controller()
export class AgencyWebhooksController {
  constructor(private readonly webhooks: AgencyWebhooksService) {}

  @HttpOperation(operations.createAgencyWebhook)
  // The answer carries the secret: the audit entry keeps the request, never the result.
  @Audited({ action: AuditActions.Created, objectType: 'webhook', captureResult: false })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createAgencyWebhook) body: CreateWebhookRequest,
  ): Promise<CreatedWebhook> {
    return this.webhooks.create(user, body);
  }

  @HttpOperation(operations.listAgencyWebhooks)
  list(@CurrentUser() user: AccessClaims): Promise<WebhookList> {
    return this.webhooks.list(user);
  }

  @HttpOperation(operations.deleteAgencyWebhook)
  @Audited({ action: AuditActions.Deleted, objectType: 'webhook' })
  delete(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.deleteAgencyWebhook) params: { id: string },
  ): Promise<void> {
    return this.webhooks.delete(user, params.id);
  }
}
