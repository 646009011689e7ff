import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder, UNSCOPED_AGENCY, type AuditRecordInput } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import {
  AuditActions,
  uuidv7,
  type AccessClaims,
  type LoginRequest,
  type LoginResponse,
  type MfaVerifyRequest,
  type Role,
  type SessionTokens,
} from '@gad/contracts';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { IDENTITY_CLOCK, type Clock } from '../identity/identity.constants';
import { RefreshTokensRepository } from '../identity/refresh-tokens.repository';
import { SessionsRepository } from '../identity/sessions.repository';
import { UsersRepository, type UserRow } from '../identity/users.repository';
import { PasswordService } from '../identity/password.service';
import { SessionRevocations } from '../identity/session-revocations.service';
import { actorOf } from '../identity/users.service';
import { LoginThrottle } from '../identity/login-throttle.service';
import { MfaAuditActions, MfaService } from '../identity/mfa.service';
import { CredentialsException } from './auth.exception';
import { MFA_CHALLENGE_TTL_SECONDS, TokenService } from './token.service';
import { UnitsService } from '../units/units.service';
import { EdgeException } from '../edge/edge.exception';
import { RateLimitService } from '../edge/rate-limit.service';

/** Where a request came from, for sessions and the audit trail. */
export type RequestMeta = Pick<AuditRecordInput, 'source' | 'traceId'>;

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The client's address (behind trusted proxies, from X-Forwarded-For). */
const sourceOf = (meta: RequestMeta): string => meta.source?.ip?.slice(0, 100) ?? 'unknown';

