import { Injectable } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  geoGeofenceUnitsInsideReplySchema,
  NOTIFY_RPC_SERVICE,
  NotifyAllCallPatterns,
  operations,
  uuidv7,
  type AccessClaims,
  type AllCall,
  type CreateAllCallRequest,
} from '@gad/contracts';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/**
 * All-calls, forwarded one to one to notification-service (which owns them) for the caller's
 * agency. The all-call id is made here, so a retried RPC creates nothing twice. An all-call to a
 * zone first asks geo-service which units are inside it now (404 for a zone the agency lacks).
 */
@Injectable()
export class AllCallsService {
  constructor(private readonly rpc: ServiceRpcClient) {}

  async create(user: AccessClaims, request: CreateAllCallRequest): Promise<AllCall> {
    const inside = request.zoneId
      ? await this.rpc.call(
          GEO_RPC_SERVICE,
          user,
          GeoRpcPatterns.GeofenceUnitsInside,
          { agencyId: user.agencyId, id: request.zoneId },
          geoGeofenceUnitsInsideReplySchema,
        )
      : undefined;
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyAllCallPatterns.Create,
      {
        ...request,
        agencyId: user.agencyId,
        allCallId: uuidv7(),
        createdBy: user.sub,
        ...(inside ? { unitIds: inside.unitIds } : {}),
      },
      operations.createAllCall.success.schema,
    );
  }

  get(user: AccessClaims, allCallId: string): Promise<AllCall> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyAllCallPatterns.Get,
      { agencyId: user.agencyId, allCallId },
      operations.getAllCall.success.schema,
    );
  }
}
