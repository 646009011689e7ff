import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { HealthRegistry } from '../health/health.registry';
import { redisClientFromUrl } from './redis-client';

/** Injection token of the ioredis client provided by {@link RedisModule}. */
export const REDIS_CLIENT = 'gad:redis-client';

export interface RedisModuleOptions {
  /** `redis://host:port/db` */
  url: string;
  /** Prefix ioredis adds to every key (isolates deployments and tests). */
  keyPrefix?: string;
  /** A command not answered in time fails (default 5000 ms). */
  commandTimeoutMs?: number;
  /** Retries of a command across reconnects before it fails (default 3). */
  maxRetriesPerRequest?: number;
  /** Connection name shown by CLIENT LIST. */
  connectionName?: string;
}

/**
 * Creates an ioredis client with the platform's timeouts; a `redis+cluster://` URL gives an
 * ioredis Cluster ({@link redisClientFromUrl}, docs/adr/0002-redis-cluster.md). Commands
 * issued in the same event-loop turn (concurrent requests' rate limits, command-log appends, ...)
 * leave in one write (ioredis auto-pipelining): fewer syscalls and wake-ups of Redis per request.
 * Never use it (or a `duplicate()` keeping the option) as a subscriber connection.
 */
export function createRedisClient(options: RedisModuleOptions): Redis {
  return redisClientFromUrl(options.url, {
    keyPrefix: options.keyPrefix || undefined,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
    connectTimeout: 5_000,
    connectionName: options.connectionName,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'end') {
      return;
    }
    const ended = new Promise<void>((resolve) => this.redis.once('end', () => resolve()));
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
    await ended;
  }
}

/**
 * Provides an ioredis client under {@link REDIS_CLIENT}, registers the `redis` readiness check (PING)
 * and quits the connection on application shutdown. Needs `HealthModule` (global).
 */
@Module({})
export class RedisModule {
  static forRoot(options: RedisModuleOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: REDIS_CLIENT,
          inject: [HealthRegistry],
          useFactory: (health: HealthRegistry): Redis => {
            const redis = createRedisClient(options);
            // Errors surface through commands and the readiness check; an unhandled 'error' event would crash.
            redis.on('error', () => undefined);
            health.register('redis', async () => {
              // Not connected: fail at once instead of queueing a PING behind the reconnects.
              if (redis.status !== 'ready') {
                throw new Error(`redis connection ${redis.status}`);
              }
              await redis.ping();
            });
            return redis;
          },
        },
        RedisCloser,
      ],
      exports: [REDIS_CLIENT],
    };
  }
}
