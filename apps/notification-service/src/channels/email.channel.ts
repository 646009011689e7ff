import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { PermanentDeliveryError, TransientDeliveryError } from './channel.errors';

/** E-mail over SMTP (nodemailer, pooled connections). */
@Injectable()
export class EmailChannel implements OnApplicationShutdown {
  private transport: Transporter | undefined;

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  private transporter(): Transporter {
    if (!this.config.SMTP_HOST) {
      throw new PermanentDeliveryError('e-mail is not configured (SMTP_HOST)');
    }
    this.transport ??= createTransport({
      host: this.config.SMTP_HOST,
      port: this.config.SMTP_PORT,
      secure: this.config.SMTP_SECURE,
      pool: true,
      maxConnections: 2,
      connectionTimeout: this.config.CHANNEL_TIMEOUT_MS,
      greetingTimeout: this.config.CHANNEL_TIMEOUT_MS,
      socketTimeout: this.config.CHANNEL_TIMEOUT_MS,
      ...(this.config.SMTP_USER
        ? { auth: { user: this.config.SMTP_USER, pass: this.config.SMTP_PASSWORD ?? '' } }
        : {}),
    });
    return this.transport;
  }

  async send(to: string, subject: string, text: string): Promise<void> {
    try {
      await this.transporter().sendMail({ from: this.config.SMTP_FROM, to, subject, text });
    } catch (error) {
      if (error instanceof PermanentDeliveryError) {
        throw error;
      }
      const smtp = error as { responseCode?: number; message: string };
      // 5xx SMTP replies (unknown mailbox, rejected) are permanent; 4xx and network errors are not.
      if (smtp.responseCode !== undefined && smtp.responseCode >= 500) {
        throw new PermanentDeliveryError(`smtp ${smtp.responseCode}: ${smtp.message}`);
      }
      throw new TransientDeliveryError(`smtp: ${smtp.message}`);
    }
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
