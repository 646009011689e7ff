import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { RecipientsService } from './recipients.service';

/** `user.changed` on `gad:dispatch:events`: recipients follow users (roles, locale, account). */
@Controller()
export class UserEventsHandler {
  constructor(private readonly recipients: RecipientsService) {}

  @OnEvent(EventTypes.UserChanged, {
    orderKey: (event) => `user:${event.agencyId}:${event.data.userId}`,
  })
  onUserChanged(@Payload() event: EventEnvelope<'user.changed'>): Promise<void> {
    return this.recipients.followUser(event.agencyId, event.data);
  }
}
