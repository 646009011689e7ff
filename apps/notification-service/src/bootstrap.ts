import { hostname } from 'node:os';
import { AuditInterceptor } from '@gad/audit';
import { connectBusTransport } from '@gad/bus';
import { exitOnConfigError, type EnvSource } from '@gad/config';
import { NOTIFY_RPC_SERVICE, Streams } from '@gad/contracts';
import { bootstrapService } from '@gad/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type NotificationServiceModuleOptions } from './app.module';
import {
  loadNotificationServiceConfig,
  type NotificationServiceConfig,
} from './notification-service.config';

export interface StartNotificationServiceOptions extends NotificationServiceModuleOptions {
  instanceId?: string;
  /** Install SIGTERM/SIGINT handlers (default true; tests pass false). */
  handleSignals?: boolean;
  env?: EnvSource;
}

/**
 * Starts notification-service: HTTP (health, metrics), the consumers of dispatch, geo and ack
 * streams plus its RPCs, the BullMQ workers (escalation, channels) and the outbox relay.
 */
export async function startNotificationService(
  config: NotificationServiceConfig,
  options: StartNotificationServiceOptions = {},
): Promise<NestFastifyApplication> {
  const instanceId =
    options.instanceId ?? config.INSTANCE_ID ?? `notification-service:${hostname()}:${process.pid}`;
  return bootstrapService({
    name: 'notification-service',
    module: AppModule.forRoot(config, instanceId, options),
    port: config.PORT,
    host: config.HOST,
    handleSignals: options.handleSignals,
    env: options.env,
    configure: async (app) => {
      await connectBusTransport(
        app,
        {
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          service: NOTIFY_RPC_SERVICE,
          consumer: instanceId,
          streams: [Streams.DispatchEvents, Streams.GeoEvents, Streams.FieldAcks],
          concurrency: config.CONSUMER_CONCURRENCY,
          batchSize: Math.max(100, config.CONSUMER_CONCURRENCY),
          rpc: true,
        },
        // A change api-gateway forwards records its request's audit entry in its transaction.
        [app.get(AuditInterceptor)],
      );
    },
  });
}

export async function bootstrap(): Promise<void> {
  await startNotificationService(exitOnConfigError(loadNotificationServiceConfig));
}
