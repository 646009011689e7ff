/*
 * The bare socket.io server of the ws bench (`node tools/bench/run.mjs ws-bare-server`, forked by
 * ws.bench.ts): two of them are the baseline the gateway's idle RSS per socket is divided by. Its own
 * entry, importing only what a bare socket.io server needs (socket.io, the sharded Redis adapter,
 * ioredis, Node): modules loaded before the first reading (the bench's @gad/testing and @gad/bus
 * imports did, 2026-12-06) leave heap the sockets then fill, and the bare figure fell from 10 to
 * 2.7 KB per socket. Types only from ws.bench.ts (erased at run time).
 */
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import type { FromChild, ToChild } from './ws.bench';

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function bareServerRole(): Promise<void> {
  const port = Number(process.env['BENCH_PORT']);
  const prefix = process.env['BENCH_PREFIX'] ?? '';
  const redisUrl = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  const http = createServer();
  const server = new Server(http, {
    transports: ['websocket', 'polling'],
    pingInterval: 25_000,
    pingTimeout: 20_000,
    maxHttpBufferSize: 16 * 1024,
    perMessageDeflate: false,
    serveClient: false,
  });
  server.adapter(createShardedAdapter(pub, sub, { channelPrefix: `${prefix}socket.io` }));
  server.on('connection', (socket) => {
    const unit = String(socket.handshake.auth['unit']);
    void socket.join(['agency:bench', `unit:${unit}`]);
  });
  const consumer =
    process.env['BENCH_DURABLE'] === '1' ? durableConsumer(server, pub, prefix) : undefined;
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const send = (message: FromChild) => process.send?.(message);
  process.on('message', (message: ToChild) => {
    void (async () => {
      if (message.type === 'rss') {
        send({ type: 'rss', rss: process.memoryUsage().rss });
      } else if (message.type === 'unicast') {
        const start = now();
        let sent = 0;
        while (now() - start < message.durationMs) {
          const due = Math.floor(((now() - start) / 1000) * message.rate);
          for (; sent < due; sent += 1) {
            const unit = `unit-${Math.floor(Math.random() * message.units)}`;
            server
              .to(`unit:${unit}`)
              .emit('cmd', { sentAt: now(), commandId: randomUUID(), seq: sent });
          }
          await sleep(5);
        }
        send({ type: 'done' });
      } else if (message.type === 'broadcast') {
        server.to('agency:bench').emit('bcast', { sentAt: now() });
        send({ type: 'done' });
      } else if (message.type === 'stop') {
        consumer?.stop();
        server.close();
        pub.disconnect();
        sub.disconnect();
        process.exit(0);
      }
    })();
  });
  send({ type: 'ready' });
  await new Promise(() => undefined);
}

/** Stream of the durable baseline's commands (one entry per command, field `command`). */
export const BARE_OUTBOUND = 'bench:bare:outbound';

/**
 * The Redis work of the gateway's command path without the gateway: a consumer group member reads
 * the commands (COUNT 100, blocking), appends each to its unit's log with the gateway's own Lua
 * script, emits it to the unit's room and acknowledges the batch. No envelope validation, Nest,
 * telemetry, auth or per-recipient ordering.
 */
function durableConsumer(server: Server, pub: Redis, prefix: string): { stop(): void } {
  const redis = pub.duplicate();
  const blocking = pub.duplicate();
  const key = `${prefix}${BARE_OUTBOUND}`;
  const consumer = `bare-${process.pid}`;
  let running = true;
  // The gateway's own script, handed over by the bench (importing @gad/bus here would load it all).
  const lua = process.env['BENCH_APPEND_SCRIPT'] ?? '';
  redis.defineCommand('benchAppend', { numberOfKeys: 3, lua });
  const append = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
    'benchAppend'
  ].bind(redis);
  void (async () => {
    await redis.xgroup('CREATE', key, 'bare', '0', 'MKSTREAM').catch(() => undefined);
    while (running) {
      const reply = (await blocking
        .xreadgroup('GROUP', 'bare', consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', key, '>')
        .catch(() => null)) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      await Promise.all(
        entries.map(async ([, fields]) => {
          const command = JSON.parse(fields[1]) as { commandId: string; unit: string };
          const base = `${prefix}bench:cmdlog:${command.unit}`;
          const [seq] = (await append(
            `${base}:seq`,
            `${base}:log`,
            `${base}:ids`,
            command.commandId,
            fields[1],
            Date.now(),
            1000,
            86_400_000,
            86_460,
            2_592_000,
          )) as [number, number];
          server.to(`unit:${command.unit}`).emit('cmd', { ...command, seq });
        }),
      );
      if (entries.length > 0) await redis.xack(key, 'bare', ...entries.map(([id]) => id));
    }
  })();
  return {
    stop: () => {
      running = false;
      blocking.disconnect();
      redis.disconnect();
    },
  };
}

export function main(): Promise<void> {
  return bareServerRole();
}
