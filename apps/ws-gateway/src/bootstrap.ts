import { connectBusTransport, type StreamConsumer } from '@gad/bus';
import { Streams } from '@gad/contracts';
import { corsSettingsOf, exitOnConfigError } from '@gad/config';
import { createLogger } from '@gad/observability';
import { bootstrapService, REDIS_CLIENT, socketCorsOptions } from '@gad/platform';
import type { Redis } from 'ioredis';
import { AppModule } from './app.module';
import { ConnectionService } from './realtime/connection.service';
import { ConsumerFailoverService } from './realtime/consumer-failover.service';
import { nudgeMemoryReducer } from './realtime/memory-reducer-nudge';
import { RedisIoAdapter } from './realtime/redis-io.adapter';
import { loadWsGatewayConfig } from './ws-gateway.config';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadWsGatewayConfig);
  // A connection storm's garbage is given back once the sockets idle (Node 24 needs the nudge).
  nudgeMemoryReducer();
  await bootstrapService({
    name: 'ws-gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    configure: async (app) => {
      const pub = app.get<Redis>(REDIS_CLIENT);
      // `duplicate()` copies the options, not the listeners: without its own `error` listener an
      // outage is an "Unhandled error event" on the adapter's subscriber connection.
      const sub = pub.duplicate({ enableAutoPipelining: false });
      logRedisErrors(sub, 'socket.io adapter subscriber');
      app.useWebSocketAdapter(
        new RedisIoAdapter(app, pub, sub, {
          channelPrefix: config.REDIS_KEY_PREFIX,
          maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
          pingIntervalMs: config.WS_PING_INTERVAL_MS,
          pingTimeoutMs: config.WS_PING_TIMEOUT_MS,
          // Browser consoles on other origins (CORS_ORIGINS); other browser origins are refused.
          ...socketCorsOptions(corsSettingsOf('ws-gateway', config)),
        }),
      );
      const connections = app.get(ConnectionService);
      const transport = await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: 'ws-gateway',
        // Named after the incarnation in the instance registry: survivors know when it died.
        consumer: connections.incarnation,
        // Not commands (the command channel, CommandChannelSubscriber) nor acks (fed to the
        // consoles by the instance that receives them): docs/adr/0020. notification-service's
        // escalations come on its own stream (docs/adr/0028).
        streams: [Streams.DispatchEvents, Streams.GeoEvents, Streams.NotifyEvents],
        rpc: false,
        // Entries of a batch are handled concurrently (one agency's feed events stay in order).
        concurrency: 32,
      });
      app
        .get(ConsumerFailoverService)
        .attach(transport.unwrap<{ events?: StreamConsumer }>().events);
      // Registered before the platform's own handlers, so it runs first: sockets are told to
      // reconnect elsewhere and their transports closed while the HTTP server stops accepting.
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => connections.drain());
      }
    },
  });
}

/** Logs a connection's errors once per outage (and its recovery); ioredis reconnects by itself. */
function logRedisErrors(redis: Redis, name: string): void {
  const logger = createLogger('redis');
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) {
      down = true;
      logger.warn({ err: error, connection: name }, 'redis connection failed');
    }
  });
  redis.on('ready', () => {
    if (down) {
      down = false;
      logger.info({ connection: name }, 'redis connection recovered');
    }
  });
}
