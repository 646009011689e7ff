import { Redis } from 'ioredis';
import { testStack, uniqueRedisPrefix } from './stack-env';

/** A client that can list and delete keys: a plain ioredis client, without `keyPrefix`. */
export type KeyCleaner = Pick<Redis, 'scan' | 'del'>;

/**
 * Deletes every key whose name starts with `prefix`, walking the keyspace with `SCAN` (never a
 * flush, never a blocking `KEYS`), on a client without `keyPrefix` (which would prefix the names it
 * deletes a second time). Returns how many were deleted.
 */
export async function deleteKeysWithPrefix(redis: KeyCleaner, prefix: string): Promise<number> {
  if (prefix.length === 0) {
    throw new Error('deleteKeysWithPrefix: an empty prefix would delete every key');
  }
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      deleted += await redis.del(...keys);
    }
  } while (cursor !== '0');
  return deleted;
}

/** A test file's own Redis key prefix, and the clean-up that deletes what was written under it. */
export interface IsolatedRedisPrefix {
  /** e.g. `test:t1abc:`: pass it as `REDIS_KEY_PREFIX` / `keyPrefix`. */
  readonly prefix: string;
  /** Deletes every key under the prefix, on a connection of its own to the test Redis. */
  cleanUp(): Promise<void>;
}

export function isolatedRedisPrefix(redisUrl: string = testStack.redisUrl): IsolatedRedisPrefix {
  const prefix = uniqueRedisPrefix();
  return {
    prefix,
    async cleanUp() {
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        await deleteKeysWithPrefix(redis, prefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}
