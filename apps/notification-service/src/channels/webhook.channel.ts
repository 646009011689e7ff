import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookHeaders } from '@gad/contracts';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import {
  WebhookTargetError,
  parseWebhookTarget,
  resolveWebhookTarget,
  systemResolver,
  type Resolver,
} from '../webhooks/webhook-target';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  isPermanentStatus,
} from './channel.errors';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the value of `x-gad-signature`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Where the webhook goes and which hosts of the agency may be non-public. */
export interface WebhookDestination {
  url: string;
  secret: string;
  allowedHosts: readonly string[];
}

/**
 * Posts a JSON event to an agency endpoint, signed and timestamped (receivers reject replays).
 * Request forgery is stopped here too, not only when the webhook is created: the host is resolved,
 * the call refused if any address is loopback, private, link-local or otherwise non-public (unless
 * the agency allow-lists the host), and the connection goes to the checked address (TLS still
 * verifies the name), so a name re-pointed after the check (DNS rebinding) is not followed.
 * Redirects are never followed.
 */
@Injectable()
export class WebhookChannel {
  private readonly ca: Buffer | undefined;
  /** Tests substitute a resolver. */
  resolver: Resolver = systemResolver;

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    this.ca = config.WEBHOOK_CA_FILE ? readFileSync(config.WEBHOOK_CA_FILE) : undefined;
  }

  /** Resolves with the HTTP status on 2xx. */
  async send(
    destination: WebhookDestination,
    eventId: string,
    payload: unknown,
    now: Date,
  ): Promise<number> {
    let address: string;
    let target: ReturnType<typeof parseWebhookTarget>;
    try {
      target = parseWebhookTarget(destination.url);
      const addresses = await resolveWebhookTarget(target, destination.allowedHosts, this.resolver);
      address = (addresses[0] as { address: string }).address;
    } catch (error) {
      if (error instanceof WebhookTargetError) {
        throw new PermanentDeliveryError(`webhook target refused: ${error.message}`);
      }
      throw error;
    }
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const status = await this.post(
      target.url,
      target.literal ? undefined : target.host,
      address,
      {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        [WebhookHeaders.Timestamp]: timestamp,
        [WebhookHeaders.Signature]: webhookSignature(destination.secret, timestamp, body),
        [WebhookHeaders.EventId]: eventId,
      },
      body,
    );
    if (status >= 200 && status < 300) {
      return status;
    }
    if (status >= 300 && status < 400) {
      throw new PermanentDeliveryError(`webhook ${status}: redirects are not followed`);
    }
    const detail = `webhook ${status}`;
    throw isPermanentStatus(status)
      ? new PermanentDeliveryError(detail)
      : new TransientDeliveryError(detail);
  }

  private post(
    url: URL,
    servername: string | undefined,
    address: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: address,
          port: url.port ? Number(url.port) : 443,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...headers, host: url.host },
          ...(servername ? { servername } : {}),
          ...(this.ca ? { ca: this.ca } : {}),
          timeout: this.config.CHANNEL_TIMEOUT_MS,
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', (error) =>
            reject(new TransientDeliveryError(`webhook unreachable: ${error.message}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) =>
        reject(new TransientDeliveryError(`webhook unreachable: ${error.message}`)),
      );
      req.end(body);
    });
  }
}
