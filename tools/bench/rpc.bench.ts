/*
 * RPC microbenchmark (docs/adr/0024): the same `@MessagePattern` handler called through BusClient
 * over the bus RPC stream (XADD, XREADGROUP, reply XADD + PEXPIRE, XREAD) and over pub/sub
 * request/reply (PUBLISH to a serving instance, PUBLISH back), beside a minimal HTTP/1.1
 * keep-alive request/reply (node:http Agent and server, the handler's function called directly:
 * a lower bound for any HTTP transport). Client and server run in this process, so "CPU per call"
 * is both sides together; Redis's own CPU per call is read from INFO (Redis is shared with
 * whatever else runs, so treat it as an upper bound). Prints figures; writes nothing.
 *
 *   node tools/bench/run.mjs rpc [--calls 2000] [--concurrency 32] [--seconds 5]
 */
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { BusClient, BusRpcExceptionFilter, RedisStreamsTransport, type BusLogger } from '@gad/bus';
import { createEnvelope, type Envelope } from '@gad/contracts';
import { deleteKeysWithPrefix } from '@gad/testing';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { fmt, machine, parseBenchFlags, percentile, progress } from './report';

const silent: BusLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A reply shaped like geo.nearest's (five units). */
function nearestReply(data: { lon: number; lat: number }) {
  return {
    units: Array.from({ length: 5 }, (_, i) => ({
      unitId: `0190f1e2-0000-7000-8000-00000000000${i}`,
      callSign: `Alfa ${i}`,
      status: 'available',
      distanceM: 100 * i,
      location: { type: 'Point', coordinates: [data.lon + i / 1000, data.lat] },
      fixAt: '2026-12-06T12:00:00.000Z',
    })),
    excluded: { stale: 0, busy: 3 },
  };
}

@Controller()
class BenchHandler {
  @MessagePattern('bench.nearest')
  nearest(@Payload() data: { lon: number; lat: number }) {
    return nearestReply(data);
  }
}

@Module({ controllers: [BenchHandler] })
class BenchModule {}

type Call = () => Promise<unknown>;

interface Transport {
  name: string;
  call: Call;
  close(): Promise<void>;
}

/** Minimal HTTP/1.1 keep-alive request/reply: no routing, no auth, the handler called directly. */
async function httpTransport(): Promise<Transport> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope;
      const body = JSON.stringify({
        ok: true,
        data: nearestReply(envelope.data as { lon: number; lat: number }),
      });
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    name: 'HTTP/1.1 keep-alive (minimal node:http, no Nest dispatch)',
    call: () =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(
          createEnvelope({
            type: 'bench.nearest',
            agencyId: 'agency-bench',
            actor: { kind: 'service', id: 'bench' },
            data: { lon: -3.7, lat: 40.4 },
          }),
        );
        const request = httpRequest(
          {
            agent,
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/rpc/bench.nearest',
            headers: { 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          },
        );
        request.on('error', reject);
        request.end(body);
      }),
    close: async () => {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1_000;
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
};

async function measure(
  transport: Transport,
  redis: Redis,
  calls: number,
  concurrency: number,
  seconds: number,
) {
  for (let i = 0; i < 200; i += 1) {
    await transport.call();
  }
  const latencies: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const started = performance.now();
    await transport.call();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const cpuBefore = cpuMs();
  const redisBefore = await redisCpuMs(redis);
  const until = performance.now() + seconds * 1_000;
  let done = 0;
  const loaded: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        await transport.call();
        loaded.push(performance.now() - started);
        done += 1;
      }
    }),
  );
  const elapsed = seconds + (performance.now() - until) / 1_000;
  const cpu = cpuMs() - cpuBefore;
  const redisCpu = (await redisCpuMs(redis)) - redisBefore;
  loaded.sort((a, b) => a - b);
  return {
    name: transport.name,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rate: done / elapsed,
    loadedP99: percentile(loaded, 99),
    cpuPerCall: cpu / done,
    redisCpuPerCall: redisCpu / done,
  };
}

export async function main(args: string[]): Promise<void> {
  const flags = parseBenchFlags('rpc', args, {
    calls: 2_000,
    concurrency: 32,
    seconds: 5,
    redisUrl: process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  });
  const prefix = `bench-rpc-${randomBytes(4).toString('hex')}:`;
  const serverTransport = new RedisStreamsTransport({
    redis: flags.redisUrl,
    prefix,
    service: 'bench-service',
    consumer: 'bench-1',
    streams: [],
    rpc: true,
    blockMs: 1_000,
    pubsub: true,
    logger: silent,
  });
  const app: INestMicroservice = await NestFactory.createMicroservice(BenchModule, {
    strategy: serverTransport,
    logger: false,
  });
  app.useGlobalFilters(new BusRpcExceptionFilter());
  await app.listen();
  const streams = new BusClient({
    redis: flags.redisUrl,
    prefix,
    instanceId: 'bench-client',
    logger: silent,
  });
  const pubsub = new BusClient({
    redis: flags.redisUrl,
    prefix,
    instanceId: 'bench-client-pubsub',
    pubsubRpc: true,
    logger: silent,
  });
  const data = { lon: -3.7, lat: 40.4 };
  const transports: Transport[] = [
    {
      name: 'bus RPC over Redis Streams',
      call: () => streams.request('bench-service', 'bench.nearest', data),
      close: () => streams.close(),
    },
    {
      name: 'bus RPC over Redis pub/sub',
      call: () => pubsub.request('bench-service', 'bench.nearest', data),
      close: () => pubsub.close(),
    },
    await httpTransport(),
  ];
  const redis = new Redis(flags.redisUrl);
  console.log(`RPC microbenchmark on ${machine()}, Node ${process.version}`);
  const rows = [];
  try {
    for (const transport of transports) {
      progress(transport.name);
      rows.push(await measure(transport, redis, flags.calls, flags.concurrency, flags.seconds));
    }
  } finally {
    for (const transport of transports) {
      await transport.close();
    }
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
  console.log(
    `\n| transport | sequential p50 (ms) | sequential p99 (ms) | calls/s at ${flags.concurrency} in flight | p99 there (ms) | process CPU ms per call (both sides) | Redis CPU ms per call |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${fmt(row.p50, 3)} | ${fmt(row.p99, 3)} | ${fmt(row.rate, 0)} | ${fmt(row.loadedP99, 2)} | ${fmt(row.cpuPerCall, 3)} | ${fmt(row.redisCpuPerCall, 3)} |`,
    );
  }
}
