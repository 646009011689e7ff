import { Controller, Inject } from '@nestjs/common';
import { operations, type DevLoginRequest, type Jwks, type TokenResponse } from '@gad/contracts';
import { DomainException, HttpOperation, OperationBody } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { TokenService } from './token.service';

@Controller()
export class AuthController {
  constructor(
    private readonly tokens: TokenService,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  /**
   * Development login: a signed access token for any user of any agency. Exists only when
   * `AUTH_DEV_LOGIN=true` (refused at boot in production); answers 404 otherwise.
   */
  @HttpOperation(operations.devLogin)
  async devLogin(
    @OperationBody(operations.devLogin) body: DevLoginRequest,
  ): Promise<TokenResponse> {
    if (!this.config.AUTH_DEV_LOGIN) {
      throw new DomainException('not_found', 404, 'Route not found');
    }
    const { token, expiresIn } = await this.tokens.issueAccessToken({
      sub: body.userId,
      agencyId: body.agencyId,
      roles: body.roles,
      unitId: body.unitId,
    });
    return { accessToken: token, tokenType: 'Bearer', expiresIn };
  }

  /** Public keys that verify access tokens (ws-gateway and other services use them). */
  @HttpOperation(operations.getJwks)
  jwks(): Promise<Jwks> {
    return this.tokens.jwks();
  }
}
