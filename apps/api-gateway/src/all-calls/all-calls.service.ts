import { Injectable } from '@nestjs/common';
import {
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
 * agency. The all-call id is made here, so a retried RPC creates nothing twice.
 */
@Injectable()
export class AllCallsService {
  constructor(private readonly rpc: ServiceRpcClient) {}

  create(user: AccessClaims, request: CreateAllCallRequest): Promise<AllCall> {
    return this.rpc.call(
      NOTIFY_RPC_SERVICE,
      user,
      NotifyAllCallPatterns.Create,
      { ...request, agencyId: user.agencyId, allCallId: uuidv7(), createdBy: user.sub },
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
