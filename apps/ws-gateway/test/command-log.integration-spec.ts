import { randomUUID } from 'node:crypto';
import type { CommandIssuedV1 } from '@gad/contracts';
import { testStack, uniqueRedisPrefix } from '@gad/testing';
import { Redis } from 'ioredis';
import { CommandLogRepository } from '../src/commands/command-log.repository';
import { planReplay } from '../src/commands/replay-plan';
import { WsRedisKeys } from '../src/realtime/redis-keys';
import { SocketQuotaRepository } from '../src/realtime/socket-quota.repository';

const unit = { kind: 'unit' as const, id: 'unit-1' };
const command = (title: string): CommandIssuedV1 => ({
  commandId: randomUUID(),
  recipient: unit,
  kind: 'dispatch',
  critical: true,
  title,
  body: `${title} | with a pipe`,
  locale: 'es',
  payload: { nested: { n: 1 } },
  issuedAt: new Date().toISOString(),
});

describe('command log and socket quota on the real Redis', () => {
  const prefix = uniqueRedisPrefix();
  const redis = new Redis(testStack.redisUrl);
  const keys = new WsRedisKeys(prefix);
  const sut = new CommandLogRepository(redis, keys);
  const retention = { maxLen: 3, maxAgeMs: 60_000 };

  afterAll(async () => {
    const found = await redis.keys(`${prefix}*`);
    if (found.length > 0) {
      await redis.del(...found);
    }
    redis.disconnect();
  });

  it('assigns gap-free seqs, keeps the first seq of a retried command, and replays in order', async () => {
    const first = command('first');
    const second = command('second');
    expect(await sut.append('agency-1', first, 1_000, retention)).toEqual({
      seq: 1,
      inserted: true,
    });
    expect(await sut.append('agency-1', second, 1_001, retention)).toEqual({
      seq: 2,
      inserted: true,
    });
    expect(await sut.append('agency-1', first, 1_002, retention)).toEqual({
      seq: 1,
      inserted: false,
    });
    const range = await sut.range('agency-1', unit, 0, 100);
    expect(range.currentSeq).toBe(2);
    expect(range.entries.map((entry) => entry.command)).toEqual([
      { ...first, seq: 1 },
      { ...second, seq: 2 },
    ]);
    // Another agency's recipient with the same id has its own log.
    expect((await sut.range('agency-2', unit, 0, 100)).currentSeq).toBe(0);
  });

  it('drops commands beyond the count and the age, and the plan signals a resync', async () => {
    for (let i = 3; i <= 6; i += 1) {
      await sut.append('agency-1', command(`c${i}`), 2_000 + i, retention);
    }
    const range = await sut.range('agency-1', unit, 0, 100);
    expect(range.entries.map((entry) => entry.seq)).toEqual([4, 5, 6]);
    expect(planReplay(unit, range, 1, 0).resync).toEqual({
      recipient: unit,
      reason: 'retention_exceeded',
      lastSeq: 1,
      oldestSeq: 4,
      currentSeq: 6,
    });
    expect(
      planReplay(unit, await sut.range('agency-1', unit, 4, 100), 4, 0).resync,
    ).toBeUndefined();
    // An append far later trims everything older than the age.
    await sut.append('agency-1', command('late'), 2_000 + retention.maxAgeMs + 100, retention);
    expect((await sut.range('agency-1', unit, 0, 100)).entries.map((entry) => entry.seq)).toEqual([
      7,
    ]);
  });

  it('admits at most the maximum of live socket leases per user', async () => {
    const quota = new SocketQuotaRepository(redis, keys);
    const lease = (n: number) => ({ agencyId: 'agency-1', userId: 'user-1', member: `s${n}` });
    const results = [];
    for (let n = 1; n <= 3; n += 1) {
      results.push(await quota.claim(lease(n), 2, 10_000, 1_000));
    }
    expect(results).toEqual([true, true, false]);
    await quota.release(lease(1));
    expect(await quota.claim(lease(3), 2, 10_000, 1_000)).toBe(true);
    // Leases not renewed expire (a killed instance's sockets stop counting).
    expect(await quota.claim(lease(4), 2, 11_001, 1_000)).toBe(true);
  });

  it('renews live leases in chunks, keeps them counting, and never revives a released one', async () => {
    const quota = new SocketQuotaRepository(redis, keys);
    const leases = Array.from({ length: 1_201 }, (_, n) => ({
      agencyId: 'agency-2',
      userId: `user-${n % 3}`,
      member: `s${n}`,
    }));
    for (const lease of leases) {
      expect(await quota.claim(lease, 1_000, 20_000, 1_000)).toBe(true);
    }
    const released = leases[7];
    if (!released) throw new Error('no lease');
    await quota.release(released);
    // Renewed at 20,500 for 1,000 ms (three chunks of up to 500 leases): alive at 21,001.
    await quota.renew(leases, 20_500, 1_000, 500);
    const live = new Map([
      ['user-0', 401],
      ['user-1', 399],
      ['user-2', 400],
    ]);
    for (const [userId, count] of live) {
      const members = await redis.zrange(
        keys.userSockets('agency-2', userId),
        21_001,
        '+inf',
        'BYSCORE',
      );
      expect(members).toHaveLength(count);
    }
    expect(await redis.zscore(keys.userSockets('agency-2', 'user-1'), released.member)).toBeNull();
    // A user at the maximum of live leases is refused after the renewal, as before it.
    expect(
      await quota.claim(
        { agencyId: 'agency-2', userId: 'user-0', member: 'extra' },
        400,
        21_001,
        1_000,
      ),
    ).toBe(false);
  });
});
