import { Controller, Headers, Req, Res } from '@nestjs/common';
import { Audited, httpAuditContext, type HttpRequestLike } from '@gad/audit';
import {
  operations,
  type AccessClaims,
  type AgencySettingsResponse,
  type CreateAgencyAdminRequest,
  type CreateAgencyRequest,
  type CreatedAgencyAdmin,
  type ListPlatformAgenciesQuery,
  type PlatformAgency,
  type PlatformAgencyList,
  type PlatformLoginRequest,
  type SuspendAgencyRequest,
  type TokenResponse,
  type UpdateAgencySettingsRequest,
} from '@gad/contracts';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import type { FastifyReply } from 'fastify';
import { actorOf } from '../identity/users.service';
import { settingsEtagOf } from './agencies.mapper';
import { AgenciesService, type AuditMeta } from './agencies.service';
import { PlatformOperatorsService } from './platform-operators.service';

type AgencyParams = { agencyId: string };

export const auditMetaOf = (request: HttpRequestLike): AuditMeta => {
  const { source, traceId } = httpAuditContext(request);
  return { source, traceId };
};

export function withSettingsEtag(
  reply: FastifyReply,
  settings: AgencySettingsResponse,
): AgencySettingsResponse {
  void reply.header('etag', settingsEtagOf(settings.version));
  return settings;
}

/**
 * `/v1/platform/*`: platform operators manage agencies. Only `platform-admin` tokens reach these
 * routes, and the gateway's guard keeps those tokens away from every other route. The service
 * audits each change in the agency's chain and the platform chain (hence `skip` here).
 */
@Controller()
export class PlatformController {
  constructor(
    private readonly agencies: AgenciesService,
    private readonly operators: PlatformOperatorsService,
  ) {}

  @HttpOperation(operations.platformLogin)
  @Audited({ skip: true })
  login(
    @OperationBody(operations.platformLogin) body: PlatformLoginRequest,
    @Req() request: HttpRequestLike,
  ): Promise<TokenResponse> {
    return this.operators.login(body, auditMetaOf(request));
  }

  @HttpOperation(operations.listPlatformAgencies)
  list(
    @OperationQuery(operations.listPlatformAgencies) query: ListPlatformAgenciesQuery,
  ): Promise<PlatformAgencyList> {
    return this.agencies.list(query);
  }

  @HttpOperation(operations.createPlatformAgency)
  @Audited({ skip: true })
  create(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.createPlatformAgency) body: CreateAgencyRequest,
    @Req() request: HttpRequestLike,
  ): Promise<PlatformAgency> {
    return this.agencies.create(actorOf(caller), body, auditMetaOf(request));
  }

  @HttpOperation(operations.getPlatformAgency)
  get(
    @OperationParams(operations.getPlatformAgency) params: AgencyParams,
  ): Promise<PlatformAgency> {
    return this.agencies.get(params.agencyId);
  }

  @HttpOperation(operations.suspendPlatformAgency)
  @Audited({ skip: true })
  suspend(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.suspendPlatformAgency) params: AgencyParams,
    @OperationBody(operations.suspendPlatformAgency) body: SuspendAgencyRequest,
    @Req() request: HttpRequestLike,
  ): Promise<PlatformAgency> {
    return this.agencies.suspend(
      actorOf(caller),
      params.agencyId,
      body.reason,
      auditMetaOf(request),
    );
  }

  @HttpOperation(operations.reactivatePlatformAgency)
  @Audited({ skip: true })
  reactivate(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.reactivatePlatformAgency) params: AgencyParams,
    @Req() request: HttpRequestLike,
  ): Promise<PlatformAgency> {
    return this.agencies.reactivate(actorOf(caller), params.agencyId, auditMetaOf(request));
  }

  @HttpOperation(operations.getPlatformAgencySettings)
  async settings(
    @OperationParams(operations.getPlatformAgencySettings) params: AgencyParams,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgencySettingsResponse> {
    return withSettingsEtag(reply, await this.agencies.settings(params.agencyId));
  }

  @HttpOperation(operations.updatePlatformAgencySettings)
  @Audited({ skip: true })
  async updateSettings(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.updatePlatformAgencySettings) params: AgencyParams,
    @OperationBody(operations.updatePlatformAgencySettings) body: UpdateAgencySettingsRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgencySettingsResponse> {
    return withSettingsEtag(
      reply,
      await this.agencies.updateSettings(
        actorOf(caller),
        params.agencyId,
        ifMatch,
        body,
        auditMetaOf(request),
      ),
    );
  }

  @HttpOperation(operations.createPlatformAgencyAdmin)
  @Audited({ skip: true })
  createAdmin(
    @CurrentUser() caller: AccessClaims,
    @OperationParams(operations.createPlatformAgencyAdmin) params: AgencyParams,
    @OperationBody(operations.createPlatformAgencyAdmin) body: CreateAgencyAdminRequest,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedAgencyAdmin> {
    return this.agencies.createAdmin(actorOf(caller), params.agencyId, body, auditMetaOf(request));
  }
}
