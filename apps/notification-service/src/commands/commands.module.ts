import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues/queues.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';
import { NotificationsHandler } from './notifications.handler';
import { NotificationsQueryService } from './notifications-query.service';

/** Commands to officers: issue, record acknowledgements, answer what an incident's crews were sent. */
@Module({
  imports: [RecipientsModule, QueuesModule],
  controllers: [NotificationsHandler],
  providers: [CommandsRepository, CommandsService, NotificationsQueryService],
  exports: [CommandsRepository, CommandsService],
})
export class CommandsModule {}
