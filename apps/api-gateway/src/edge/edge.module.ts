import { Module } from '@nestjs/common';
import { EdgeHooks } from './edge-hooks.service';
import { IdempotencyBinding } from './idempotency-binding';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';
import { RateLimitService } from './rate-limit.service';

/**
 * Edge protections: load shedding and per-IP limits (Fastify hook), idempotency (interceptor bound
 * to the routes of idempotent operations only, by {@link IdempotencyBinding}; docs/adr/0040).
 */
@Module({
  providers: [
    RateLimitService,
    EdgeHooks,
    IdempotencyStore,
    IdempotencyInterceptor,
    IdempotencyBinding,
  ],
  exports: [RateLimitService],
})
export class EdgeModule {}
