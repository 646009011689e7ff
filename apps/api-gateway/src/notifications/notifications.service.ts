import { Injectable } from '@nestjs/common';
import {
  NOTIFY_RPC_SERVICE,
  NotifyRpcPatterns,
  operations,
  type AccessClaims,
  type IncidentNotificationsResponse,
} from '@gad/contracts';
import { IncidentsService } from '../incidents/incidents.service';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/**
 * An incident's commands and their acknowledgement stages from notification-service, for incidents
 * of the caller's agency only (404 otherwise; notification-service would answer an empty list).
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly rpc: ServiceRpcClient,
  ) {}

  async forIncident(
    user: AccessClaims,
    incidentId: string,
  ): Promise<IncidentNotificationsResponse> {
    await this.incidents.get(user, incidentId);
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyRpcPatterns.IncidentNotifications,
      { agencyId: user.agencyId, incidentId },
      operations.listIncidentNotifications.success.schema,
    );
  }
}
