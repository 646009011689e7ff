import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * How the bus reaches Redis: a URL, ioredis options, or a factory. The bus opens several
 * connections (commands, blocking reads, RPC replies) and calls a factory once per connection; it
 * owns and closes what it opens.
 */
export type RedisConnection = string | RedisOptions | (() => Redis);

/** The minimal logger the bus writes to (Nest's `Logger` and pino-based loggers both fit). */
export interface BusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

export interface OpenRedisOptions {
  /** ioredis `commandTimeout` for connections the bus creates from a URL or options. */
  commandTimeoutMs: number;
  /** `CLIENT SETNAME`, shown in `CLIENT LIST`. */
  connectionName: string;
  logger: BusLogger;
}

/**
 * Opens one connection. Connections from a URL/options get `commandTimeout` so no call waits
 * forever (also while queued offline during an outage). Connection errors are logged once per
 * outage instead of once per reconnect attempt.
 */
export function openRedis(connection: RedisConnection, options: OpenRedisOptions): Redis {
  let redis: Redis;
  if (typeof connection === 'function') {
    redis = connection();
  } else {
    const defaults: RedisOptions = {
      commandTimeout: options.commandTimeoutMs,
      connectionName: options.connectionName,
      maxRetriesPerRequest: 20,
    };
    redis =
      typeof connection === 'string'
        ? new Redis(connection, defaults)
        : new Redis({ ...connection, ...defaults });
  }
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) {
      down = true;
      options.logger.warn(`redis connection ${options.connectionName} failed: ${error.message}`);
    }
  });
  redis.on('ready', () => {
    if (down) {
      down = false;
      options.logger.log(`redis connection ${options.connectionName} recovered`);
    }
  });
  return redis;
}

/** Closes a connection without waiting on a dead server. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') {
    return;
  }
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

export function defaultLogger(context: string): BusLogger {
  return new Logger(context);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
