import { Module, type DynamicModule } from '@nestjs/common';
import { BusModule } from '@gad/bus';
import { JwtVerifier, RedisModule } from '@gad/platform';
import { COMMAND_LOG_KEYS, CommandLogRepository } from './commands/command-log.repository';
import { CommandsService } from './commands/commands.service';
import { DispatchGateway } from './dispatch/dispatch.gateway';
import { OWNERSHIP_KEYS, OwnershipRepository } from './dispatch/ownership.repository';
import { SubscriptionsService } from './dispatch/subscriptions.service';
import { FanoutHandler } from './fanout/fanout.handler';
import { FanoutService } from './fanout/fanout.service';
import { PositionCoalescerService } from './fanout/position-coalescer.service';
import { FieldGateway } from './field/field.gateway';
import { PositionIntakeService } from './field/position-intake.service';
import { ConnectionService } from './realtime/connection.service';
import { ConsumerFailoverService } from './realtime/consumer-failover.service';
import { NamespacesRegistry } from './realtime/namespaces.registry';
import { WsRedisKeys } from './realtime/redis-keys';
import { SOCKET_QUOTA_KEYS, SocketQuotaRepository } from './realtime/socket-quota.repository';
import { instanceIdOf, WS_GATEWAY_CONFIG, type WsGatewayConfig } from './ws-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: WsGatewayConfig): DynamicModule {
    const keys = new WsRedisKeys(config.REDIS_KEY_PREFIX);
    return {
      module: AppModule,
      imports: [
        RedisModule.forRoot({ url: config.REDIS_URL, connectionName: 'ws-gateway' }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId: instanceIdOf(config),
        }),
      ],
      controllers: [FanoutHandler],
      providers: [
        { provide: WS_GATEWAY_CONFIG, useValue: config },
        { provide: SOCKET_QUOTA_KEYS, useValue: keys },
        { provide: COMMAND_LOG_KEYS, useValue: keys },
        { provide: OWNERSHIP_KEYS, useValue: keys },
        {
          provide: JwtVerifier,
          useValue: new JwtVerifier({
            publicKeyPem: config.JWT_PUBLIC_KEY,
            issuer: config.JWT_ISSUER,
            audience: config.JWT_AUDIENCE,
          }),
        },
        NamespacesRegistry,
        SocketQuotaRepository,
        ConnectionService,
        ConsumerFailoverService,
        CommandLogRepository,
        CommandsService,
        OwnershipRepository,
        SubscriptionsService,
        PositionIntakeService,
        PositionCoalescerService,
        FanoutService,
        DispatchGateway,
        FieldGateway,
      ],
    };
  }
}
