import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookHeaders } from '@gad/contracts';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  isPermanentStatus,
} from './channel.errors';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the value of `x-gad-signature`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Posts a JSON event to an agency endpoint, signed and timestamped (receivers reject replays). */
@Injectable()
export class WebhookChannel {
  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  /** Resolves with the HTTP status on 2xx. */
  async send(
    url: string,
    secret: string,
    eventId: string,
    payload: unknown,
    now: Date,
  ): Promise<number> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(now.getTime() / 1000));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WebhookHeaders.Timestamp]: timestamp,
          [WebhookHeaders.Signature]: webhookSignature(secret, timestamp, body),
          [WebhookHeaders.EventId]: eventId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.CHANNEL_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TransientDeliveryError(`webhook unreachable: ${(error as Error).message}`);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) {
      return response.status;
    }
    const detail = `webhook ${response.status}`;
    throw isPermanentStatus(response.status)
      ? new PermanentDeliveryError(detail)
      : new TransientDeliveryError(detail);
  }
}
