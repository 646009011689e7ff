import { Controller, Headers, Ip } from '@nestjs/common';
import {
  AUDIT_RPC_SERVICE,
  AuditRpcPatterns,
  operations,
  type AccessClaims,
  type AuditQueryParams,
  type AuditQueryResponse,
  type AuditVerifyParams,
  type AuditVerifyResponse,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { currentTraceId } from '@gad/observability';
import { CurrentUser, HttpOperation, OperationQuery } from '@gad/platform';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/** The audit trail, read through audit-log-worker (which owns it and audits the reading itself). */
@Controller()
@Audited({ skip: true })
export class AuditController {
  constructor(private readonly rpc: ServiceRpcClient) {}

  @HttpOperation(operations.listAuditEntries)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listAuditEntries) query: AuditQueryParams,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<AuditQueryResponse> {
    return this.rpc.call(
      AUDIT_RPC_SERVICE,
      user,
      AuditRpcPatterns.Query,
      { ...query, agencyId: user.agencyId, requestedBy: requester(user, ip, userAgent) },
      operations.listAuditEntries.success.schema,
    );
  }

  @HttpOperation(operations.verifyAuditChain)
  verify(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.verifyAuditChain) query: AuditVerifyParams,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<AuditVerifyResponse> {
    return this.rpc.call(
      AUDIT_RPC_SERVICE,
      user,
      AuditRpcPatterns.Verify,
      { ...query, agencyId: user.agencyId, requestedBy: requester(user, ip, userAgent) },
      operations.verifyAuditChain.success.schema,
    );
  }
}

function requester(user: AccessClaims, ip: string, userAgent: string | undefined) {
  return {
    actor: { kind: 'user' as const, id: user.sub, roles: user.roles },
    traceId: currentTraceId(),
    ip: ip.slice(0, 100),
    ...(userAgent ? { userAgent: userAgent.slice(0, 500) } : {}),
  };
}
