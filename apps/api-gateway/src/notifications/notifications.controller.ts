import { Controller } from '@nestjs/common';
import {
  NOTIFY_RPC_SERVICE,
  NotifyRpcPatterns,
  operations,
  type AccessClaims,
  type IncidentNotificationsResponse,
} from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationParams } from '@gad/platform';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/** An incident's commands and their acknowledgement stages, read from notification-service. */
@Controller()
export class NotificationsController {
  constructor(private readonly rpc: ServiceRpcClient) {}

  @HttpOperation(operations.listIncidentNotifications)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.listIncidentNotifications) params: { id: string },
  ): Promise<IncidentNotificationsResponse> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyRpcPatterns.IncidentNotifications,
      { agencyId: user.agencyId, incidentId: params.id },
      operations.listIncidentNotifications.success.schema,
    );
  }
}
