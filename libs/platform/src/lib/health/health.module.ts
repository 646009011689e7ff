import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health.registry';

/**
 * `GET /health/live`, `GET /health/ready`, `GET /metrics` and the global {@link HealthRegistry}.
 * `bootstrapService` imports it for every service.
 */
@Global()
@Module({
  controllers: [HealthController],
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class HealthModule {}
