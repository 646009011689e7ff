import { Controller } from '@nestjs/common';
import { operations, type AccessClaims, type IncidentNotificationsResponse } from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationParams } from '@gad/platform';
import { NotificationsService } from './notifications.service';

/** An incident's commands and their acknowledgement stages. */
@Controller()
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @HttpOperation(operations.listIncidentNotifications)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.listIncidentNotifications) params: { id: string },
  ): Promise<IncidentNotificationsResponse> {
    return this.notifications.forIncident(user, params.id);
  }
}
