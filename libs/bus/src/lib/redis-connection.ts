import { createLogger } from '@gad/observability';
import { isClusterUrl, redisClientFromUrl } from '@gad/platform';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * How the bus reaches Redis: a URL, ioredis options, or a factory. The bus opens several
 * connections (commands, blocking reads, RPC replies) and calls a factory once per connection; it
 * owns and closes what it opens. A `redis+cluster://` URL (`redisClientFromUrl` of `@gad/platform`) opens
 * ioredis `Cluster` clients and hash-tags the bus keys (see {@link StreamKeys}).
 */
export type RedisConnection = string | RedisOptions | (() => Redis);

/** True when the bus reaches a Redis Cluster through `connection` (a cluster URL or client). */
export function isClusterConnection(connection: RedisConnection | Redis): boolean {
  if (typeof connection === 'string') {
    return isClusterUrl(connection);
  }
  return (connection as { isCluster?: unknown }).isCluster === true;
}

/**
 * The minimal logger the bus writes to; {@link defaultLogger} writes through the pino logger of
 * `@gad/observability` (`createLogger`).
 */
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
  /** Extra ioredis options for connections the bus creates (ignored for factories). */
  extra?: RedisOptions;
}

/**
 * For connections whose commands must not run late: a command that timed out or failed during an
 * outage is not queued or re-sent after reconnecting (that would duplicate or reorder XADDs, or
 * deliver entries to a read nobody awaits any more).
 */
export const NO_LATE_COMMANDS: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
};

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
      ...options.extra,
    };
    redis =
      typeof connection === 'string'
        ? redisClientFromUrl(connection, defaults)
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

/** Resolves when the connection is ready, or false after `timeoutMs` / when `signal` aborts. */
export function waitReady(redis: Redis, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (redis.status === 'ready') {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const finish = (ready: boolean): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      signal?.removeEventListener('abort', onAbort);
      resolve(ready);
    };
    const onReady = (): void => finish(true);
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    redis.on('ready', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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

/** The bus's default logger: pino (`createLogger(context)`), `log` at level info. */
export function defaultLogger(context: string): BusLogger {
  const logger = createLogger(context);
  return {
    log: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
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
