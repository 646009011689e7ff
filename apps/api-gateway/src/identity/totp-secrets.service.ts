import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { SecretBox } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { MfaRepository } from './mfa.repository';

/** Version tag of a sealed secret as stored: `v1:<key id>:<iv.ciphertext.tag>` (base64 parts). */
const VERSION = 'v1';
/** Secrets sealed again per batch at boot. */
const RESEAL_BATCH = 500;

/**
 * TOTP secrets at rest (docs/adr/0023): sealed with AES-256-GCM under `MFA_SECRETS_KEY` and bound to
 * their row (agency and user), so a database reader learns no second factor and a secret copied to
 * another user's row does not open. At boot, secrets stored before sealing or sealed with an earlier
 * key (`MFA_SECRETS_PREVIOUS_KEYS`) are sealed again with the current one, so a rotation completes
 * once every replica runs with the new key.
 */
@Injectable()
export class TotpSecrets implements OnApplicationBootstrap {
  private readonly logger = createLogger('totp-secrets');
  private readonly box: SecretBox;

  constructor(
    private readonly mfa: MfaRepository,
    @Inject(API_GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    this.box = SecretBox.fromEnv(
      config.MFA_SECRETS_KEY,
      config.MFA_SECRETS_KEY_ID,
      config.MFA_SECRETS_PREVIOUS_KEYS,
    );
  }

  /** The stored form of a base32 secret of this user. */
  seal(agencyId: string, userId: string, secret: string): string {
    const sealed = this.box.seal(secret, aadOf(agencyId, userId));
    return `${VERSION}:${sealed.keyId}:${sealed.ciphertext}`;
  }

  /**
   * The base32 secret of a stored value; a value from before sealing is base32 itself. Undefined
   * (logged) when it does not open: an unknown key, or a value altered or moved to another row.
   */
  open(agencyId: string, userId: string, stored: string): string | undefined {
    const parts = stored.split(':');
    if (parts.length !== 3 || parts[0] !== VERSION) {
      return /^[A-Z2-7]+=*$/.test(stored) ? stored : undefined;
    }
    try {
      return this.box.open({ keyId: parts[1], ciphertext: parts[2] }, aadOf(agencyId, userId));
    } catch (error) {
      this.logger.error(
        { agencyId, userId, keyId: parts[1], err: error },
        'a stored TOTP secret does not open (unknown key, or altered): the code is refused',
      );
      return undefined;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const current = `${VERSION}:${this.box.keyId}:`;
    let sealed = 0;
    let unreadable = 0;
    let after = '';
    for (;;) {
      const rows = await this.mfa.findUnsealed(current, RESEAL_BATCH, after);
      for (const row of rows) {
        const secret = this.open(row.agency_id, row.user_id, row.totp_secret);
        if (secret === undefined) {
          unreadable += 1;
          continue;
        }
        const replacement = this.seal(row.agency_id, row.user_id, secret);
        if (
          await this.mfa.replaceSecret(row.agency_id, row.user_id, row.totp_secret, replacement)
        ) {
          sealed += 1;
        }
      }
      if (rows.length < RESEAL_BATCH) break;
      after = rows[rows.length - 1].user_id;
    }
    if (sealed > 0 || unreadable > 0) {
      this.logger.info(
        { sealed, unreadable, keyId: this.box.keyId },
        'TOTP secrets sealed with the current key',
      );
    }
  }
}

function aadOf(agencyId: string, userId: string): string {
  return `dispatch.user_mfa:${agencyId}:${userId}`;
}
