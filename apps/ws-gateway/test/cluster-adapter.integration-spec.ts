// The sharded socket.io adapter (SPUBLISH/SSUBSCRIBE) over ioredis Cluster clients on a real
// 6-node Redis Cluster: an emit on one gateway instance reaches a socket on another, also after
// the primary owning the room's shard channel was killed and its replica took over.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redisClientFromUrl } from '@gad/platform';
import { startRedisCluster, waitFor, type RedisClusterHandle } from '@gad/testing';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { WsRedisKeys } from '../src/realtime/redis-keys';
import { socketMember, SocketQuotaRepository } from '../src/realtime/socket-quota.repository';
import { io as connect, type Socket } from 'socket.io-client';

jest.setTimeout(60_000);

interface Instance {
  http: HttpServer;
  io: Server;
  pub: Redis;
  sub: Redis;
  port: number;
}

const channelPrefix = `test-${process.pid}-${Date.now()}:socket.io`;
let cluster: RedisClusterHandle;
const instances: Instance[] = [];
let client: Socket | undefined;

async function startInstance(): Promise<Instance> {
  const pub = redisClientFromUrl(cluster.url);
  const sub = redisClientFromUrl(cluster.url);
  pub.on('error', () => undefined);
  sub.on('error', () => undefined);
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.adapter(createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: 'dynamic' }));
  io.on('connection', (socket) => {
    void socket.join('agency:a1');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const instance = { http, io, pub, sub, port: (http.address() as AddressInfo).port };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  client?.disconnect();
  for (const instance of instances) {
    await new Promise((resolve) => instance.io.close(resolve));
    // QUIT after the adapter's pending SUNSUBSCRIBEs: a hard disconnect rejects them unhandled.
    await Promise.allSettled([instance.pub.quit(), instance.sub.quit()]);
  }
  await cluster?.stop();
});

describe('sharded socket.io adapter on a Redis Cluster', () => {
  it('spreads a room emit across instances, before and after a primary failover', async () => {
    const sender = await startInstance();
    const receiver = await startInstance();
    const received: number[] = [];
    client = connect(`http://127.0.0.1:${receiver.port}`, { transports: ['websocket'] });
    client.on('hello', (n: number) => received.push(n));
    await waitFor(() => client?.connected === true, { description: 'client connected' });
    await waitFor(async () => (await receiver.io.in('agency:a1').fetchSockets()).length === 1, {
      description: 'socket in the room',
    });

    let n = 0;
    await waitFor(
      () => {
        sender.io.to('agency:a1').emit('hello', (n += 1));
        return received.length > 0;
      },
      { description: 'an emit from the other instance', intervalMs: 200 },
    );

    // Kill the primary owning the room's shard channel (dynamic mode: one channel per room).
    const channel = `${channelPrefix}#/#agency:a1#`;
    const primary = await cluster.primaryOf(channel);
    await cluster.kill(primary);
    await cluster.waitFailover(primary);
    const countAfterFailover = received.length;
    await waitFor(
      () => {
        sender.io.to('agency:a1').emit('hello', (n += 1));
        return received.length > countAfterFailover;
      },
      { description: 'emits flowing again after the failover', intervalMs: 200, timeoutMs: 20_000 },
    );
  });
});

describe('socket quota on a Redis Cluster', () => {
  it('claims sockets of users whose keys live on different nodes and drops a dead instance', async () => {
    const redis = redisClientFromUrl(cluster.url, { enableAutoPipelining: true });
    redis.on('error', () => undefined);
    const keys = new WsRedisKeys(`test-${process.pid}:`);
    const quota = new SocketQuotaRepository(redis, keys);
    const now = Date.now();
    const lease = (instance: string, n: number) => ({
      agencyId: 'agency-1',
      userId: `user-${n}`,
      member: socketMember(instance, 'field', `s${n}`),
      expiresAt: now + 600_000,
    });
    try {
      expect(await quota.heartbeat('ws-1#a', now, 3_000, 7_200_000)).toEqual([]);
      const users = Array.from({ length: 60 }, (_, n) => n);
      expect(
        await Promise.all(users.map((n) => quota.claim(lease('ws-1#a', n), 1, now, []))),
      ).toEqual(users.map(() => true));
      const slots = new Set(
        await Promise.all(
          users.map((n) =>
            redis.call('CLUSTER', 'KEYSLOT', keys.userSockets('agency-1', `user-${n}`)),
          ),
        ),
      );
      expect(slots.size).toBeGreaterThan(1);
      // At the limit while ws-1#a lives; once it retired, its sockets no longer count.
      expect(await quota.claim(lease('ws-2#b', 0), 1, now, [])).toBe(false);
      await quota.retire('ws-1#a', now);
      const dead = await quota.heartbeat('ws-2#b', now + 1, 3_000, 7_200_000);
      expect(dead).toEqual(['ws-1#a']);
      expect(
        await Promise.all(users.map((n) => quota.claim(lease('ws-2#b', n), 1, now + 1, dead))),
      ).toEqual(users.map(() => true));
    } finally {
      await redis.quit();
    }
  });
});
