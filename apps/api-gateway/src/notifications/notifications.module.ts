import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { AgencyWebhooksController } from './agency-webhooks.controller';
import { AgencyWebhooksService } from './agency-webhooks.service';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [IncidentsModule, IdentityModule],
  controllers: [NotificationsController, AgencyWebhooksController, ContactsController],
  providers: [NotificationsService, AgencyWebhooksService, ContactsService],
})
export class NotificationsModule {}
