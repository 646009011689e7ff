import { Controller, Headers, Req, Res } from '@nestjs/common';
import { Audited, type HttpRequestLike } from '@gad/audit';
import {
  operations,
  type AccessClaims,
  type AgencySettingsResponse,
  type SetPasswordWithTokenRequest,
  type UpdateAgencySettingsRequest,
} from '@gad/contracts';
import { CurrentUser, HttpOperation, OperationBody } from '@gad/platform';
import type { FastifyReply } from 'fastify';
import { actorOf } from '../identity/users.service';
import { AgenciesService } from './agencies.service';
import { auditMetaOf, withSettingsEtag } from './platform.controller';

/**
 * The caller's agency settings (`/v1/agency/settings`, always the token's agency: no route takes
 * another agency's id) and the public set-password route of admins created by the platform.
 */
@Controller()
export class AgencySettingsController {
  constructor(private readonly agencies: AgenciesService) {}

  @HttpOperation(operations.getAgencySettings)
  async get(
    @CurrentUser() caller: AccessClaims,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgencySettingsResponse> {
    return withSettingsEtag(reply, await this.agencies.settings(caller.agencyId));
  }

  @HttpOperation(operations.updateAgencySettings)
  @Audited({ skip: true })
  async update(
    @CurrentUser() caller: AccessClaims,
    @OperationBody(operations.updateAgencySettings) body: UpdateAgencySettingsRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgencySettingsResponse> {
    return withSettingsEtag(
      reply,
      await this.agencies.updateSettings(
        actorOf(caller),
        caller.agencyId,
        ifMatch,
        body,
        auditMetaOf(request),
      ),
    );
  }

  @HttpOperation(operations.setPasswordWithToken)
  @Audited({ skip: true })
  setPassword(
    @OperationBody(operations.setPasswordWithToken) body: SetPasswordWithTokenRequest,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    return this.agencies.setPasswordWithToken(body.token, body.password, auditMetaOf(request));
  }
}
