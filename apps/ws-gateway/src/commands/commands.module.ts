import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { WsRedisKeys } from '../realtime/redis-keys';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { COMMAND_LOG_KEYS, CommandLogRepository } from './command-log.repository';
import { CommandsService } from './commands.service';

/** Commands to officers: the durable per-recipient log, delivery to sockets, replay, acks. */
@Module({
  imports: [RealtimeModule],
  providers: [
    {
      provide: COMMAND_LOG_KEYS,
      inject: [WS_GATEWAY_CONFIG],
      useFactory: (config: WsGatewayConfig) => new WsRedisKeys(config.REDIS_KEY_PREFIX),
    },
    CommandLogRepository,
    CommandsService,
  ],
  exports: [CommandsService],
})
export class CommandsModule {}
