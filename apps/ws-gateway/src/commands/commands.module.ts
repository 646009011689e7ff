import { Module } from '@nestjs/common';
import { FanoutModule } from '../fanout/fanout.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { WsRedisKeys } from '../realtime/redis-keys';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { CommandChannelSubscriber } from './command-channel.subscriber';
import { COMMAND_LOG_KEYS, CommandLogRepository } from './command-log.repository';
import { CommandsService } from './commands.service';

/**
 * Commands to officers: the command channel every instance subscribes to, delivery to sockets,
 * replay from the durable per-recipient log, acks checked against it.
 */
@Module({
  imports: [RealtimeModule, FanoutModule],
  providers: [
    {
      provide: COMMAND_LOG_KEYS,
      inject: [WS_GATEWAY_CONFIG],
      useFactory: (config: WsGatewayConfig) => new WsRedisKeys(config.REDIS_KEY_PREFIX),
    },
    CommandLogRepository,
    CommandsService,
    CommandChannelSubscriber,
  ],
  exports: [CommandsService],
})
export class CommandsModule {}
