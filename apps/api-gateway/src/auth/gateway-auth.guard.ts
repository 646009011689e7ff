import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditRecorder, httpAuditContext, type HttpRequestLike } from '@gad/audit';
import { AuditActions, PLATFORM_AGENCY_ID, type AccessClaims } from '@gad/contracts';
import { AuthException, AuthGuard, HTTP_OPERATION_KEY, JwtVerifier } from '@gad/platform';
import type { HttpOperation } from '@gad/contracts';
import { EdgeException } from '../edge/edge.exception';
import {
  carriesBearerToken,
  RateLimitService,
  type RateDecision,
} from '../edge/rate-limit.service';
import { SessionRevocations } from '../identity/session-revocations.service';
import { CredentialsException } from './auth.exception';
import { SessionDenyList } from './session-deny-list';

type Request = HttpRequestLike & { user?: AccessClaims };

/**
 * What a token with `mfaPending` (the agency requires MFA, the user has not enrolled) may reach:
 * the enrolment, the caller and their sessions, logout (docs/adr/0023).
 */
export const MFA_PENDING_OPERATIONS: ReadonlySet<string> = new Set([
  'getMe',
  'getMyMfa',
  'enrolTotp',
  'confirmTotp',
  'listMySessions',
  'endMySession',
  'logout',
]);

/**
 * Platform operators get no agency data (docs/adr/0018): a `platform-admin` token (agency claim
 * `_platform`, that single role) reaches only `/v1/platform/*`, and every other token only the
 * routes outside it. Checked after the role check, so a route's roles can never widen this.
 */
export function platformSeparationAllows(user: AccessClaims, path: string | undefined): boolean {
  const platformRoute = path?.startsWith('/v1/platform/') ?? false;
  if (user.roles.includes('platform-admin')) {
    return platformRoute && user.agencyId === PLATFORM_AGENCY_ID && user.roles.length === 1;
  }
  return !platformRoute && user.agencyId !== PLATFORM_AGENCY_ID;
}

/**
 * The api-gateway's global guard: the platform {@link AuthGuard} (valid access token, one of the
 * operation's roles, fails closed without roles), then the session of the token must not be
 * revoked, then the per-user rate limit. A request that presented a bearer token skipped the
 * edge's per-IP limit: when its token fails (or the route is public) it is limited per IP here, so
 * junk tokens buy no extra requests. Permission denials are audited here, because a guard
 * rejects before any interceptor runs.
 */
@Injectable()
export class GatewayAuthGuard implements CanActivate {
  private readonly inner: AuthGuard;

  constructor(
    private readonly reflector: Reflector,
    @Inject(JwtVerifier) verifier: JwtVerifier,
    private readonly revocations: SessionRevocations,
    private readonly rateLimits: RateLimitService,
    private readonly denied: SessionDenyList,
    private readonly audit: AuditRecorder,
  ) {
    this.inner = new AuthGuard(reflector, verifier);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    try {
      await this.inner.canActivate(context);
    } catch (error) {
      if (request.user) {
        await this.recordDenial(context, request, 'role not allowed');
      } else {
        // Failed access without a valid token is audited too (CJIS 5.4.1.1, NIST AU-2).
        await this.recordDenial(context, request, 'not authenticated');
        await this.limitPerIp(request);
      }
      throw error;
    }
    const user = request.user;
    if (!user) {
      await this.limitPerIp(request);
      return true;
    }
    const operation = this.reflector.get<HttpOperation | undefined>(
      HTTP_OPERATION_KEY,
      context.getHandler(),
    );
    if (!platformSeparationAllows(user, operation?.path)) {
      await this.recordDenial(context, request, 'platform and agency tokens are kept apart');
      throw AuthException.forbidden('This token may not reach this route');
    }
    if (user.mfaPending && !MFA_PENDING_OPERATIONS.has(operation?.operationId ?? '')) {
      await this.recordDenial(context, request, 'MFA enrolment required by the agency');
      throw CredentialsException.mfaEnrolmentRequired();
    }
    // Both from this instance's memory on a busy session (docs/adr/0035): the user's token from
    // its lease of the shared bucket, the session's state from the deny-list kept current by
    // pub/sub; Redis when not, PostgreSQL decides whether the session is revoked while Redis does
    // not answer. A revoked session's request still counts against its user's rate limit, which
    // only ever refuses sooner.
    const sessionId = user.sid;
    const taken = this.rateLimits.consumeUser(user.agencyId, user.sub);
    const cached = sessionId === undefined ? false : this.denied.cached(sessionId);
    // Both asked at once when neither is in memory (two commands in one pipelined write).
    const asked =
      cached === undefined && sessionId !== undefined
        ? this.isRevoked(user.agencyId, sessionId)
        : undefined;
    asked?.catch(() => undefined); // awaited below; not unhandled while the rate limit answers
    const decision = taken instanceof Promise ? await taken : taken;
    if (cached ?? (await asked)) {
      await this.recordDenial(context, request, 'session revoked');
      throw CredentialsException.sessionRevoked();
    }
    this.refuseWhenLimited(decision);
    return true;
  }

  private async isRevoked(agencyId: string, sessionId: string): Promise<boolean> {
    return (
      (await this.denied.check(sessionId)) ??
      (await this.revocations.isRevokedInDatabase(agencyId, sessionId))
    );
  }

  /** The per-IP limit of a request that skipped it at the edge (it carried a bearer token). */
  private async limitPerIp(request: Request): Promise<void> {
    const authorization = request.headers?.['authorization'];
    if (!carriesBearerToken(typeof authorization === 'string' ? authorization : undefined)) {
      return; // limited per IP at the edge already
    }
    this.refuseWhenLimited(await this.rateLimits.consumeIp(request.ip ?? 'unknown'));
  }

  /** 429 with `retryAfter` (the problem filter sets the `Retry-After` header from it). */
  private refuseWhenLimited(decision: RateDecision): void {
    if (!decision.allowed) {
      throw EdgeException.rateLimited(decision.retryAfterSeconds);
    }
  }

  /** The refusal is in the audit outbox before the 401/403 is answered (docs/adr/0021). */
  private async recordDenial(
    context: ExecutionContext,
    request: Request,
    reason: string,
  ): Promise<void> {
    const operation = this.reflector.get<HttpOperation | undefined>(
      HTTP_OPERATION_KEY,
      context.getHandler(),
    );
    await this.audit.write({
      ...httpAuditContext(request),
      action: AuditActions.PermissionDenied,
      outcome: 'denied',
      reason,
      details: {
        method: request.method,
        route: request.routeOptions?.url ?? request.url?.split('?')[0],
        ...(operation ? { operationId: operation.operationId } : {}),
      },
    });
  }
}
