import { Module } from '@nestjs/common';
import { WsRedisKeys } from '../realtime/redis-keys';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { OWNERSHIP_KEYS, OwnershipRepository } from './ownership.repository';

/** Which agency owns an incident or zone: learnt by the fan-out, checked by subscriptions. */
@Module({
  providers: [
    {
      provide: OWNERSHIP_KEYS,
      inject: [WS_GATEWAY_CONFIG],
      useFactory: (config: WsGatewayConfig) => new WsRedisKeys(config.REDIS_KEY_PREFIX),
    },
    OwnershipRepository,
  ],
  exports: [OwnershipRepository],
})
export class OwnershipModule {}
