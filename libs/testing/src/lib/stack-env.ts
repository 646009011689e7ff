import { randomBytes } from 'node:crypto';

/**
 * Where the test stack lives. tools/stack creates `gad_test` (with PostGIS) and the test runner
 * exports TEST_DATABASE_URL / TEST_REDIS_URL; the defaults match a local stack on loopback.
 */
export const testStack = {
  databaseUrl: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/gad_test',
  redisUrl: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
};

/** A short random id for isolating a test file's keys, schemas and databases. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A Redis key prefix no other test file uses, e.g. `test:t1abc:`. */
export function uniqueRedisPrefix(): string {
  return `test:${uniqueId()}:`;
}
