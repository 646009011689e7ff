import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const rejected = metrics.getMeter('api-gateway').createCounter('gad_http_rate_limited_total', {
  description: 'Requests refused with 429 by the rate limits',
});

/**
 * Fixed-window limits in Redis (one atomic Lua INCR+TTL per request, shared by every instance):
 * per client IP and per authenticated user. While Redis does not answer, each instance falls back
 * to an in-memory limiter of the same size (insurance), so an outage neither blocks nor unlimits.
 */
@Injectable()
export class RateLimitService {
  private readonly perIp: RateLimiterRedis;
  private readonly perUser: RateLimiterRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    @Inject(API_GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: config.RATE_LIMIT_WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix,
          points,
          duration: config.RATE_LIMIT_WINDOW_SECONDS,
        }),
      });
    this.perIp = limiter('rl:ip', config.RATE_LIMIT_IP_POINTS);
    this.perUser = limiter('rl:user', config.RATE_LIMIT_USER_POINTS);
  }

  consumeIp(ip: string): Promise<RateDecision> {
    return this.consume(this.perIp, ip, 'ip');
  }

  consumeUser(agencyId: string, userId: string): Promise<RateDecision> {
    return this.consume(this.perUser, `${agencyId}:${userId}`, 'user');
  }

  private async consume(
    limiter: RateLimiterRedis,
    key: string,
    scope: string,
  ): Promise<RateDecision> {
    try {
      await limiter.consume(key);
      return { allowed: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        rejected.add(1, { scope });
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
        };
      }
      throw error;
    }
  }
}
