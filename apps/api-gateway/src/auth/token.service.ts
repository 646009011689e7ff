import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AccessClaims, Jwks } from '@gad/contracts';
import { exportJWK, SignJWT } from 'jose';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export const JWT_ALGORITHM = 'ES256';

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

  async jwks(): Promise<Jwks> {
    const jwk = await exportJWK(this.publicKey);
    return {
      keys: [{ ...jwk, kty: jwk.kty ?? 'EC', kid: this.keyId, alg: JWT_ALGORITHM, use: 'sig' }],
    };
  }
}
