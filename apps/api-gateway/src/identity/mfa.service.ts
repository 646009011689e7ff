import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { UnitOfWork } from '@gad/bus';
import type { AccessClaims, MfaStatus, RecoveryCodes, TotpEnrolment } from '@gad/contracts';
import { Secret, TOTP } from 'otpauth';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { settingsOf } from '../agencies/agency-settings';
import { AgenciesRepository } from './agencies.repository';
import { IDENTITY_CLOCK, type Clock } from './identity.constants';
import { IdentityException } from './identity.exception';
import { MfaRepository, type MfaRow } from './mfa.repository';
import { SessionRevocations } from './session-revocations.service';
import { SessionsRepository } from './sessions.repository';
import { TotpSecrets } from './totp-secrets.service';
import { actorOf } from './users.service';
import { UsersRepository } from './users.repository';

const PERIOD_S = 30;
/** Development tokens name users that have no row (their ids are not UUIDs). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RECOVERY_CODES = 10;
/** Audit actions of MFA (`<noun>.<verb>`). */
export const MfaAuditActions = {
  Challenged: 'auth.mfa_challenge',
  EnrolmentStarted: 'auth.mfa_enrol_start',
  Enrolled: 'auth.mfa_enrol',
  Verified: 'auth.mfa_verify',
  Failed: 'auth.mfa_failed',
  RecoveryCodeUsed: 'auth.mfa_recovery_code',
  Reset: 'auth.mfa_reset',
  SessionEnded: 'auth.session_end',
} as const;

const normaliseRecoveryCode = (code: string): string => code.replace(/-/g, '').toLowerCase();
const digestOf = (code: string): Buffer =>
  createHash('sha256').update(normaliseRecoveryCode(code)).digest();

