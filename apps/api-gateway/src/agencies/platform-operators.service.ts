import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import {
  AuditActions,
  PLATFORM_AGENCY_ID,
  uuidv7,
  type PlatformLoginRequest,
  type TokenResponse,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { UnitOfWork } from '@gad/bus';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { CredentialsException } from '../auth/auth.exception';
import { TokenService } from '../auth/token.service';
import { IDENTITY_CLOCK, type Clock } from '../identity/identity.constants';
import { LoginThrottle } from '../identity/login-throttle.service';
import { PasswordService } from '../identity/password.service';
import { PlatformOperatorsRepository } from '../identity/platform-operators.repository';
import type { AuditMeta } from './agencies.service';

/**
 * Creates a platform operator unless one exists (first start) or, with `always`, unless the name is
 * taken (CLI). In one unit of work serialised by an advisory lock; `audited` records the entry of
 * the new operator in it, so the operator and its entry commit together (docs/adr/0021). Returns
 * the new id or undefined.
 */
export async function createPlatformOperatorRow(
  unitOfWork: UnitOfWork,
  operators: PlatformOperatorsRepository,
  operator: { username: string; passwordHash: string; now: Date },
  always: boolean,
  audited: (id: string) => void,
): Promise<string | undefined> {
  return unitOfWork.run(async (tx) => {
    await operators.lockBootstrap(tx.client);
    if (!always && (await operators.any(tx.client))) {
      return undefined;
    }
    const row = await operators.insert(tx.client, { id: uuidv7(), ...operator });
    if (row) {
      audited(row.id);
    }
    return row?.id;
  });
}

/**
 * Platform operators: login (an access token with the single role `platform-admin` and the
 * `_platform` agency claim; no refresh token) and the first operator from
 * `BOOTSTRAP_PLATFORM_ADMIN_USERNAME`/`_PASSWORD` on first start.
 */
@Injectable()
export class PlatformOperatorsService implements OnApplicationBootstrap {
  private readonly logger = createLogger('platform-operators');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly operators: PlatformOperatorsRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly audit: AuditRecorder,
    private readonly throttle: LoginThrottle,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const username = this.config.BOOTSTRAP_PLATFORM_ADMIN_USERNAME;
    const password = this.config.BOOTSTRAP_PLATFORM_ADMIN_PASSWORD;
    if (!username || !password) {
      return;
    }
    const id = await createPlatformOperatorRow(
      this.unitOfWork,
      this.operators,
      { username, passwordHash: await this.passwords.hash(password), now: this.clock.now() },
      false,
      (created) =>
        this.audit.record({
          agencyId: PLATFORM_AGENCY_ID,
          actor: { kind: 'service', id: 'api-gateway' },
          action: AuditActions.Created,
          outcome: 'success',
          object: { type: 'platform_operator', id: created },
          reason: 'first platform operator from the bootstrap configuration',
        }),
    );
    if (id) {
      this.logger.info({ operatorId: id }, 'first platform operator created');
    }
  }

  /**
   * Failed operator logins are throttled as users' are (docs/adr/0023: per account and source,
   * per source, per account over all sources; temporary locks that expire), under keys of their
   * own; an unknown name is throttled like a known one, so a 429 tells nothing about it.
   */
  async login(request: PlatformLoginRequest, meta: AuditMeta): Promise<TokenResponse> {
    const operator = await this.operators.findByUsername(request.username);
    const source = meta.source?.ip?.slice(0, 100) ?? 'unknown';
    const account = `platform:${operator?.id ?? `name:${request.username.toLowerCase().slice(0, 254)}`}`;
    const wait = await this.throttle.retryAfter(account, source);
    if (wait > 0) {
      this.denied(meta, operator?.id ?? 'anonymous', 'throttled', { retryAfter: wait });
      throw CredentialsException.throttled(wait);
    }
    if (!operator) {
      await this.passwords.verifyDecoy(request.password);
      this.denied(meta, 'anonymous', 'unknown platform operator');
      await this.failedAttempt(account, source, meta, 'anonymous');
      throw CredentialsException.invalidCredentials();
    }
    const ok = await this.passwords.verify(operator.password_hash, request.password);
    if (!ok || operator.status !== 'active') {
      this.denied(meta, operator.id, ok ? `operator ${operator.status}` : 'wrong password');
      if (!ok) {
        await this.failedAttempt(account, source, meta, operator.id);
      }
      throw CredentialsException.invalidCredentials();
    }
    await this.throttle.succeeded(account, source);
    await this.operators.recordLogin(operator.id, this.clock.now());
    const { token, expiresIn } = await this.tokens.issueAccessToken({
      sub: operator.id,
      agencyId: PLATFORM_AGENCY_ID,
      roles: ['platform-admin'],
    });
    this.audit.record({
      ...meta,
      agencyId: PLATFORM_AGENCY_ID,
      actor: { kind: 'user', id: operator.id, roles: ['platform-admin'] },
      action: AuditActions.LoginSucceeded,
      outcome: 'success',
      object: { type: 'platform_operator', id: operator.id },
    });
    return { accessToken: token, tokenType: 'Bearer', expiresIn };
  }

  /** Counts a failed password; audits the temporary locks it sets. */
  private async failedAttempt(
    account: string,
    source: string,
    meta: AuditMeta,
    actorId: string,
  ): Promise<void> {
    const outcome = await this.throttle.failed(account, source);
    for (const lock of outcome.locked) {
      this.audit.record({
        ...meta,
        agencyId: PLATFORM_AGENCY_ID,
        actor: { kind: 'user', id: actorId },
        action: AuditActions.AccountLocked,
        outcome: 'success',
        ...(actorId === 'anonymous' ? {} : { object: { type: 'platform_operator', id: actorId } }),
        reason:
          lock.scope === 'account'
            ? 'sustained failed logins from many sources: temporary lock'
            : 'failed logins: temporary delay',
        details: { scope: lock.scope, seconds: lock.seconds, failures: outcome.accountFailures },
      });
    }
  }

  private denied(
    meta: AuditMeta,
    id: string,
    reason: string,
    details?: Record<string, unknown>,
  ): void {
    this.audit.record({
      ...meta,
      agencyId: PLATFORM_AGENCY_ID,
      actor: { kind: 'user', id },
      action: AuditActions.LoginFailed,
      outcome: reason === 'throttled' ? 'denied' : 'failed',
      reason,
      ...(details ? { details } : {}),
    });
  }
}
