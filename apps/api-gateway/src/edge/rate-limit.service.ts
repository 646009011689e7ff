import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateDecision = { allowed: true };

const rejected = metrics.getMeter('api-gateway').createCounter('gad_http_rate_limited_total', {
  description: 'Requests refused with 429 by the rate limits',
});

/** Refreshes one session may make per window (a refresh token works once: this is generous). */
export const SESSION_REFRESH_POINTS = 30;

/**
 * One token bucket: `capacity` tokens, refilled continuously at `capacity` per `windowMs`. A call
 * takes up to `want` tokens (a lease, spent in this instance's memory) and returns
 * `{granted, waitMs}`: `granted` ≥ 1, or 0 with the wait until one token is there. Redis' own
 * clock, so every instance agrees.
 */
const TOKEN_LEASE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local granted = math.min(want, math.floor(tokens))
local wait = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_ms) + 1000)
return {granted, wait}`;

const TOKEN_LEASE_COMMAND = 'gadLeaseTokens';
type TokenLeaseCommand = (...args: (string | number)[]) => Promise<[number, number]>;

/**
 * A lease lives this long: tokens not spent by then are dropped (they were taken from the shared
 * bucket, so a dropped lease only ever refuses sooner).
 */
export const LEASE_MS = 1_000;
/** The most tokens one lease takes from a shared bucket. */
export const LEASE_MAX_TOKENS = 32;

/**
 * The largest lease of a bucket: small buckets are leased one token at a time (exact), larger ones
 * up to 1 % of the bucket and {@link LEASE_MAX_TOKENS}.
 */
export function leaseCeiling(capacity: number): number {
  return Math.max(1, Math.min(LEASE_MAX_TOKENS, Math.floor(capacity / 100)));
}

/** This instance's lease on one shared bucket, or its refusal until a token is there. */
interface Lease {
  tokens: number;
  /** Tokens the last refill asked for (doubles while leases are used up, back to 1 when not). */
  size: number;
  expiresAt: number;
  /** While the shared bucket refused: no token before this time (epoch ms). */
  refusedUntil: number;
}

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
 * Token-bucket limits shared by every instance through Redis: per client IP, per authenticated user
 * and per session refresh. A bucket holds `POINTS` requests and refills continuously at `POINTS`
 * per `RATE_LIMIT_WINDOW_SECONDS`, so a burst is absorbed up to the bucket and a client that stops
 * recovers at once (its next request waits at most one refill step), unlike a fixed window that
 * refuses until the window ends.
 *
 * No Redis command per request (docs/adr/0035): an instance takes tokens from the shared bucket in
 * leases (one atomic Lua call takes up to {@link leaseCeiling} tokens) and spends them in memory;
 * a lease that is used up within {@link LEASE_MS} doubles the next one, a lease that expires
 * unused is dropped and the next one is a single token, so an occasional client costs what it did
 * (a command per request) and a busy one a command per up to 32 requests. Every token spent was
 * taken from the shared bucket first: across N instances a key gets at most N × (ceiling − 1)
 * requests more than the exact bucket in any interval (the leases held), and at most as many
 * fewer for at most {@link LEASE_MS} (leases dropped unused). A refusal is remembered until the
 * bucket has a token again (no command while a client hammers a refused key). While Redis does not
 * answer, each instance falls back to the same buckets in memory (insurance), so an outage neither
 * blocks nor unlimits.
 */
@Injectable()
export class RateLimitService {
  private readonly perIp: Bucket;
  private readonly perUser: Bucket;
  private readonly perSession: Bucket;
  private readonly insurance = new MemoryBuckets();
  private readonly leases = new Map<string, Lease>();
  private readonly command: TokenLeaseCommand;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(API_GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    // EVALSHA after the first call (the script is not sent with every request); one key, so it
    // runs on a Redis Cluster too.
    if (!(TOKEN_LEASE_COMMAND in redis)) {
      redis.defineCommand(TOKEN_LEASE_COMMAND, { numberOfKeys: 1, lua: TOKEN_LEASE_SCRIPT });
    }
    this.command = (redis as unknown as Record<string, TokenLeaseCommand>)[TOKEN_LEASE_COMMAND];
    const windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
    this.perIp = { prefix: 'rl:ip', capacity: config.RATE_LIMIT_IP_POINTS, windowMs };
    this.perUser = { prefix: 'rl:user', capacity: config.RATE_LIMIT_USER_POINTS, windowMs };
    this.perSession = { prefix: 'rl:session', capacity: SESSION_REFRESH_POINTS, windowMs };
  }

  /** The per-IP limit (a decision without a promise when this instance's lease answers). */
  consumeIp(ip: string): RateDecision | Promise<RateDecision> {
    return this.consume(this.perIp, ip, 'ip');
  }

  /** The per-user limit (a decision without a promise when this instance's lease answers). */
  consumeUser(agencyId: string, userId: string): RateDecision | Promise<RateDecision> {
    return this.consume(this.perUser, `${agencyId}:${userId}`, 'user');
  }

  /** Token refreshes of one session (they are not limited per IP: see the edge hook). */
  consumeSession(agencyId: string, sessionId: string): Promise<RateDecision> {
    return Promise.resolve(this.consume(this.perSession, `${agencyId}:${sessionId}`, 'session'));
  }

  private consume(
    bucket: Bucket,
    key: string,
    scope: string,
  ): RateDecision | Promise<RateDecision> {
    const id = `${bucket.prefix}:${key}`;
    const now = Date.now();
    const lease = this.leases.get(id);
    if (lease) {
      if (lease.refusedUntil > now) {
        return this.decide({ allowed: false, waitMs: lease.refusedUntil - now }, scope);
      }
      if (lease.tokens >= 1 && lease.expiresAt > now) {
        lease.tokens -= 1;
        return ALLOWED;
      }
    }
    return this.refill(bucket, id, key, lease, now).then((taken) => this.decide(taken, scope));
  }

  /** A new lease from the shared bucket (this request takes its first token), or the insurance. */
  private async refill(
    bucket: Bucket,
    id: string,
    key: string,
    previous: Lease | undefined,
    now: number,
  ): Promise<{ allowed: boolean; waitMs: number }> {
    const ceiling = leaseCeiling(bucket.capacity);
    // Used up before it expired: the key is busy here, ask for twice as many.
    const size =
      previous && previous.tokens < 1 && previous.expiresAt > now
        ? Math.min(ceiling, previous.size * 2)
        : 1;
    let granted: number;
    let waitMs: number;
    try {
      if (this.redis.status !== 'ready') {
        throw new Error(`redis connection ${this.redis.status}`);
      }
      [granted, waitMs] = await this.command.call(
        this.redis,
        id,
        bucket.capacity,
        bucket.capacity / bucket.windowMs,
        size,
      );
    } catch {
      return this.insurance.take(bucket, key);
    }
    const at = Date.now();
    if (this.leases.size >= 100_000 && !this.leases.has(id)) {
      this.prune(at);
    }
    // Another request of the key may have refilled meanwhile: tokens add up, nothing is lost.
    const current = this.leases.get(id);
    const carried = current && current.expiresAt > at ? current.tokens : 0;
    if (granted >= 1) {
      this.leases.set(id, {
        tokens: carried + granted - 1,
        size,
        expiresAt: at + LEASE_MS,
        refusedUntil: 0,
      });
      return { allowed: true, waitMs: 0 };
    }
    if (carried >= 1 && current) {
      current.tokens -= 1;
      return { allowed: true, waitMs: 0 };
    }
    this.leases.set(id, { tokens: 0, size: 1, expiresAt: 0, refusedUntil: at + waitMs });
    return { allowed: false, waitMs };
  }

  /** Drops leases that expired and refusals that ended (and, if that is not enough, the oldest). */
  private prune(now: number): void {
    for (const [id, lease] of this.leases) {
      if (lease.expiresAt <= now && lease.refusedUntil <= now) {
        this.leases.delete(id);
      }
    }
    for (const [id] of this.leases) {
      if (this.leases.size <= 50_000) break;
      this.leases.delete(id);
    }
  }

  private decide(taken: { allowed: boolean; waitMs: number }, scope: string): RateDecision {
    if (taken.allowed) {
      return ALLOWED;
    }
    rejected.add(1, { scope });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(taken.waitMs / 1000)) };
  }
}
