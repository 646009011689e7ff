import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { REDIS_CLIENT, redisClientFromUrl } from '@gad/platform';
import type { Redis } from 'ioredis';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

/** The deny-list key of a revoked session (set for the lifetime of an access token). */
export const revokedSessionKey = (sessionId: string): string => `auth:revoked-session:${sessionId}`;

/** The channel a revocation is published on (after the deny-list keys are set), without prefix. */
export const REVOKED_SESSIONS_CHANNEL = 'auth:revoked-sessions';

/**
 * The channel of `redis`'s deployment: ioredis prefixes keys, not channels, so the key prefix
 * (which isolates deployments and tests) is put in front here (a Cluster keeps it at its level).
 */
export function revokedSessionsChannel(redis: Redis): string {
  const keyPrefix = (redis.options as { keyPrefix?: string } | undefined)?.keyPrefix ?? '';
  return `${keyPrefix}${REVOKED_SESSIONS_CHANNEL}`;
}

/**
 * How long this instance trusts "not revoked" from its memory: a revocation whose message is lost
 * without the subscription dropping (which empties the memory) is seen within this time.
 */
export const SESSION_CHECK_MAX_AGE_MS = 2_000;

const MAX_ENTRIES = 100_000;

/**
 * The sessions' deny-list as this instance sees it (docs/adr/0035): a session's state from Redis
 * is kept in memory, so a busy session costs no Redis command per request. Revocations reach every
 * instance at once on a Redis pub/sub channel (published by {@link SessionRevocations} after the
 * deny-list keys are set; the revoking instance marks them here before it answers). Kept honest:
 *
 * - "revoked" is final (until the access tokens it covers have expired) and a "not revoked"
 *   answer that arrives later never overrides it;
 * - "not revoked" is trusted for {@link SESSION_CHECK_MAX_AGE_MS} at most, and only while the
 *   subscription is live: on a disconnect the memory is emptied, and an answer read while the
 *   subscription was down (or that straddled a reconnect) is not kept;
 * - when Redis does not answer, `check` says `undefined` and PostgreSQL decides (the guard).
 */
@Injectable()
export class SessionDenyList implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = createLogger('session-deny-list');
  /** Revoked session ids → until when (epoch ms) the entry is kept. */
  private readonly revoked = new Map<string, number>();
  /** Sessions Redis said were not revoked → when it said so (epoch ms). */
  private readonly served = new Map<string, number>();
  private subscriber: Redis | undefined;
  private live = false;
  /** Bumped on every disconnect: an answer read across one is not kept. */
  private generation = 0;
  private readonly channel: string;
  private readonly revokedTtlMs: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {
    this.channel = revokedSessionsChannel(redis);
    this.revokedTtlMs = config.JWT_ACCESS_TTL_SECONDS * 1000;
  }

  onModuleInit(): void {
    const subscriber = redisClientFromUrl(this.config.REDIS_URL, {
      connectionName: 'api-gateway:revoked-sessions',
      // A subscriber connection: no command timeout, no offline queue of commands to replay.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) {
        this.markRevoked(message.split(','));
      }
    });
    const down = (): void => {
      if (this.live) {
        this.logger.warn('revocation channel lost: sessions are checked in Redis until it is back');
      }
      this.live = false;
      this.generation += 1;
      this.served.clear();
    };
    subscriber.on('close', down);
    subscriber.on('reconnecting', down);
    subscriber.on('end', down);
    // (Re)subscribed: only from now on can a revocation reach this instance by message.
    const subscribe = (): void => {
      const generation = this.generation;
      subscriber.subscribe(this.channel).then(
        () => {
          if (generation === this.generation) {
            this.served.clear();
            this.live = true;
          }
        },
        () => undefined,
      );
    };
    subscriber.on('ready', subscribe);
  }

  onApplicationShutdown(): void {
    this.live = false;
    this.subscriber?.disconnect();
  }

  /** Whether the subscription is live (memory trusted for "not revoked"). */
  get subscribed(): boolean {
    return this.live;
  }

  /**
   * From memory: true (revoked), false (checked recently while the subscription was live), or
   * undefined (ask {@link check}).
   */
  cached(sessionId: string, now = Date.now()): boolean | undefined {
    const until = this.revoked.get(sessionId);
    if (until !== undefined) {
      if (until > now) {
        return true;
      }
      this.revoked.delete(sessionId);
    }
    if (!this.live) {
      return undefined;
    }
    const at = this.served.get(sessionId);
    if (at !== undefined && now - at < SESSION_CHECK_MAX_AGE_MS) {
      return false;
    }
    return undefined;
  }

  /** From Redis (and kept in memory); undefined when Redis does not answer. */
  async check(sessionId: string): Promise<boolean | undefined> {
    const generation = this.generation;
    const wasLive = this.live;
    let found: number;
    try {
      if (this.redis.status !== 'ready') {
        return undefined;
      }
      found = await this.redis.exists(revokedSessionKey(sessionId));
    } catch {
      return undefined;
    }
    if (found === 1) {
      this.markRevoked([sessionId]);
      return true;
    }
    if (this.revoked.has(sessionId)) {
      return this.cached(sessionId) ?? false;
    }
    if (wasLive && this.live && generation === this.generation) {
      if (this.served.size >= MAX_ENTRIES) {
        this.served.clear();
      }
      this.served.set(sessionId, Date.now());
    }
    return false;
  }

  /** Revoked sessions (a message of the channel, or this instance's own revocation). */
  markRevoked(sessionIds: readonly string[]): void {
    const until = Date.now() + this.revokedTtlMs;
    for (const sessionId of sessionIds) {
      if (sessionId.length === 0) continue;
      this.served.delete(sessionId);
      this.revoked.set(sessionId, until);
    }
    if (this.revoked.size > MAX_ENTRIES) {
      const now = Date.now();
      for (const [sessionId, expires] of this.revoked) {
        if (expires <= now) this.revoked.delete(sessionId);
      }
    }
  }

  /** The channel's name (with the deployment's key prefix: channels are not prefixed by ioredis). */
  get channelName(): string {
    return this.channel;
  }
}
