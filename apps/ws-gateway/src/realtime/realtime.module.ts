import { Module } from '@nestjs/common';
import { JwtVerifier } from '@gad/platform';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { ConnectionService } from './connection.service';
import { ConsumerFailoverService } from './consumer-failover.service';
import { NamespacesRegistry } from './namespaces.registry';
import { SocketAuditService } from './socket-audit.service';
import { WsRedisKeys } from './redis-keys';
import { SOCKET_QUOTA_KEYS, SocketQuotaRepository } from './socket-quota.repository';

/**
 * What both namespaces stand on: the handshake (token, quota of sockets per user), the live
 * namespaces, the instance heartbeats that take over a dead instance's stream consumers.
 */
@Module({
  providers: [
    {
      provide: JwtVerifier,
      inject: [WS_GATEWAY_CONFIG],
      useFactory: (config: WsGatewayConfig) =>
        new JwtVerifier({
          publicKeyPem: config.JWT_PUBLIC_KEY,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        }),
    },
    {
      provide: SOCKET_QUOTA_KEYS,
      inject: [WS_GATEWAY_CONFIG],
      useFactory: (config: WsGatewayConfig) => new WsRedisKeys(config.REDIS_KEY_PREFIX),
    },
    NamespacesRegistry,
    SocketQuotaRepository,
    ConnectionService,
    ConsumerFailoverService,
    SocketAuditService,
  ],
  exports: [NamespacesRegistry, ConnectionService, SocketAuditService],
})
export class RealtimeModule {}
