import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { AgencyWebhooksController } from './agency-webhooks.controller';
import { AgencyWebhooksService } from './agency-webhooks.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [IncidentsModule],
  controllers: [NotificationsController, AgencyWebhooksController],
  providers: [NotificationsService, AgencyWebhooksService],
})
export class NotificationsModule {}
