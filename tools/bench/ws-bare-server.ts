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
import { Server } from 'socket.io';
import type { FromChild, ToChild } from './ws.bench';

// CLOCK_MONOTONIC (libuv's hrtime), one clock for every process on the machine: a sender and a
// receiver in different processes compare exactly. `performance.timeOrigin` is taken per process
// and differed by a few ms between them (negative latencies on Node 24).
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
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
    void socket.join(['agency:bench', unitRoom(unit)]);
  });
  const consumer = process.env['BENCH_DURABLE'] === '1' ? durableConsumer(server, pub) : undefined;
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
              .to(unitRoom(unit))
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

/** A unit's room, spelt as the gateway's (`roomOf.unit`), so the same relay call serves both. */
function unitRoom(unit: string): string {
  return `agency:bench:unit:${unit}`;
}

/**
 * The Redis work of the gateway's command path without the gateway (docs/adr/0020): the producer
 * (the bench) appends each command to its unit's log and publishes it in one call of the gateway's
 * own script; each server subscribes to the command channel and emits each message to its own
 * sockets in the room, with the seq. No envelope validation, Nest, telemetry or auth.
 */
function durableConsumer(server: Server, pub: Redis): { stop(): void } {
  const subscriber = pub.duplicate();
  const channel = process.env['BENCH_CHANNEL'] ?? '';
  subscriber.on('message', (_channel: string, message: string) => {
    const first = message.indexOf('|');
    const second = message.indexOf('|', first + 1);
    const room = message.slice(0, first);
    if (!server.of('/').adapter.rooms.has(room)) {
      return;
    }
    const command = JSON.parse(message.slice(second + 1)) as { payload?: { sentAt?: number } };
    const seq = Number(message.slice(first + 1, second));
    server.local.to(room).emit('cmd', { ...command, seq, sentAt: command.payload?.sentAt });
  });
  void subscriber.subscribe(channel);
  return {
    stop: () => {
      subscriber.disconnect();
    },
  };
}

export function main(): Promise<void> {
  return bareServerRole();
}
