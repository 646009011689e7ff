import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AccessClaims, Jwks } from '@gad/contracts';
import { exportJWK, jwtVerify, SignJWT } from 'jose';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export const JWT_ALGORITHM = 'ES256';

/** Seconds a login's MFA challenge lives. */
export const MFA_CHALLENGE_TTL_SECONDS = 300;

/** Who passed the password step of a login and owes the second factor. */
export interface MfaChallengeClaims {
  sub: string;
  agencyId: string;
}

/** Signs access tokens with the gateway's private key; publishes the public half as a JWKS. */
@Injectable()
export class TokenService {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId: string;

  constructor(@Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig) {
    this.privateKey = createPrivateKey(config.JWT_PRIVATE_KEY);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = config.JWT_KEY_ID;
  }

  async issueAccessToken(claims: AccessClaims): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = this.config.JWT_ACCESS_TTL_SECONDS;
    const token = await new SignJWT({
      agencyId: claims.agencyId,
      roles: claims.roles,
      ...(claims.unitId ? { unitId: claims.unitId } : {}),
      ...(claims.sid ? { sid: claims.sid } : {}),
      ...(claims.amr ? { amr: claims.amr } : {}),
      ...(claims.mfaPending ? { mfaPending: true } : {}),
    })
      .setProtectedHeader({ alg: JWT_ALGORITHM, kid: this.keyId, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .sign(this.privateKey);
    return { token, expiresIn };
  }

  /**
   * The challenge token of a login's second step: signed like an access token but for another
   * audience (`<JWT_AUDIENCE>:mfa`), so it is never accepted as one.
   */
  async issueMfaChallenge(claims: MfaChallengeClaims): Promise<string> {
    return new SignJWT({ agencyId: claims.agencyId })
      .setProtectedHeader({ alg: JWT_ALGORITHM, kid: this.keyId, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.mfaAudience())
      .setIssuedAt()
      .setExpirationTime(`${MFA_CHALLENGE_TTL_SECONDS}s`)
      .sign(this.privateKey);
  }

  /** The claims of a valid, unexpired challenge token; undefined otherwise. */
  async verifyMfaChallenge(token: string): Promise<MfaChallengeClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.config.JWT_ISSUER,
        audience: this.mfaAudience(),
        algorithms: [JWT_ALGORITHM],
      });
      const agencyId = payload['agencyId'];
      return typeof payload.sub === 'string' && typeof agencyId === 'string'
        ? { sub: payload.sub, agencyId }
        : undefined;
    } catch {
      return undefined;
    }
  }

  private mfaAudience(): string {
    return `${this.config.JWT_AUDIENCE}:mfa`;
  }

  async jwks(): Promise<Jwks> {
    const jwk = await exportJWK(this.publicKey);
    return {
      keys: [{ ...jwk, kty: jwk.kty ?? 'EC', kid: this.keyId, alg: JWT_ALGORITHM, use: 'sig' }],
    };
  }
}
