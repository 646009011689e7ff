import { Inject, Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  isPermanentStatus,
} from './channel.errors';
import { RateGate } from './rate-gate';

interface TelegramResponse {
  ok: boolean;
  description?: string;
  error_code?: number;
  parameters?: { retry_after?: number };
}

/**
 * Telegram Bot API `sendMessage` over HTTP. Global and per-chat rate limits are kept before each
 * call; a 429 is waited out (`parameters.retry_after`, up to TELEGRAM_MAX_RETRY_AFTER_S) and the
 * call repeated, so a burst is slowed down instead of dropped.
 */
@Injectable()
export class TelegramChannel {
  private readonly logger = createLogger('telegram-channel');
  private readonly gate: RateGate;

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    this.gate = new RateGate(config.TELEGRAM_GLOBAL_PER_SECOND, config.TELEGRAM_CHAT_PER_SECOND);
  }

  get enabled(): boolean {
    return this.config.TELEGRAM_BOT_TOKEN !== undefined;
  }

  /** Sends `text` to `chatId`; `onRateLimited` is told about each 429 waited out. */
  async send(
    chatId: string,
    text: string,
    onRateLimited?: (retryAfterS: number) => Promise<void> | void,
  ): Promise<void> {
    if (!this.config.TELEGRAM_BOT_TOKEN) {
      throw new PermanentDeliveryError('telegram is not configured (TELEGRAM_BOT_TOKEN)');
    }
    const url = `${this.config.TELEGRAM_API_URL.replace(/\/$/, '')}/bot${this.config.TELEGRAM_BOT_TOKEN}/sendMessage`;
    for (let attempt = 1; ; attempt++) {
      await this.gate.wait(chatId);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: chatId, text: text.slice(0, 4096) }),
          signal: AbortSignal.timeout(this.config.CHANNEL_TIMEOUT_MS),
        });
      } catch (error) {
        throw new TransientDeliveryError(`telegram unreachable: ${(error as Error).message}`);
      }
      const body = (await response.json().catch(() => ({}))) as TelegramResponse;
      if (response.ok && body.ok !== false) {
        return;
      }
      if (response.status === 429) {
        const retryAfterS = Math.max(1, Number(body.parameters?.retry_after ?? 1));
        if (retryAfterS > this.config.TELEGRAM_MAX_RETRY_AFTER_S || attempt >= 5) {
          throw new TransientDeliveryError(`telegram 429, retry_after ${retryAfterS}s`);
        }
        this.gate.holdOff(retryAfterS * 1000, chatId);
        this.logger.warn({ chatId, retryAfterS }, 'telegram rate limited; waiting');
        await onRateLimited?.(retryAfterS);
        continue;
      }
      const detail = `telegram ${response.status}: ${body.description ?? 'error'}`;
      throw isPermanentStatus(response.status)
        ? new PermanentDeliveryError(detail)
        : new TransientDeliveryError(detail);
    }
  }
}
