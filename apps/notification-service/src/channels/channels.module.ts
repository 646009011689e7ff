import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryService } from './delivery.service';
import { EmailChannel } from './email.channel';
import { TelegramChannel } from './telegram.channel';
import { WebhookChannel } from './webhook.channel';
import { WebhooksModule } from '../webhooks/webhooks.module';

/** Outside channels (Telegram, webhooks, e-mail): the delivery workers and their clients. */
@Module({
  imports: [CommandsModule, WebhooksModule],
  providers: [TelegramChannel, WebhookChannel, EmailChannel, DeliveryService, DeliveryProcessor],
})
export class ChannelsModule {}
