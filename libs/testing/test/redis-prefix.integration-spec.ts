import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, isolatedRedisPrefix, testStack } from '@gad/testing';

describe('isolated Redis prefix (real Redis)', () => {
  const redis = new Redis(testStack.redisUrl);
  const other = isolatedRedisPrefix();

  afterAll(async () => {
    await other.cleanUp();
    redis.disconnect();
  });

  it('deletes the keys under its own prefix and nothing else', async () => {
    const sut = isolatedRedisPrefix();
    expect(sut.prefix).not.toBe(other.prefix);
    await redis.set(`${sut.prefix}a`, '1');
    await redis.xadd(`${sut.prefix}stream`, '*', 'k', 'v');
    await redis.set(`${other.prefix}a`, '1');

    await sut.cleanUp();

    expect(await redis.keys(`${sut.prefix}*`)).toEqual([]);
    expect(await redis.get(`${other.prefix}a`)).toBe('1');
  });

  it('deletes more keys than one SCAN page holds', async () => {
    const sut = isolatedRedisPrefix();
    const pipeline = redis.pipeline();
    for (let i = 0; i < 1_200; i += 1) {
      pipeline.set(`${sut.prefix}k${i}`, '1');
    }
    await pipeline.exec();

    expect(await deleteKeysWithPrefix(redis, sut.prefix)).toBe(1_200);
    expect(await redis.keys(`${sut.prefix}*`)).toEqual([]);
  });

  it('refuses an empty prefix', async () => {
    await expect(deleteKeysWithPrefix(redis, '')).rejects.toThrow('empty prefix');
  });
});
