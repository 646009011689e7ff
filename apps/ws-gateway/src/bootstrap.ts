import { hostname } from 'node:os';
import { connectBusTransport } from '@gad/bus';
import { Streams } from '@gad/contracts';
import { exitOnConfigError } from '@gad/config';
import { bootstrapService, REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { AppModule } from './app.module';
import { RedisIoAdapter } from './realtime/redis-io.adapter';
import { loadWsGatewayConfig } from './ws-gateway.config';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadWsGatewayConfig);
  const instanceId = config.INSTANCE_ID ?? `ws-gateway:${hostname()}:${process.pid}`;
  await bootstrapService({
    name: 'ws-gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    configure: async (app) => {
      const pub = app.get<Redis>(REDIS_CLIENT);
      app.useWebSocketAdapter(
        new RedisIoAdapter(app, pub, pub.duplicate(), config.REDIS_KEY_PREFIX),
      );
      await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: 'ws-gateway',
        consumer: instanceId,
        streams: [Streams.DispatchEvents],
        rpc: false,
      });
    },
  });
}
