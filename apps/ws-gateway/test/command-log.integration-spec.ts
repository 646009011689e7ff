import { randomUUID } from 'node:crypto';
import { createEnvelope, EventTypes, type CommandIssuedV1 } from '@gad/contracts';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix } from '@gad/testing';
import { Redis } from 'ioredis';
import { CommandRelay, type BusClient } from '@gad/bus';
import type { FanoutService } from '../src/fanout/fanout.service';
import { CommandLogRepository } from '../src/commands/command-log.repository';
import { CommandsService } from '../src/commands/commands.service';
import { planReplay } from '../src/commands/replay-plan';
import { NamespacesRegistry } from '../src/realtime/namespaces.registry';
import { WsRedisKeys } from '../src/realtime/redis-keys';
import type { AuthedSocket } from '../src/realtime/socket-auth';
import { socketMember, SocketQuotaRepository } from '../src/realtime/socket-quota.repository';
import type { WsGatewayConfig } from '../src/ws-gateway.config';

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
  /** notification-service's relay appending one command (docs/adr/0020). */
  const relay = new CommandRelay(redis, { prefix, ...retention });
  const append = async (agencyId: string, data: CommandIssuedV1, now: number) => {
    const [result] = await relay.relay(
      [
        createEnvelope({
          type: EventTypes.CommandIssued,
          agencyId,
          actor: { kind: 'service', id: 'notification-service' },
          data,
        }),
      ],
      now,
    );
    return { seq: result.seq, inserted: result.inserted };
  };

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it('assigns gap-free seqs, keeps the first seq of a retried command, and replays in order', async () => {
    const first = command('first');
    const second = command('second');
    expect(await append('agency-1', first, 1_000)).toEqual({
      seq: 1,
      inserted: true,
    });
    expect(await append('agency-1', second, 1_001)).toEqual({
      seq: 2,
      inserted: true,
    });
    expect(await append('agency-1', first, 1_002)).toEqual({
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
      await append('agency-1', command(`c${i}`), 2_000 + i);
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
    await append('agency-1', command('late'), 2_000 + retention.maxAgeMs + 100);
    expect((await sut.range('agency-1', unit, 0, 100)).entries.map((entry) => entry.seq)).toEqual([
      7,
    ]);
  });

  it('replays a log only when the device is behind or ahead of its counter, with the same result', async () => {
    const log = new CommandLogRepository(redis, keys);
    const commands = new CommandsService(
      { WS_COMMAND_LOG_MAX_LEN: 100, WS_COMMAND_LOG_MAX_AGE_S: 60 } as WsGatewayConfig,
      log,
      new NamespacesRegistry(),
      {} as BusClient,
      {} as FanoutService,
    );
    const emitted: { event: string; seq?: number }[] = [];
    const socket = {
      id: 'socket-1',
      data: { user: { agencyId: 'agency-3', sub: 'user-9', unitId: 'unit-9', roles: ['officer'] } },
      emit: (event: string, payload: { seq?: number }) => emitted.push({ event, seq: payload.seq }),
    } as unknown as AuthedSocket;
    const nine = { kind: 'unit' as const, id: 'unit-9' };
    await append('agency-3', { ...command('a'), recipient: nine }, Date.now());
    await append('agency-3', { ...command('b'), recipient: nine }, Date.now());
    expect(await log.currentSeq('agency-3', nine)).toBe(2);
    expect(await log.currentSeq('agency-3', { kind: 'user', id: 'user-9' })).toBe(0);
    const ranges = jest.spyOn(log, 'range');

    // No seq (0): the unit's whole log; the user's log is empty and not read.
    expect(await commands.replay(socket)).toEqual({
      replayed: 2,
      currentSeq: 2,
      currentUserSeq: 0,
      resync: false,
    });
    expect(emitted).toEqual([
      { event: 'command', seq: 1 },
      { event: 'command', seq: 2 },
    ]);
    expect(ranges).toHaveBeenCalledTimes(1);
    // Up to date with both logs: nothing emitted, no range read.
    emitted.length = 0;
    ranges.mockClear();
    expect(await commands.replay(socket, 2, 0)).toEqual({
      replayed: 0,
      currentSeq: 2,
      currentUserSeq: 0,
      resync: false,
    });
    expect(emitted).toEqual([]);
    expect(ranges).not.toHaveBeenCalled();
    // Ahead of a log (its counter restarted): still a resync.
    expect(await commands.replay(socket, 2, 5)).toMatchObject({ resync: true, currentUserSeq: 0 });
    expect(emitted).toEqual([{ event: 'resync', seq: undefined }]);
    expect(ranges).toHaveBeenCalledTimes(1);
  });

  it('admits at most the maximum of open sockets per user; a closed or expired one stops counting', async () => {
    const quota = new SocketQuotaRepository(redis, keys);
    const lease = (n: number, expiresAt = 60_000) => ({
      agencyId: 'agency-1',
      userId: 'user-1',
      member: socketMember('ws-1#a', 'field', `s${n}`),
      expiresAt,
    });
    const results = [];
    for (let n = 1; n <= 3; n += 1) {
      results.push(await quota.claim(lease(n, n === 2 ? 11_000 : 60_000), 2, 10_000, []));
    }
    expect(results).toEqual([true, true, false]);
    await quota.release(lease(1));
    expect(await quota.claim(lease(3), 2, 10_000, [])).toBe(true);
    expect(await quota.claim(lease(4), 2, 10_000, [])).toBe(false);
    // s2's token expired at 11,000 (its socket was disconnected then): it no longer counts.
    expect(await quota.claim(lease(4), 2, 11_001, [])).toBe(true);
    // The set lives as long as its longest-lived socket.
    const ttl = await redis.pttl(keys.userSockets('agency-1', 'user-1'));
    expect(ttl).toBeGreaterThan(40_000);
    expect(ttl).toBeLessThanOrEqual(50_000);
  });

  it("drops the sockets of a dead instance, and only those, once the instance's heartbeat expired", async () => {
    const quota = new SocketQuotaRepository(redis, keys);
    const lease = (instance: string, n: number) => ({
      agencyId: 'agency-2',
      userId: 'user-1',
      member: socketMember(instance, 'dispatch', `s${n}`),
      expiresAt: Date.now() + 600_000,
    });
    const now = Date.now();
    // Instances a and b heartbeat for 3 s; a's predecessor with the same id stopped an hour ago.
    expect(await quota.heartbeat('ws-a#2', now, 3_000, 7_200_000)).toEqual([]);
    await quota.retire('ws-a#1', now - 3_600_000);
    expect(await quota.heartbeat('ws-b#1', now, 3_000, 7_200_000)).toEqual(['ws-a#1']);
    for (const [instance, n] of [
      ['ws-a#1', 1],
      ['ws-a#2', 2],
      ['ws-b#1', 3],
    ] as const) {
      expect(await quota.claim(lease(instance, n), 5, now, [])).toBe(true);
    }
    // b misses its heartbeats; 4 s later a learns that b is dead.
    const dead = await quota.heartbeat('ws-a#2', now + 4_000, 3_000, 7_200_000);
    expect([...dead].sort()).toEqual(['ws-a#1', 'ws-b#1']);
    expect(await quota.claim(lease('ws-a#2', 4), 2, now + 4_000, dead)).toBe(true);
    expect(await redis.zrange(keys.userSockets('agency-2', 'user-1'), 0, -1)).toEqual(
      expect.arrayContaining([lease('ws-a#2', 2).member, lease('ws-a#2', 4).member]),
    );
    expect(await redis.zcard(keys.userSockets('agency-2', 'user-1'))).toBe(2);
    // A retired instance is dead at once for the others; a live one never reports itself dead.
    await quota.retire('ws-a#2', now + 5_000);
    expect(await quota.heartbeat('ws-c#1', now + 5_001, 3_000, 7_200_000)).toContain('ws-a#2');
    // Dead instances are forgotten once no socket of theirs can still be open.
    expect(await quota.heartbeat('ws-c#1', now + 7_200_000, 3_000, 3_600_000)).toEqual([]);
  });
});
