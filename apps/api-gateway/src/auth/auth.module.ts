import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtVerifier } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { EdgeModule } from '../edge/edge.module';
import { IdentityModule } from '../identity/identity.module';
import { UnitsModule } from '../units/units.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { GatewayAuthGuard } from './gateway-auth.guard';
import { JWT_ALGORITHM, TokenService } from './token.service';

@Module({
  imports: [IdentityModule, EdgeModule, UnitsModule],
  controllers: [AuthController],
  providers: [
    TokenService,
    AuthService,
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
    { provide: APP_GUARD, useClass: GatewayAuthGuard },
  ],
  exports: [TokenService, JwtVerifier],
})
export class AuthModule {}
