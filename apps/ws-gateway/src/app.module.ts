import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule } from '@gad/bus';
import { ConfigModule, RedisModule } from '@gad/platform';
import { CommandsModule } from './commands/commands.module';
import { DispatchModule } from './dispatch/dispatch.module';
import { FanoutModule } from './fanout/fanout.module';
import { FieldModule } from './field/field.module';
import { OwnershipModule } from './ownership/ownership.module';
import { RealtimeModule } from './realtime/realtime.module';
import { instanceIdOf, WS_GATEWAY_CONFIG, type WsGatewayConfig } from './ws-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: WsGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forApp(WS_GATEWAY_CONFIG, config),
        RedisModule.forRoot({ url: config.REDIS_URL, connectionName: 'ws-gateway' }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId: instanceIdOf(config),
        }),
        // No database: entries go to the audit queue, awaited before the socket is answered (ADR 0021).
        AuditModule.forRoot({
          service: 'ws-gateway',
          redisUrl: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
        }),
        // The features; each folder under src/ is one module.
        RealtimeModule,
        OwnershipModule,
        CommandsModule,
        FanoutModule,
        DispatchModule,
        FieldModule,
      ],
    };
  }
}
