import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { EdgeHooks } from './edge-hooks.service';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';
import { RateLimitService } from './rate-limit.service';

/** Edge protections: load shedding and per-IP limits (Fastify hook), idempotency (interceptor). */
@Module({
  providers: [
    RateLimitService,
    EdgeHooks,
    IdempotencyStore,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [RateLimitService],
})
export class EdgeModule {}
