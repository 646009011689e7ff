import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { TelegramChannel } from '../channels/telegram.channel';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { ContactsService } from './contacts.service';

interface TelegramUpdate {
  update_id: number;
  message?: { chat?: { id?: number | string; type?: string }; text?: string };
}

/** `/start <code>` (the deep link's payload; Telegram allows A-Z, a-z, 0-9, _ and -). */
const START = /^\/start(?:@\w+)?\s+([A-Za-z0-9_-]{16,64})\s*$/;

/**
 * Polls the Bot API's `getUpdates` for `/start <code>` messages and links the chat to the user the
 * code was issued to (then confirms in the chat). Telegram answers 409 to a second concurrent poll
 * of the same bot, so with several replicas one polls at a time and the others back off. Off when
 * TELEGRAM_BOT_TOKEN is unset or TELEGRAM_POLL_UPDATES=false (a bot with a webhook cannot poll).
 */
@Injectable()
export class TelegramUpdatesPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('telegram-updates');
  private readonly abort = new AbortController();
  private offset = 0;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly contacts: ContactsService,
    private readonly telegram: TelegramChannel,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.TELEGRAM_BOT_TOKEN && this.config.TELEGRAM_POLL_UPDATES) {
      this.loop = this.run();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let pauseMs = 0;
      try {
        const updates = await this.poll();
        for (const update of updates) {
          this.offset = Math.max(this.offset, update.update_id + 1);
          await this.handle(update);
        }
        if (updates.length === 0 && this.config.TELEGRAM_POLL_TIMEOUT_S === 0) {
          pauseMs = 500;
        }
      } catch (error) {
        if (this.abort.signal.aborted) {
          return;
        }
        this.logger.warn({ error: (error as Error).message }, 'telegram getUpdates failed');
        pauseMs = 5_000;
      }
      if (pauseMs > 0) {
        await this.pause(pauseMs);
      }
    }
  }

  /** Waits `ms`, or less when the service stops. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async poll(): Promise<TelegramUpdate[]> {
    const base = this.config.TELEGRAM_API_URL.replace(/\/$/, '');
    const timeoutS = this.config.TELEGRAM_POLL_TIMEOUT_S;
    const call = new AbortController();
    const stop = () => call.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(stop, timeoutS * 1000 + this.config.CHANNEL_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(`${base}/bot${this.config.TELEGRAM_BOT_TOKEN}/getUpdates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          offset: this.offset,
          timeout: timeoutS,
          allowed_updates: ['message'],
        }),
        signal: call.signal,
      });
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', stop);
    }
    const body = (await response.json().catch(() => ({}))) as {
      ok?: boolean;
      result?: TelegramUpdate[];
      description?: string;
    };
    if (!response.ok || body.ok === false) {
      throw new Error(`getUpdates ${response.status}: ${body.description ?? 'error'}`);
    }
    return body.result ?? [];
  }

  private async handle(update: TelegramUpdate): Promise<void> {
    const chat = update.message?.chat;
    const match = START.exec(update.message?.text ?? '');
    if (!match || chat?.id === undefined || (chat.type && chat.type !== 'private')) {
      return;
    }
    const chatId = String(chat.id);
    const linked = await this.contacts.linkTelegramChat(match[1] as string, chatId);
    await this.telegram
      .send(
        chatId,
        linked
          ? 'GAD Dispatch: chat vinculado / chat linked.'
          : 'GAD Dispatch: código caducado o desconocido / expired or unknown code.',
      )
      .catch((error: Error) =>
        this.logger.warn({ error: error.message }, 'telegram link confirmation not sent'),
      );
  }
}
