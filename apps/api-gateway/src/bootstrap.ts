import { hostname } from 'node:os';
import { exitOnConfigError } from '@gad/config';
import { bootstrapService } from '@gad/platform';
import { loadApiGatewayConfig } from './api-gateway.config';
import { AppModule } from './app.module';

export async function bootstrap(): Promise<void> {
  const config = exitOnConfigError(loadApiGatewayConfig);
  const instanceId = `api-gateway:${hostname()}:${process.pid}`;
  await bootstrapService({
    name: 'api-gateway',
    module: AppModule.forRoot(config, instanceId),
    port: config.PORT,
    host: config.HOST,
  });
}