/**
 * Login (password, then a TOTP or recovery code for users with MFA: docs/adr/0023),
 * refresh-token rotation with reuse detection, logout. Failed attempts are throttled per account
 * and source ({@link LoginThrottle}), never a lockout by strangers; refresh is refused once the
 * session is older than `AUTH_SESSION_MAX_AGE_SECONDS` or idle longer than its idle timeout;
 * accounts unused for `AUTH_INACTIVE_DISABLE_DAYS` are disabled.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly revocations: SessionRevocations,
    private readonly audit: AuditRecorder,
    private readonly units: UnitsService,
    private readonly rateLimits: RateLimitService,
    private readonly throttle: LoginThrottle,
    private readonly mfa: MfaService,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async login(request: LoginRequest, meta: RequestMeta): Promise<LoginResponse> {
    const candidates = await this.users.findByLogin(request.login, request.agency);
    if (candidates.length > 1) {
      throw CredentialsException.agencyRequired();
    }
    const user = candidates[0];
    const source = sourceOf(meta);
    // Unknown logins are throttled like known ones (by the name tried): no enumeration by 429.
    const account =
      user?.id ?? `login:${request.agency ?? ''}:${request.login.toLowerCase().slice(0, 254)}`;
    await this.refuseWhenThrottled(account, source, meta, user);
    if (!user) {
      await this.passwords.verifyDecoy(request.password);
      this.record(meta, undefined, AuditActions.LoginFailed, 'failed', 'unknown login', {
        login: request.login.slice(0, 254),
      });
      await this.failedAttempt(undefined, account, source, meta);
      throw CredentialsException.invalidCredentials();
    }
    const now = this.clock.now();
    const passwordOk = await this.passwords.verify(user.password_hash, request.password);
    if (user.status !== 'active') {
      this.record(meta, user, AuditActions.LoginFailed, 'failed', `account ${user.status}`);
      throw CredentialsException.invalidCredentials();
    }
    if (this.inactiveSince(user, now)) {
      await this.disableInactive(user, now);
      this.record(meta, user, AuditActions.LoginFailed, 'failed', 'account unused: disabled');
      throw CredentialsException.invalidCredentials();
    }
    if (!passwordOk) {
      this.record(meta, user, AuditActions.LoginFailed, 'failed', 'wrong password');
      await this.failedAttempt(user, account, source, meta);
      throw CredentialsException.invalidCredentials();
    }
    if (user.agency_status === 'suspended') {
      this.record(meta, user, AuditActions.LoginFailed, 'denied', 'agency suspended');
      throw CredentialsException.agencySuspended();
    }
    if (await this.mfa.enrolled(user.agency_id, user.id)) {
      // The password is right; the session starts only with the second factor.
      this.record(meta, user, MfaAuditActions.Challenged, 'success');
      return {
        mfaRequired: true,
        challengeToken: await this.tokens.issueMfaChallenge({
          sub: user.id,
          agencyId: user.agency_id,
        }),
        expiresIn: MFA_CHALLENGE_TTL_SECONDS,
        methods: ['totp', 'recovery_code'],
      };
    }
    await this.throttle.succeeded(account, source);
    const mfaPending = await this.mfa.requiredFor(user.agency_id, user.roles);
    return this.startSession(user, ['pwd'], mfaPending, meta, now);
  }

  /** The second step of a login: the challenge token and a TOTP or recovery code. */
  async verifyMfa(request: MfaVerifyRequest, meta: RequestMeta): Promise<SessionTokens> {
    const challenge = await this.tokens.verifyMfaChallenge(request.challengeToken);
    if (!challenge) {
      throw CredentialsException.invalidMfaChallenge();
    }
    const source = sourceOf(meta);
    const user = await this.users.find(challenge.agencyId, challenge.sub);
    await this.refuseWhenThrottled(challenge.sub, source, meta, user);
    if (!user || user.status !== 'active') {
      throw CredentialsException.invalidMfaChallenge();
    }
    const factor = await this.mfa.verify(user.agency_id, user.id, request.code);
    if (factor === 'invalid') {
      this.record(meta, user, MfaAuditActions.Failed, 'failed', 'wrong or reused code');
      await this.failedAttempt(user, user.id, source, meta);
      throw CredentialsException.invalidMfaCode();
    }
    this.record(
      meta,
      user,
      factor === 'recovery_code' ? MfaAuditActions.RecoveryCodeUsed : MfaAuditActions.Verified,
      'success',
    );
    await this.throttle.succeeded(user.id, source);
    return this.startSession(user, ['pwd', 'otp'], false, meta, this.clock.now());
  }

  /** Idle timeout of a user's sessions: the shortest of their roles' (AUTH_IDLE_TIMEOUT_*). */
  idleTimeoutOf(roles: readonly string[]): number {
    const byRole = this.config.AUTH_IDLE_TIMEOUT_BY_ROLE;
    return Math.min(
      ...roles.map((role) => byRole[role] ?? this.config.AUTH_IDLE_TIMEOUT_SECONDS),
      roles.length === 0 ? this.config.AUTH_IDLE_TIMEOUT_SECONDS : Number.MAX_SAFE_INTEGER,
    );
  }

  private async startSession(
    user: UserRow,
    amr: string[],
    mfaPending: boolean,
    meta: RequestMeta,
    now: Date,
  ): Promise<SessionTokens> {
    const sessionId = uuidv7();
    const refreshToken = this.newRefreshToken();
    const expiresAt = new Date(now.getTime() + this.config.AUTH_SESSION_MAX_AGE_SECONDS * 1000);
    await this.unitOfWork.run(async (tx) => {
      await this.users.recordLogin(tx.client, user.id, now);
      await this.sessions.insert(tx.client, {
        id: sessionId,
        agencyId: user.agency_id,
        userId: user.id,
        authenticatedAt: now,
        expiresAt,
        ip: meta.source?.ip?.slice(0, 100),
        userAgent: meta.source?.userAgent?.slice(0, 500),
        amr,
        idleTimeoutSeconds: this.idleTimeoutOf(user.roles),
      });
      await this.refreshTokens.insert(
        tx.client,
        digest(refreshToken),
        sessionId,
        user.agency_id,
        now,
      );
    });
    this.record(meta, user, AuditActions.LoginSucceeded, 'success', undefined, {
      sessionId,
      amr,
      ...(mfaPending ? { mfaPending } : {}),
    });
    return this.sessionTokens(
      { userId: user.id, agencyId: user.agency_id, roles: user.roles, sessionId, amr, mfaPending },
      refreshToken,
      expiresAt,
      now,
    );
  }

  /** Rotates a refresh token. A token used before revokes its whole session (reuse detection). */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<SessionTokens> {
    const hash = digest(refreshToken);
    const next = this.newRefreshToken();
    const now = this.clock.now();
    // One attempt: the session's rate limit (Redis) is consumed inside, so it is never run again.
    const outcome = await this.unitOfWork.run(
      async (tx) => {
        const found = await this.refreshTokens.lock(tx.client, hash);
        if (!found) {
          return { kind: 'unknown' as const };
        }
        if (found.revoked_at) {
          return { kind: 'revoked' as const, found };
        }
        if (found.used_at) {
          const revoked = await this.revocations.revokeInTransaction(tx, {
            agencyId: found.agency_id,
            userId: found.user_id,
            sessionId: found.session_id,
            reason: 'token_reuse',
            actor: { kind: 'service', id: 'api-gateway' },
            now,
          });
          return { kind: 'reused' as const, found, revoked };
        }
        if (found.expires_at.getTime() <= now.getTime()) {
          return { kind: 'expired' as const, found };
        }
        const idleSeconds = found.idle_timeout_seconds ?? this.idleTimeoutOf(found.roles);
        if (found.last_used_at.getTime() + idleSeconds * 1000 <= now.getTime()) {
          return { kind: 'idle' as const, found };
        }
        if (found.user_status !== 'active' || found.agency_status !== 'active') {
          return { kind: 'inactive' as const, found };
        }
        // Limited per session, not per IP (many devices share an address); nothing rotates when refused.
        const decision = await this.rateLimits.consumeSession(found.agency_id, found.session_id);
        if (!decision.allowed) {
          return {
            kind: 'throttled' as const,
            found,
            retryAfterSeconds: decision.retryAfterSeconds,
          };
        }
        await this.refreshTokens.markUsed(tx.client, hash, now);
        await this.refreshTokens.insert(
          tx.client,
          digest(next),
          found.session_id,
          found.agency_id,
          now,
        );
        await this.users.touch(tx.client, found.user_id, now);
        await this.sessions.touch(tx.client, found.agency_id, found.session_id, now);
        return { kind: 'rotated' as const, found };
      },
      { attempts: 1 },
    );
    if (outcome.kind === 'unknown') {
      this.record(meta, undefined, AuditActions.TokenRefreshed, 'failed', 'unknown refresh token');
      // Guessing refresh tokens counts against the client's address (valid ones are not limited per IP).
      const decision = await this.rateLimits.consumeIp(meta.source?.ip ?? 'unknown');
      if (!decision.allowed) {
        throw EdgeException.rateLimited(decision.retryAfterSeconds);
      }
      throw CredentialsException.invalidRefreshToken();
    }
    const { found } = outcome;
    const who = { id: found.user_id, agency_id: found.agency_id, roles: found.roles };
    switch (outcome.kind) {
      case 'reused':
        await this.revocations.denyList(outcome.revoked);
        this.record(meta, who, AuditActions.TokenReuseDetected, 'denied', 'refresh token reused', {
          sessionId: found.session_id,
        });
        throw CredentialsException.invalidRefreshToken();
      case 'revoked':
      case 'inactive':
        this.record(meta, who, AuditActions.TokenRefreshed, 'denied', `session ${outcome.kind}`);
        throw CredentialsException.invalidRefreshToken();
      case 'throttled':
        throw EdgeException.rateLimited(outcome.retryAfterSeconds);
      case 'expired':
        this.record(meta, who, AuditActions.TokenRefreshed, 'denied', 'session past maximum age');
        throw CredentialsException.reauthenticationRequired();
      case 'idle':
        this.record(meta, who, AuditActions.TokenRefreshed, 'denied', 'session idle');
        throw CredentialsException.sessionIdle();
      case 'rotated': {
        this.record(meta, who, AuditActions.TokenRefreshed, 'success', undefined, {
          sessionId: found.session_id,
        });
        // The agency's MFA policy is applied again at each refresh (it may have changed).
        const mfaPending =
          !found.amr.includes('otp') && (await this.mfa.requiredFor(found.agency_id, found.roles));
        return this.sessionTokens(
          {
            userId: found.user_id,
            agencyId: found.agency_id,
            roles: found.roles,
            sessionId: found.session_id,
            amr: found.amr,
            mfaPending,
          },
          next,
          found.expires_at,
          now,
        );
      }
    }
  }

  /** Ends the caller's session (every session of the user for a token without one). */
  async logout(caller: AccessClaims, meta: RequestMeta): Promise<void> {
    await this.revocations.revoke({
      agencyId: caller.agencyId,
      userId: caller.sub,
      reason: 'logout',
      actor: actorOf(caller),
      now: this.clock.now(),
      ...(caller.sid ? { sessionId: caller.sid } : {}),
    });
    this.record(
      meta,
      {
        id: caller.sub,
        agency_id: caller.agencyId,
        roles: caller.roles.filter((role): role is Role => role !== 'platform-admin'),
      },
      AuditActions.Logout,
      'success',
      undefined,
      caller.sid ? { sessionId: caller.sid } : undefined,
    );
  }

  /** 429 while the account (from this source) or the source is throttled. */
  private async refuseWhenThrottled(
    account: string,
    source: string,
    meta: RequestMeta,
    user: UserRow | undefined,
  ): Promise<void> {
    const wait = await this.throttle.retryAfter(account, source);
    if (wait > 0) {
      this.record(meta, user, AuditActions.LoginFailed, 'denied', 'throttled', {
        retryAfter: wait,
      });
      throw CredentialsException.throttled(wait);
    }
  }

  /** Counts a failed password or code; audits the temporary locks it sets. */
  private async failedAttempt(
    user: UserRow | undefined,
    account: string,
    source: string,
    meta: RequestMeta,
  ): Promise<void> {
    const outcome = await this.throttle.failed(account, source);
    for (const lock of outcome.locked) {
      this.record(
        meta,
        user,
        AuditActions.AccountLocked,
        'success',
        lock.scope === 'account'
          ? 'sustained failed logins from many sources: temporary lock'
          : 'failed logins: temporary delay',
        { scope: lock.scope, seconds: lock.seconds, failures: outcome.accountFailures },
      );
    }
  }

  private inactiveSince(user: UserRow, now: Date): boolean {
    const limitMs = this.config.AUTH_INACTIVE_DISABLE_DAYS * 24 * 3600 * 1000;
    return now.getTime() - user.last_seen_at.getTime() > limitMs;
  }

  private async disableInactive(user: UserRow, now: Date): Promise<void> {
    const revoked = await this.unitOfWork.run(async (tx) => {
      await this.users.setStatus(tx.client, user.agency_id, user.id, 'disabled', 'inactive', now);
      return this.revocations.revokeInTransaction(tx, {
        agencyId: user.agency_id,
        userId: user.id,
        reason: 'disabled',
        actor: { kind: 'service', id: 'api-gateway' },
        now,
      });
    });
    await this.revocations.denyList(revoked);
  }

  private newRefreshToken(): string {
    return randomBytes(32).toString('base64url');
  }

  private async sessionTokens(
    session: {
      userId: string;
      agencyId: string;
      roles: Role[];
      sessionId: string;
      amr: string[];
      mfaPending: boolean;
    },
    refreshToken: string,
    expiresAt: Date,
    now: Date,
  ): Promise<SessionTokens> {
    const { userId, agencyId, roles, sessionId } = session;
    // Officers' tokens name the unit they crew, so their device may join it on /field.
    const unitId = roles.includes('officer')
      ? await this.units.crewedUnitOf(agencyId, userId)
      : undefined;
    const { token, expiresIn } = await this.tokens.issueAccessToken({
      sub: userId,
      agencyId,
      roles,
      sid: sessionId,
      amr: session.amr,
      ...(session.mfaPending ? { mfaPending: true as const } : {}),
      ...(unitId ? { unitId } : {}),
    });
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
      sessionId,
    };
  }

  private record(
    meta: RequestMeta,
    user: Pick<UserRow, 'id' | 'agency_id' | 'roles'> | undefined,
    action: string,
    outcome: 'success' | 'failed' | 'denied',
    reason?: string,
    details?: Record<string, unknown>,
  ): void {
    this.audit.record({
      ...meta,
      agencyId: user?.agency_id ?? UNSCOPED_AGENCY,
      actor: user
        ? { kind: 'user', id: user.id, roles: user.roles }
        : { kind: 'user', id: 'anonymous' },
      action,
      outcome,
      ...(user ? { object: { type: 'user', id: user.id } } : {}),
      ...(reason ? { reason } : {}),
      ...(details ? { details } : {}),
    });
  }
}
