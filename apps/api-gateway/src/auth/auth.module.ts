import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard, JwtVerifier } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { AuthController } from './auth.controller';
import { JWT_ALGORITHM, TokenService } from './token.service';

@Module({
  controllers: [AuthController],
  providers: [
    TokenService,
    {
      provide: JwtVerifier,
      inject: [API_GATEWAY_CONFIG],
      useFactory: (config: ApiGatewayConfig) =>
        new JwtVerifier({
          publicKeyPem: config.JWT_PRIVATE_KEY,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          algorithms: [JWT_ALGORITHM],
        }),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, JwtVerifier],
})
export class AuthModule {}
