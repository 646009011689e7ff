import { hostname } from 'node:os';
import { connectBusTransport } from '@gad/bus';
import { corsSettingsOf, exitOnConfigError, type EnvSource } from '@gad/config';
import { Streams } from '@gad/contracts';
import { bootstrapService } from '@gad/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadApiGatewayConfig, type ApiGatewayConfig } from './api-gateway.config';
import { AppModule } from './app.module';

/** Consumer group (and bus service name) of the api-gateway's stream handlers. */
export const API_GATEWAY_SERVICE = 'api-gateway';

export interface StartApiGatewayOptions {
  instanceId?: string;
  /** Install SIGTERM/SIGINT handlers (default true; tests pass false). */
  handleSignals?: boolean;
  env?: EnvSource;
}

/**
 * Starts the api-gateway: REST plus the bus transport for `command.acknowledged`
 * (gad:field:acks), which advances assignments (docs/adr/0028).
 */
export async function startApiGateway(
  config: ApiGatewayConfig,
  options: StartApiGatewayOptions = {},
): Promise<NestFastifyApplication> {
  const instanceId = options.instanceId ?? `api-gateway:${hostname()}:${process.pid}`;
  return bootstrapService({
    name: 'api-gateway',
    module: AppModule.forRoot(config, instanceId),
    port: config.PORT,
    host: config.HOST,
    handleSignals: options.handleSignals,
    env: options.env,
    // X-Forwarded-For only from TRUSTED_PROXIES (rate limits, login throttling, audit).
    trustedProxies: config.TRUSTED_PROXIES,
    // Browser consoles on other origins (CORS_ORIGINS; none by default).
    cors: corsSettingsOf('api-gateway', config),
    configure: async (app) => {
      await connectBusTransport(app, {
        redis: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        service: API_GATEWAY_SERVICE,
        consumer: instanceId,
        streams: [Streams.FieldAcks],
        rpc: false,
      });
    },
  });
}

export async function bootstrap(): Promise<void> {
  await startApiGateway(exitOnConfigError(loadApiGatewayConfig));
}
