import { Module } from '@nestjs/common';
import { AgencySettingsModule } from '../escalation/agency-settings.module';
import { QueuesModule } from '../queues/queues.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { AssignmentsRepository } from './assignments.repository';
import { CommandRelaySink } from './command-relay.sink';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';
import { DeliveriesRepository } from './deliveries.repository';
import { EscalationsRepository } from './escalations.repository';
import { NotificationsHandler } from './notifications.handler';
import { NotificationsQueryService } from './notifications-query.service';
import { WebhooksRepository } from './webhooks.repository';

/** The repositories of the command aggregates, used by the ladder, the channels and the notices. */
const repositories = [
  AssignmentsRepository,
  CommandsRepository,
  EscalationsRepository,
  DeliveriesRepository,
  WebhooksRepository,
];

/** Commands to officers: issue, record acknowledgements, answer what an incident's crews were sent. */
@Module({
  imports: [RecipientsModule, QueuesModule, AgencySettingsModule],
  controllers: [NotificationsHandler],
  providers: [...repositories, CommandsService, NotificationsQueryService, CommandRelaySink],
  exports: [...repositories, CommandsService],
})
export class CommandsModule {}
