import { hostname } from 'node:os';
import { connectBusTransport } from '@gad/bus';
import { exitOnConfigError } from '@gad/config';
import { bootstrapService } from '@gad/platform';
import { AppModule } from './app.module';
import { loadAuditLogWorkerConfig } from './audit-log-worker.config';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadAuditLogWorkerConfig);
  const instanceId = `audit-log-worker:${hostname()}:${process.pid}`;
  await bootstrapService({
    name: 'audit-log-worker',
    module: AppModule.forRoot(config, instanceId),
    port: config.PORT,
    host: config.HOST,
    configure: async (app) => {
      // Serves the audit.query / audit.verify RPCs on gad:rpc:audit-log-worker, and over pub/sub
      // request/reply (docs/adr/0024).
      await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: 'audit-log-worker',
        consumer: instanceId,
        streams: [],
        rpc: true,
        pubsub: true,
      });
    },
  });
}
