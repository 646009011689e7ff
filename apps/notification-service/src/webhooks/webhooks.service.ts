import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  uuidv7,
  type CreatedWebhook,
  type NotifyWebhookCreateRequest,
  type Webhook,
  type WebhookList,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import { createLogger } from '@gad/observability';
import { AgencySettingsCache } from '../escalation/agency-settings.service';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { SecretBox } from '@gad/platform';
import { WebhookTargetError, parseWebhookTarget, resolveWebhookTarget } from './webhook-target';
import {
  WebhookSetupRepository,
  type StoredWebhook,
  type WebhookForDelivery,
} from './webhooks.repository';
import { WebhooksException, WebhooksExceptionCode } from './webhooks.exception';

/** A sealed secret no configured key opens (unknown key id, tampered): retrying will not help. */
export class WebhookSecretUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretUnreadableError';
  }
}

/** A webhook ready to be called: target, secret in clear, and the agency's allow-listed hosts. */
export interface DeliverableWebhook {
  url: string;
  secret: string;
  active: boolean;
  allowedHosts: readonly string[];
}

const toContract = (w: StoredWebhook): Webhook => ({
  id: w.webhookId,
  url: w.url,
  description: w.description,
  active: w.active,
  createdAt: w.createdAt.toISOString(),
});

/** The row a sealed secret belongs to (AES-GCM additional data: a secret moved to another row fails). */
const aadOf = (agencyId: string, webhookId: string): string => `webhook:${agencyId}:${webhookId}`;

/**
 * Agency webhooks: created with a server-generated secret shown once and stored sealed
 * (AES-256-GCM, key from NOTIFY_SECRETS_KEY), targets checked against request forgery at creation
 * (and again at every delivery, in the webhook channel).
 */
@Injectable()
export class WebhooksService {
  private readonly logger = createLogger('webhooks');
  private readonly box: SecretBox | undefined;

  constructor(
    private readonly repository: WebhookSetupRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly agencySettings: AgencySettingsCache,
    @Inject(NOTIFICATION_SERVICE_CONFIG) config: NotificationServiceConfig,
  ) {
    this.box = config.NOTIFY_SECRETS_KEY
      ? SecretBox.fromEnv(
          config.NOTIFY_SECRETS_KEY,
          config.NOTIFY_SECRETS_KEY_ID,
          config.NOTIFY_SECRETS_PREVIOUS_KEYS,
        )
      : undefined;
  }

  private secretBox(): SecretBox {
    if (!this.box) {
      throw new WebhooksException(
        WebhooksExceptionCode.SecretsKeyMissing,
        503,
        'webhooks are not available: NOTIFY_SECRETS_KEY is not configured',
      );
    }
    return this.box;
  }

  async create(request: NotifyWebhookCreateRequest): Promise<CreatedWebhook> {
    const box = this.secretBox();
    try {
      const target = parseWebhookTarget(request.url);
      await resolveWebhookTarget(target, await this.allowedHosts(request.agencyId));
    } catch (error) {
      if (error instanceof WebhookTargetError) {
        throw new WebhooksException(WebhooksExceptionCode.InvalidTarget, 422, error.message);
      }
      throw error;
    }
    const webhookId = uuidv7();
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const sealed = box.seal(secret, aadOf(request.agencyId, webhookId));
    // One transaction: the webhook and the audit entry api-gateway forwarded (docs/adr/0021). Its
    // result, the entry's after image, holds no secret.
    const created = await this.unitOfWork.run(async ({ client }) => {
      const webhook = toContract(
        await this.repository.insert(
          {
            webhookId,
            agencyId: request.agencyId,
            url: request.url,
            ...(request.description ? { description: request.description } : {}),
            sealed,
          },
          client,
        ),
      );
      describeChange({ after: webhook }, webhookId);
      return webhook;
    });
    return { ...created, secret };
  }

  async list(agencyId: string): Promise<WebhookList> {
    return { items: (await this.repository.list(agencyId)).map(toContract) };
  }

  async delete(agencyId: string, webhookId: string): Promise<{ deleted: true }> {
    return this.unitOfWork.run(async ({ client }) => {
      const before = (await this.repository.list(agencyId, client)).find(
        (webhook) => webhook.webhookId === webhookId,
      );
      if (!(await this.repository.delete(agencyId, webhookId, client))) {
        throw new WebhooksException(WebhooksExceptionCode.NotFound, 404, 'no such webhook');
      }
      describeChange({ before: before && toContract(before) }, webhookId);
      return { deleted: true } as const;
    });
  }

  /** Hosts the agency allows to be non-public: its `allowedWebhookHosts` setting. */
  allowedHosts(agencyId: string): Promise<readonly string[]> {
    return this.agencySettings.allowedWebhookHosts(agencyId);
  }

  /** The webhook as a delivery needs it, its secret opened; undefined when it is gone. */
  async deliverable(agencyId: string, webhookId: string): Promise<DeliverableWebhook | undefined> {
    const found = await this.repository.forDelivery(agencyId, webhookId);
    if (!found) {
      return undefined;
    }
    return {
      url: found.url,
      active: found.active,
      secret: await this.openSecret(agencyId, webhookId, found),
      allowedHosts: await this.allowedHosts(agencyId),
    };
  }

  private async openSecret(
    agencyId: string,
    webhookId: string,
    found: WebhookForDelivery,
  ): Promise<string> {
    const aad = aadOf(agencyId, webhookId);
    if (found.sealed) {
      try {
        return this.secretBox().open(found.sealed, aad);
      } catch (error) {
        throw new WebhookSecretUnreadableError((error as Error).message);
      }
    }
    if (found.legacySecret === undefined) {
      throw new Error('webhook has no secret');
    }
    if (this.box) {
      // A plain secret written by the internal upsert RPC: sealed now, the plain copy erased.
      await this.repository.sealLegacy(agencyId, webhookId, this.box.seal(found.legacySecret, aad));
    } else {
      this.logger.warn(
        { webhookId },
        'webhook secret stored in plain text (NOTIFY_SECRETS_KEY unset)',
      );
    }
    return found.legacySecret;
  }
}
