import { connectBusTransport } from '@gad/bus';
import { Streams } from '@gad/contracts';
import { exitOnConfigError } from '@gad/config';
import { bootstrapService, REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { AppModule } from './app.module';
import { ConnectionService } from './realtime/connection.service';
import { RedisIoAdapter } from './realtime/redis-io.adapter';
import { instanceIdOf, loadWsGatewayConfig } from './ws-gateway.config';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadWsGatewayConfig);
  await bootstrapService({
    name: 'ws-gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    configure: async (app) => {
      const pub = app.get<Redis>(REDIS_CLIENT);
      app.useWebSocketAdapter(
        new RedisIoAdapter(app, pub, pub.duplicate({ enableAutoPipelining: false }), {
          channelPrefix: config.REDIS_KEY_PREFIX,
          maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
          pingIntervalMs: config.WS_PING_INTERVAL_MS,
          pingTimeoutMs: config.WS_PING_TIMEOUT_MS,
        }),
      );
      await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: 'ws-gateway',
        consumer: instanceIdOf(config),
        streams: [Streams.DispatchEvents, Streams.GeoEvents, Streams.NotifyOutbound],
        rpc: false,
        // Entries of a batch are handled concurrently (commands of one recipient stay in order).
        concurrency: 32,
      });
      // Registered before the platform's own handlers, so it runs first: sockets are told to
      // reconnect elsewhere and their transports closed while the HTTP server stops accepting.
      const connections = app.get(ConnectionService);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => connections.drain());
      }
    },
  });
}