/** A recovery code: 8 characters of [a-z2-7] shown as `xxxx-xxxx` (40 bits, one use). */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(8);
  const chars = [...bytes].map((byte) => alphabet[byte % 32]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** How a second factor was proved, or why not. */
export type SecondFactor = 'totp' | 'recovery_code' | 'invalid';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) enrolment, code checks that accept each time
 * step once, one-time recovery codes (digests only), the admin's reset, and the agency policy
 * (`mfaRequiredRoles` in the agency settings) — docs/adr/0023.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly mfa: MfaRepository,
    private readonly secrets: TotpSecrets,
    private readonly agencies: AgenciesRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly revocations: SessionRevocations,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  /** Whether the agency's policy requires a second factor of a user with these roles. */
  async requiredFor(agencyId: string, roles: readonly string[]): Promise<boolean> {
    const agency = await this.agencies.find(agencyId);
    const required: readonly string[] = settingsOf(agency?.settings).mfaRequiredRoles;
    return roles.some((role) => required.includes(role));
  }

  /** Whether the user has a confirmed TOTP secret. */
  async enrolled(agencyId: string, userId: string): Promise<boolean> {
    return (await this.mfa.find(agencyId, userId))?.confirmed_at != null;
  }

  async status(caller: AccessClaims): Promise<MfaStatus> {
    if (!UUID.test(caller.sub)) {
      const required = await this.requiredFor(caller.agencyId, caller.roles);
      return { totp: false, recoveryCodesLeft: 0, required };
    }
    const [row, left, required] = await Promise.all([
      this.mfa.find(caller.agencyId, caller.sub),
      this.mfa.recoveryCodesLeft(caller.agencyId, caller.sub),
      this.requiredFor(caller.agencyId, caller.roles),
    ]);
    return { totp: row?.confirmed_at != null, recoveryCodesLeft: left, required };
  }

  /** A new unconfirmed secret (409 when TOTP is already confirmed: an admin resets it first). */
  async enrol(caller: AccessClaims): Promise<TotpEnrolment> {
    const user = UUID.test(caller.sub)
      ? await this.users.find(caller.agencyId, caller.sub)
      : undefined;
    if (!user) {
      throw IdentityException.userNotFound(caller.sub);
    }
    const secret = new Secret({ size: 20 });
    const started = await this.mfa.start(
      caller.agencyId,
      caller.sub,
      this.secrets.seal(caller.agencyId, caller.sub, secret.base32),
      this.clock.now(),
    );
    if (!started) {
      throw IdentityException.mfaAlreadyEnrolled();
    }
    return {
      secret: secret.base32,
      otpauthUri: this.totp(secret.base32, user.username).toString(),
    };
  }

  /**
   * Confirms the pending secret with a current code: the recovery codes (shown once), and the
   * caller's session now counts as MFA-proved (its next refresh says so).
   */
  async confirm(caller: AccessClaims, code: string): Promise<RecoveryCodes> {
    if (!UUID.test(caller.sub)) {
      throw IdentityException.mfaNotStarted();
    }
    const now = this.clock.now();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.unitOfWork.run(async (tx) => {
      const row = await this.mfa.lock(tx.client, caller.agencyId, caller.sub);
      if (!row) {
        throw IdentityException.mfaNotStarted();
      }
      if (row.confirmed_at) {
        throw IdentityException.mfaAlreadyEnrolled();
      }
      const step = this.acceptedStep(row, code, now);
      if (step === undefined) {
        throw IdentityException.mfaCodeIncorrect();
      }
      await this.mfa.acceptStep(tx.client, caller.agencyId, caller.sub, step, now);
      await this.mfa.replaceRecoveryCodes(
        tx.client,
        caller.agencyId,
        caller.sub,
        codes.map(digestOf),
      );
      if (caller.sid) {
        await this.sessions.addMethod(tx.client, caller.agencyId, caller.sid, 'otp');
      }
    });
    return { recoveryCodes: codes };
  }

  /**
   * Checks a second factor of a user with confirmed TOTP: a code of the current time step (±1),
   * each step accepted once, or an unused recovery code (then used up).
   */
  async verify(agencyId: string, userId: string, code: string): Promise<SecondFactor> {
    const now = this.clock.now();
    if (!/^[0-9]{6}$/.test(code)) {
      return (await this.mfa.useRecoveryCode(agencyId, userId, digestOf(code), now))
        ? 'recovery_code'
        : 'invalid';
    }
    return this.unitOfWork.run(async (tx) => {
      const row = await this.mfa.lock(tx.client, agencyId, userId);
      if (!row?.confirmed_at) {
        return 'invalid';
      }
      const step = this.acceptedStep(row, code, now);
      if (step === undefined) {
        return 'invalid';
      }
      await this.mfa.acceptStep(tx.client, agencyId, userId, step, now);
      return 'totp';
    });
  }

  /** The admin removes a user's TOTP and recovery codes; the user's sessions end. */
  async reset(caller: AccessClaims, userId: string): Promise<void> {
    const now = this.clock.now();
    const revoked = await this.unitOfWork.run(async (tx) => {
      const user = await this.users.lock(tx.client, caller.agencyId, userId);
      if (!user) {
        throw IdentityException.userNotFound(userId);
      }
      await this.mfa.delete(tx.client, caller.agencyId, userId);
      return this.revocations.revokeInTransaction(tx, {
        agencyId: caller.agencyId,
        userId,
        reason: 'admin',
        actor: actorOf(caller),
        now,
      });
    });
    await this.revocations.denyList(revoked);
  }

  /** The time step a code matches (newer than the last one accepted), if any. */
  private acceptedStep(row: MfaRow, code: string, now: Date): number | undefined {
    const secret = this.secrets.open(row.agency_id, row.user_id, row.totp_secret);
    if (secret === undefined) {
      return undefined;
    }
    const lastStep = Number(row.last_step);
    const delta = this.totp(secret, 'user').validate({
      token: code,
      timestamp: now.getTime(),
      window: 1,
    });
    if (delta === null) {
      return undefined;
    }
    const step = Math.floor(now.getTime() / 1000 / PERIOD_S) + delta;
    return step > lastStep ? step : undefined;
  }

  private totp(secret: string, label: string): TOTP {
    return new TOTP({
      issuer: this.config.AUTH_MFA_ISSUER,
      label,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD_S,
      secret: Secret.fromBase32(secret),
    });
  }
}
