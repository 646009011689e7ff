import { Module } from '@nestjs/common';
import { WebhookSetupRepository } from './webhooks.repository';
import { WebhooksHandler } from './webhooks.handler';
import { WebhooksService } from './webhooks.service';

/** Agency webhooks: set-up over RPC, sealed secrets, the allow-list of non-public hosts. */
@Module({
  controllers: [WebhooksHandler],
  providers: [WebhookSetupRepository, WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksModule {}
