import { Module, type DynamicModule } from '@nestjs/common';
import { JwtVerifier, RedisModule } from '@gad/platform';
import { DispatchGateway } from './dispatch/dispatch.gateway';
import { FanoutHandler } from './fanout/fanout.handler';
import { FanoutService } from './fanout/fanout.service';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from './ws-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: WsGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [RedisModule.forRoot({ url: config.REDIS_URL, connectionName: 'ws-gateway' })],
      controllers: [FanoutHandler],
      providers: [
        { provide: WS_GATEWAY_CONFIG, useValue: config },
        {
          provide: JwtVerifier,
          useValue: new JwtVerifier({
            publicKeyPem: config.JWT_PUBLIC_KEY,
            issuer: config.JWT_ISSUER,
            audience: config.JWT_AUDIENCE,
          }),
        },
        DispatchGateway,
        FanoutService,
      ],
    };
  }
}
