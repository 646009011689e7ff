import { Module } from '@nestjs/common';
import { AgencySettingsModule } from '../escalation/agency-settings.module';
import { WebhookSetupRepository } from './webhooks.repository';
import { WebhooksHandler } from './webhooks.handler';
import { WebhooksService } from './webhooks.service';

/** Agency webhooks: set-up over RPC, sealed secrets; allowed hosts from the agency settings. */
@Module({
  imports: [AgencySettingsModule],
  controllers: [WebhooksHandler],
  providers: [WebhookSetupRepository, WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksModule {}
