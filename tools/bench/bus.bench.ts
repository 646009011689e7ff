/* Bus benchmark: @gad/bus publish → consumer-group handler vs raw ioredis XADD/XREADGROUP/XACK. */
import { StreamConsumer, StreamPublisher, type BusLogger } from '@gad/bus';
import { createEnvelope } from '@gad/contracts';
import { deleteKeysWithPrefix } from '@gad/testing';
import { Redis } from 'ioredis';
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBenchFlags } from './report';

interface Flags {
  rate: number;
  duration: number;
  batch: number;
  maxMessages: number;
  redisUrl: string;
  write: boolean;
}

interface Result {
  label: string;
  sent: number;
  received: number;
  seconds: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Pluggable producer/consumer pair: the bus or raw ioredis with the same batching. */
interface Pipeline {
  start(onMessage: (sentAt: number) => void): Promise<void>;
  publish(sentAtList: number[]): Promise<void>;
  stop(): Promise<void>;
}

const silent: BusLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const now = (): number => performance.timeOrigin + performance.now();

const payload = {
  incidentId: '0190f1e2-0000-7000-8000-000000000001',
  unitId: 'unit-42',
  location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
  note: 'benchmark payload of a typical domain event',
};

function envelopeAt(sentAt: number) {
  return createEnvelope({
    type: 'bench.happened',
    agencyId: 'agency-bench',
    actor: { kind: 'service', id: 'bench' },
    data: { ...payload, sentAt },
  });
}

function busPipeline(flags: Flags, prefix: string, stream: string): Pipeline {
  const redis = new Redis(flags.redisUrl);
  const publisher = new StreamPublisher(redis, { prefix });
  let consumer: StreamConsumer | undefined;
  return {
    async start(onMessage) {
      consumer = new StreamConsumer({
        redis: flags.redisUrl,
        prefix,
        group: 'bench',
        consumer: 'c1',
        streams: [stream],
        batchSize: flags.batch,
        blockMs: 100,
        logger: silent,
        handler: (envelope) => onMessage((envelope.data as { sentAt: number }).sentAt),
      });
      await consumer.start();
    },
    async publish(sentAtList) {
      await publisher.publish(stream, sentAtList.map(envelopeAt));
    },
    async stop() {
      await consumer?.stop();
      await redis.quit();
    },
  };
}

function rawPipeline(flags: Flags, prefix: string, stream: string): Pipeline {
  const redis = new Redis(flags.redisUrl);
  const reader = new Redis(flags.redisUrl);
  const key = `${prefix}${stream}`;
  let running = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    async start(onMessage) {
      await redis.xgroup('CREATE', key, 'bench', '$', 'MKSTREAM');
      running = true;
      loop = (async () => {
        while (running) {
          const reply = (await reader
            .call(
              'XREADGROUP',
              'GROUP',
              'bench',
              'c1',
              'COUNT',
              flags.batch,
              'BLOCK',
              100,
              'STREAMS',
              key,
              '>',
            )
            .catch(() => null)) as Array<[string, Array<[string, string[]]>]> | null;
          if (!reply) continue;
          const ids: string[] = [];
          for (const [id, fields] of reply[0][1]) {
            const envelope = JSON.parse(fields[1]) as { data: { sentAt: number } };
            onMessage(envelope.data.sentAt);
            ids.push(id);
          }
          await redis.xack(key, 'bench', ...ids);
        }
      })();
    },
    async publish(sentAtList) {
      const pipeline = redis.pipeline();
      for (const sentAt of sentAtList) {
        pipeline.xadd(
          key,
          'MAXLEN',
          '~',
          100_000,
          '*',
          'envelope',
          JSON.stringify(envelopeAt(sentAt)),
        );
      }
      await pipeline.exec();
    },
    async stop() {
      running = false;
      reader.disconnect();
      await loop;
      await redis.quit();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(
  label: string,
  pipeline: Pipeline,
  produce: (publish: (n: number) => Promise<void>) => Promise<number>,
): Promise<Result> {
  const latencies: number[] = [];
  let lastReceivedAt = 0;
  await pipeline.start((sentAt) => {
    const t = now();
    latencies.push(t - sentAt);
    lastReceivedAt = t;
  });
  const startedAt = now();
  const progress = setInterval(() => {
    process.stdout.write(`\r  ${label}: received ${latencies.length}   `);
  }, 1_000);
  const sent = await produce(async (n) => {
    const t = now();
    await pipeline.publish(Array.from({ length: n }, () => t));
  });
  const deadline = Date.now() + 60_000;
  while (latencies.length < sent && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  clearInterval(progress);
  process.stdout.write('\n');
  await pipeline.stop();
  const seconds = (lastReceivedAt - startedAt) / 1_000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    label,
    sent,
    received: latencies.length,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Offers `rate` msg/s for `duration` s, publishing what is due every 5 ms in one pipelined call. */
function fixedRate(flags: Flags) {
  return async (publish: (n: number) => Promise<void>): Promise<number> => {
    const total = Math.round(flags.rate * flags.duration);
    const start = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - start) / 1_000) * flags.rate));
      const n = Math.min(due - sent, flags.batch);
      if (n > 0) {
        sent += n;
        await publish(n);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return sent;
  };
}

/** Publishes `maxMessages` as fast as possible: batches of `batch`, up to 4 round trips in flight. */
function maxRate(flags: Flags) {
  return async (publish: (n: number) => Promise<void>): Promise<number> => {
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < flags.maxMessages) {
        const n = Math.min(flags.batch, flags.maxMessages - sent);
        sent += n;
        await publish(n);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return sent;
  };
}

const fmt = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

function table(results: Result[]): string {
  const lines = [
    '| run | sent | received | throughput (msg/s) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.label} | ${r.sent} | ${r.received} | ${fmt(r.throughput, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} |`,
    );
  }
  return lines.join('\n');
}

function writeSection(root: string, section: string): void {
  const file = join(root, 'docs', 'benchmarks.md');
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures recorded by `tools/bench` (see [docs/architecture.md](architecture.md#performance-budgets) for the budgets).\n';
  const start = current.search(/^## Bus\s*$/m);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}\n`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + '\n' + (end === -1 ? '' : `\n${rest.slice(end)}`);
  }
  writeFileSync(file, next);
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('bus', args, {
    rate: 5_000,
    duration: 10,
    batch: 100,
    maxMessages: 100_000,
    redisUrl: 'redis://127.0.0.1:6379',
    write: true,
  });
  const prefix = `bench:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
  const admin = new Redis(flags.redisUrl);
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  console.log(
    `bus bench: ${flags.rate} msg/s for ${flags.duration} s, batch ${flags.batch}, max-throughput ${flags.maxMessages} msgs, prefix ${prefix}`,
  );
  const results: Result[] = [];
  try {
    // Unrecorded warm-up of both paths (JIT, connections), 1 s each at the offered rate.
    const warmFlags = { ...flags, duration: 1 };
    console.log('- warm-up (not recorded)');
    await measure('warm-up raw', rawPipeline(flags, prefix, 'warm-raw'), fixedRate(warmFlags));
    await measure('warm-up bus', busPipeline(flags, prefix, 'warm-bus'), fixedRate(warmFlags));
    const runs: Array<[string, (stream: string) => Pipeline, 'rate' | 'max']> = [
      [`raw ioredis @ ${flags.rate}/s`, (s) => rawPipeline(flags, prefix, s), 'rate'],
      [`@gad/bus @ ${flags.rate}/s`, (s) => busPipeline(flags, prefix, s), 'rate'],
      ['raw ioredis, max', (s) => rawPipeline(flags, prefix, s), 'max'],
      ['@gad/bus, max', (s) => busPipeline(flags, prefix, s), 'max'],
    ];
    for (const [index, [label, make, kind]] of runs.entries()) {
      console.log(`- ${label}`);
      const result = await measure(
        label,
        make(`stream${index}`),
        kind === 'rate' ? fixedRate(flags) : maxRate(flags),
      );
      results.push(result);
    }
  } finally {
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  }

  const [rawRate, busRate, rawMax, busMax] = results;
  const ratio = busMax.throughput / rawMax.throughput;
  const nproc = cpus().length;
  let cpu = cpus()[0]?.model ?? '?';
  try {
    cpu = execSync('lscpu | grep "Model name"', { encoding: 'utf8' }).split(':')[1].trim();
  } catch {
    // keep os.cpus() model
  }
  const budgetThroughput = ratio >= 0.5 ? 'met' : 'NOT met';
  const budgetLatency = busRate.p99 <= 10 ? 'met' : 'NOT met';
  const summary = [
    `- max throughput bus/raw: **${fmt(ratio * 100, 1)} %** (${fmt(busMax.throughput, 0)} vs ${fmt(rawMax.throughput, 0)} msg/s) — budget ≥ 50 %: ${budgetThroughput}`,
    `- p99 at ${flags.rate} msg/s: bus **${fmt(busRate.p99)} ms**, raw ${fmt(rawRate.p99)} ms — budget ≤ 10 ms: ${budgetLatency}`,
    `- p50 at ${flags.rate} msg/s: bus ${fmt(busRate.p50)} ms, raw ${fmt(rawRate.p50)} ms (ratio ${fmt(busRate.p50 / rawRate.p50)})`,
  ].join('\n');
  console.log(`\n${table(results)}\n\n${summary}`);

  const section = [
    '## Bus',
    '',
    `Command: \`node tools/bench/run.mjs bus${args.length ? ` ${args.join(' ')}` : ''}\` (\`npm run bench -- bus\`).`,
    `Recorded ${new Date().toISOString()} on ${nproc} CPUs (${cpu}), Node ${process.version}, Redis ${redisVersion} on loopback; producer, consumer and Redis share the machine.`,
    '',
    `Method: after an unrecorded 1 s warm-up of both paths, one process publishes at a fixed offered rate (what is due every 5 ms, up to ${flags.batch} per pipelined call) and consumes through one consumer-group member (COUNT ${flags.batch}, ack per batch); latency is publish call → handler (envelope \`data.sentAt\`). The raw baseline does the same with bare ioredis XADD / XREADGROUP / XACK and JSON.parse of the same envelope. "max" publishes ${flags.maxMessages} messages as fast as possible (4 pipelines of ${flags.batch} in flight) and divides by the time to the last handled message. The bus path adds envelope validation (zod), trace context extraction and a CONSUMER span (no SDK registered: no-op tracer), metrics calls and DLQ bookkeeping.`,
    '',
    table(results),
    '',
    summary,
    '',
    'Latency columns of the max runs are queueing delay under overload, not comparable with the budget. The box is shared (other work, Redis and both sides on 2 cores), so tail latencies move between runs: rerun before drawing conclusions.',
  ].join('\n');
  if (flags.write) {
    writeSection(root, section);
    console.log('\nwrote the "## Bus" section of docs/benchmarks.md');
  }
}
