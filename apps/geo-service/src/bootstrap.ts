import { hostname } from 'node:os';
import { AuditInterceptor } from '@gad/audit';
import { connectBusTransport } from '@gad/bus';
import { exitOnConfigError, type EnvSource } from '@gad/config';
import { GEO_RPC_SERVICE, Streams } from '@gad/contracts';
import { bootstrapService } from '@gad/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { loadGeoServiceConfig, type GeoServiceConfig } from './geo-service.config';

export interface StartGeoServiceOptions {
  instanceId?: string;
  /** Install SIGTERM/SIGINT handlers (default true; tests pass false). */
  handleSignals?: boolean;
  env?: EnvSource;
}

/** Starts geo-service: HTTP (health, metrics) plus the bus transport for its streams and RPCs. */
export async function startGeoService(
  config: GeoServiceConfig,
  options: StartGeoServiceOptions = {},
): Promise<NestFastifyApplication> {
  const instanceId =
    options.instanceId ?? config.INSTANCE_ID ?? `geo-service:${hostname()}:${process.pid}`;
  return bootstrapService({
    name: 'geo-service',
    module: AppModule.forRoot(config, instanceId),
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
          service: GEO_RPC_SERVICE,
          consumer: instanceId,
          streams: [Streams.GeoPositions, Streams.DispatchEvents],
          // Entries are handled concurrently and merged into ingestion batches (IngestBatcher).
          concurrency: config.INGEST_CONCURRENCY,
          batchSize: Math.max(100, config.INGEST_CONCURRENCY),
          rpc: true,
          // Reads (nearest, tracks, geofences) also over pub/sub request/reply (docs/adr/0024).
          pubsub: true,
        },
        // A change api-gateway forwards records its request's audit entry in its transaction.
        [app.get(AuditInterceptor)],
      );
    },
  });
}

export async function bootstrap(): Promise<void> {
  await startGeoService(exitOnConfigError(loadGeoServiceConfig));
}
