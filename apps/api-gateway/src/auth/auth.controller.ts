import { Controller, Inject, Req } from '@nestjs/common';
import { Audited, httpAuditContext, type HttpRequestLike } from '@gad/audit';
import {
  operations,
  type AccessClaims,
  type DevLoginRequest,
  type Jwks,
  type LoginRequest,
  type LoginResponse,
  type MfaVerifyRequest,
  type RefreshRequest,
  type SessionTokens,
  type TokenResponse,
} from '@gad/contracts';
import { CurrentUser, DomainException, HttpOperation, OperationBody } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { AuthService, type RequestMeta } from './auth.service';
import { TokenService } from './token.service';

const meta = (request: HttpRequestLike): RequestMeta => {
  const { source, traceId } = httpAuditContext(request);
  return { source, traceId };
};

@Controller()
export class AuthController {
  constructor(
    private readonly tokens: TokenService,
    private readonly auth: AuthService,
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

  @HttpOperation(operations.login)
  @Audited({ skip: true })
  login(
    @OperationBody(operations.login) body: LoginRequest,
    @Req() request: HttpRequestLike,
  ): Promise<LoginResponse> {
    return this.auth.login(body, meta(request));
  }

  /** The second step of a login for users with MFA. */
  @HttpOperation(operations.verifyMfa)
  @Audited({ skip: true })
  verifyMfa(
    @OperationBody(operations.verifyMfa) body: MfaVerifyRequest,
    @Req() request: HttpRequestLike,
  ): Promise<SessionTokens> {
    return this.auth.verifyMfa(body, meta(request));
  }

  @HttpOperation(operations.refreshSession)
  @Audited({ skip: true })
  refresh(
    @OperationBody(operations.refreshSession) body: RefreshRequest,
    @Req() request: HttpRequestLike,
  ): Promise<SessionTokens> {
    return this.auth.refresh(body.refreshToken, meta(request));
  }

  @HttpOperation(operations.logout)
  @Audited({ skip: true })
  logout(@CurrentUser() user: AccessClaims, @Req() request: HttpRequestLike): Promise<void> {
    return this.auth.logout(user, meta(request));
  }
}
