import { hostname } from 'node:os';
import { connectBusTransport } from '@gad/bus';
import { Streams } from '@gad/contracts';
import { exitOnConfigError } from '@gad/config';
import { bootstrapService } from '@gad/platform';
import { AppModule } from './app.module';
import { loadNotificationServiceConfig } from './notification-service.config';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadNotificationServiceConfig);
  const instanceId = config.INSTANCE_ID ?? `notification-service:${hostname()}:${process.pid}`;
  await bootstrapService({
    name: 'notification-service',
    module: AppModule,
    port: config.PORT,
    host: config.HOST,
    configure: async (app) => {
      await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: 'notification-service',
        consumer: instanceId,
        streams: [Streams.DispatchEvents],
        rpc: false,
      });
    },
  });
}
