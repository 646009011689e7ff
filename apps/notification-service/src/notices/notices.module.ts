import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { QueuesModule } from '../queues/queues.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { NoticesRepository } from './notices.repository';
import { NoticesService } from './notices.service';

/** Notices (no acknowledgement) to dispatchers and supervisors: incidents, geofence alerts. */
@Module({
  imports: [CommandsModule, RecipientsModule, QueuesModule],
  providers: [NoticesRepository, NoticesService],
  exports: [NoticesService],
})
export class NoticesModule {}
