import { Module } from '@nestjs/common';
import { RecipientsHandler } from './recipients.handler';
import { RecipientsRepository } from './recipients.repository';
import { RecipientsService } from './recipients.service';
import { UnitStatusesRepository } from './unit-statuses.repository';
import { UserEventsHandler } from './user-events.handler';

/** Who gets paged: crew members' channels, locale, quiet hours and duty state. */
@Module({
  controllers: [RecipientsHandler, UserEventsHandler],
  providers: [RecipientsRepository, UnitStatusesRepository, RecipientsService],
  exports: [RecipientsService],
})
export class RecipientsModule {}
