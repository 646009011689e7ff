import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { NoticesModule } from '../notices/notices.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { DispatchEventsHandler } from './dispatch-events.handler';

/** `gad:dispatch:events`: assignments become commands, incidents notices, unit and user state. */
@Module({
  imports: [CommandsModule, NoticesModule, RecipientsModule],
  controllers: [DispatchEventsHandler],
})
export class DispatchEventsModule {}
