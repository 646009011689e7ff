import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A user's request: its rate decision, and whether the key checked beside it exists (a revoked
 * session); `revoked` is undefined when Redis did not answer (the caller asks PostgreSQL).
 */
export interface UserDecision {
  decision: RateDecision;
  revoked: boolean | undefined;
}

const rejected = metrics.getMeter('api-gateway').createCounter('gad_http_rate_limited_total', {
  description: 'Requests refused with 429 by the rate limits',
});

/** Refreshes one session may make per window (a refresh token works once: this is generous). */
export const SESSION_REFRESH_POINTS = 30;

/**
 * One token bucket: `capacity` tokens, refilled continuously at `capacity` per `windowMs`; a
 * request takes one token. Returns `{allowed, waitMs, revoked}`; Redis' own clock, so every
 * instance agrees. With a second key (a session's deny-list entry) it also answers whether that key
 * exists: the per-user limit and the session check of a request are one command, not two.
 */
const TOKEN_BUCKET_SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_ms) + 1000)
local revoked = 0
if KEYS[2] then
  revoked = redis.call('EXISTS', KEYS[2])
end
return {allowed, wait, revoked}`;

const TOKEN_BUCKET_COMMAND = 'gadTakeToken';
/** The same script with the deny-list key as a second key. */
const TOKEN_BUCKET_AND_CHECK_COMMAND = 'gadTakeTokenAndCheck';
type TokenBucketCommand = (...args: (string | number)[]) => Promise<[number, number, number]>;

interface Bucket {
  prefix: string;
  capacity: number;
  windowMs: number;
}

/** The same bucket in this instance's memory: the insurance while Redis does not answer. */
class MemoryBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(bucket: Bucket, key: string, now = Date.now()): { allowed: boolean; waitMs: number } {
    const perMs = bucket.capacity / bucket.windowMs;
    const id = `${bucket.prefix}:${key}`;
    const state = this.buckets.get(id) ?? { tokens: bucket.capacity, at: now };
    const tokens = Math.min(bucket.capacity, state.tokens + Math.max(0, now - state.at) * perMs);
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.set(id, { tokens: left, at: now });
    if (this.buckets.size > 100_000) {
      // Full buckets need no state: drop the oldest entries (they refilled long ago).
      for (const [stale] of this.buckets) {
        this.buckets.delete(stale);
        if (this.buckets.size <= 50_000) break;
      }
    }
    return { allowed, waitMs: allowed ? 0 : Math.ceil((1 - left) / perMs) };
  }
}

/**
 * True when a request presents a bearer token. Such a request is limited per user after its token
 * is verified and per IP only when the token fails (GatewayAuthGuard); every other request is
 * limited per IP at the edge.
 */
export function carriesBearerToken(authorization: string | undefined): boolean {
  return authorization !== undefined && /^bearer\s+\S/i.test(authorization);
}

/**
 * Token-bucket limits in Redis (one atomic Lua call per request, shared by every instance): per
 * client IP, per authenticated user and per session refresh. A bucket holds `POINTS` requests and
 * refills continuously at `POINTS` per `RATE_LIMIT_WINDOW_SECONDS`, so a burst is absorbed up to
 * the bucket and a client that stops recovers at once (its next request waits at most one
 * refill step), unlike a fixed window that refuses until the window ends. While Redis does not
 * answer, each instance falls back to the same buckets in memory (insurance), so an outage
 * neither blocks nor unlimits.
 */
@Injectable()
export class RateLimitService {
  private readonly perIp: Bucket;
  private readonly perUser: Bucket;
  private readonly perSession: Bucket;
  private readonly insurance = new MemoryBuckets();
  /**
   * A Redis Cluster refuses a script whose keys lie in different slots (`CROSSSLOT`), and a user's
   * bucket and a session's deny-list entry do: there the two go as two commands in one pipelined
   * write (auto-pipelining), elsewhere as one script.
   */
  private readonly oneCommand: boolean;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(API_GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    // EVALSHA after the first call (the script is not sent with every request).
    if (!(TOKEN_BUCKET_COMMAND in redis)) {
      redis.defineCommand(TOKEN_BUCKET_COMMAND, { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
    }
    if (!(TOKEN_BUCKET_AND_CHECK_COMMAND in redis)) {
      redis.defineCommand(TOKEN_BUCKET_AND_CHECK_COMMAND, {
        numberOfKeys: 2,
        lua: TOKEN_BUCKET_SCRIPT,
      });
    }
    this.oneCommand = (redis as { isCluster?: unknown }).isCluster !== true;
    const windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
    this.perIp = { prefix: 'rl:ip', capacity: config.RATE_LIMIT_IP_POINTS, windowMs };
    this.perUser = { prefix: 'rl:user', capacity: config.RATE_LIMIT_USER_POINTS, windowMs };
    this.perSession = { prefix: 'rl:session', capacity: SESSION_REFRESH_POINTS, windowMs };
  }

  consumeIp(ip: string): Promise<RateDecision> {
    return this.consume(this.perIp, ip, 'ip');
  }

  /**
   * The per-user limit; with `deniedKey` (the deny-list key of the token's session) the same Redis
   * command also answers whether that key exists, so a request with a session costs one command
   * (two pipelined on a Redis Cluster).
   */
  async consumeUser(agencyId: string, userId: string, deniedKey?: string): Promise<UserDecision> {
    const key = `${agencyId}:${userId}`;
    if (!deniedKey || this.oneCommand) {
      const taken = await this.take(this.perUser, key, deniedKey);
      return { decision: this.decide(taken, 'user'), revoked: taken.revoked };
    }
    const [taken, revoked] = await Promise.all([
      this.take(this.perUser, key),
      this.redis.exists(deniedKey).then(
        (found) => found === 1,
        () => undefined,
      ),
    ]);
    return { decision: this.decide(taken, 'user'), revoked };
  }

  /** Token refreshes of one session (they are not limited per IP: see the edge hook). */
  consumeSession(agencyId: string, sessionId: string): Promise<RateDecision> {
    return this.consume(this.perSession, `${agencyId}:${sessionId}`, 'session');
  }

  private async consume(bucket: Bucket, key: string, scope: string): Promise<RateDecision> {
    return this.decide(await this.take(bucket, key), scope);
  }

  /** A token of `bucket` in Redis (and whether `deniedKey` exists), or in memory when Redis fails. */
  private async take(
    bucket: Bucket,
    key: string,
    deniedKey?: string,
  ): Promise<{ allowed: boolean; waitMs: number; revoked?: boolean }> {
    try {
      if (this.redis.status !== 'ready') {
        throw new Error(`redis connection ${this.redis.status}`);
      }
      const commands = this.redis as unknown as Record<string, TokenBucketCommand>;
      const perMs = bucket.capacity / bucket.windowMs;
      const [allowed, waitMs, revoked] = deniedKey
        ? await commands[TOKEN_BUCKET_AND_CHECK_COMMAND].call(
            this.redis,
            `${bucket.prefix}:${key}`,
            deniedKey,
            bucket.capacity,
            perMs,
          )
        : await commands[TOKEN_BUCKET_COMMAND].call(
            this.redis,
            `${bucket.prefix}:${key}`,
            bucket.capacity,
            perMs,
          );
      return { allowed: allowed === 1, waitMs, ...(deniedKey ? { revoked: revoked === 1 } : {}) };
    } catch {
      return this.insurance.take(bucket, key);
    }
  }

  private decide(taken: { allowed: boolean; waitMs: number }, scope: string): RateDecision {
    if (taken.allowed) {
      return { allowed: true };
    }
    rejected.add(1, { scope });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(taken.waitMs / 1000)) };
  }
}
