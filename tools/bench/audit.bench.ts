/*
 * Audit benchmark: entries/s from AuditRecorder.record() through BullMQ to hash-chained rows stored
 * by a real audit-log-worker (built, as a process), next to raw BullMQ addBulk + a no-op Worker in
 * the same run; and the synchronous cost of record() (what it adds to a request).
 */
import { AuditRecorder, AUDIT_JOB_OPTIONS, auditQueuePrefix, type AuditLogger } from '@gad/audit';
import { AUDIT_ENTRY_JOB, Queues, uuidv7 } from '@gad/contracts';
import {
  createAuditSigningKeyPem,
  createTestDatabase,
  deleteKeysWithPrefix,
  startServiceProcess,
  uniqueRedisPrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  analysis,
  cpuMsOf,
  fmt,
  machine,
  percentile,
  progress,
  writeSection,
  parseBenchFlags,
} from './report';

interface Flags {
  entries: number;
  agencies: number;
  slice: number;
  /** Most entries per BullMQ job from the recorder (its `entriesPerJob`; 1 = one job per entry). */
  perJob: number;
  write: boolean;
}

interface Throughput {
  label: string;
  entries: number;
  seconds: number;
  throughput: number;
  note: string;
}

const now = (): number => performance.now();
const silent: AuditLogger = { warn: () => undefined, error: () => undefined };

/** A typical entry as the interceptor records it for a mutating request. */
const entryInput = (i: number, agencies: number) => ({
  agencyId: `bench-agency-${i % agencies}`,
  actor: { kind: 'user' as const, id: `dispatcher-${i % 50}`, roles: ['dispatcher'] },
  action: 'incident.update',
  outcome: 'success' as const,
  object: { type: 'incident', id: uuidv7() },
  changes: {
    before: { status: 'new', priority: 'P2' },
    after: { status: 'dispatched', priority: 'P1', note: 'benchmark entry' },
  },
  source: { ip: '10.0.0.7', userAgent: 'gad-console/1.0' },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  details: { route: 'PATCH /v1/incidents/{id}', status: 200 },
});

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function storedCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM audit.entries',
  );
  return rows[0].n;
}

/** Polls until `target` rows are stored (or progress stops for 30 s); time of the last increase. */
async function waitStored(
  client: Client,
  target: number,
  label: string,
): Promise<{ stored: number; at: number }> {
  let stored = 0;
  let at = now();
  while (stored < target && now() - at < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const n = await storedCount(client);
    if (n !== stored) {
      stored = n;
      at = now();
    }
    process.stdout.write(`\r  ${label}: stored ${stored} / ${target}   `);
  }
  process.stdout.write('\n');
  return { stored, at };
}

/**
 * record() `count` entries, `slice` calls per event-loop turn (so the background flush runs as it
 * would between requests), timing every call. Resolves when the last call returned.
 */
async function recordAll(
  recorder: AuditRecorder,
  count: number,
  offset: number,
  flags: Flags,
  timings?: number[],
): Promise<void> {
  for (let i = 0; i < count; i += flags.slice) {
    const end = Math.min(count, i + flags.slice);
    for (let j = i; j < end; j += 1) {
      const input = entryInput(offset + j, flags.agencies);
      const t = now();
      recorder.record(input);
      timings?.push(now() - t);
    }
    await yieldToLoop();
  }
}

async function rawBullmq(redisUrl: string, prefix: string, flags: Flags): Promise<Throughput> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const name = `${Queues.Audit}-raw`;
  const queue = new Queue(name, { connection, prefix: auditQueuePrefix(prefix) });
  let done = 0;
  let lastAt = 0;
  let resolveAll: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
  const worker = new Worker(name, async () => undefined, {
    connection: workerConnection,
    prefix: auditQueuePrefix(prefix),
    concurrency: 1_000,
  });
  worker.on('completed', () => {
    done += 1;
    lastAt = now();
    if (done === flags.entries) resolveAll();
  });
  await worker.waitUntilReady();
  const start = now();
  const progressTimer = setInterval(
    () => process.stdout.write(`\r  raw BullMQ: processed ${done}   `),
    1_000,
  );
  for (let i = 0; i < flags.entries; i += 500) {
    const jobs = [];
    for (let j = i; j < Math.min(flags.entries, i + 500); j += 1) {
      const id = uuidv7();
      jobs.push({
        name: AUDIT_ENTRY_JOB,
        data: {
          id,
          occurredAt: new Date().toISOString(),
          service: 'bench',
          ...entryInput(j, flags.agencies),
        },
        opts: { jobId: id, ...AUDIT_JOB_OPTIONS },
      });
    }
    await queue.addBulk(jobs);
  }
  await Promise.race([allDone, new Promise((resolve) => setTimeout(resolve, 180_000))]);
  clearInterval(progressTimer);
  process.stdout.write('\n');
  await worker.close();
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  const seconds = (lastAt - start) / 1_000;
  return {
    label: 'raw BullMQ: addBulk (500) → no-op Worker (concurrency 1000)',
    entries: done,
    seconds,
    throughput: done / seconds,
    note: 'same job data and options, producer and worker in the bench process, nothing stored',
  };
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('audit', args, {
    entries: 100_000,
    agencies: 10,
    slice: 100,
    perJob: 100,
    write: true,
  });
  const benchStart = now();
  const loadBefore = loadavg()[0];
  if (!existsSync(join(root, 'dist', 'apps', 'audit-log-worker', 'src', 'main.js'))) {
    throw new Error(
      'dist/apps/audit-log-worker is missing: run node tools/scripts/build.mjs first',
    );
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = uniqueRedisPrefix();
  let database: TestDatabase | undefined;
  let worker: ServiceProcess | undefined;
  let recorder: AuditRecorder | undefined;
  const results: Throughput[] = [];
  let timings: number[] = [];
  let pgVersion = '?';
  let overflow = 0;
  try {
    database = await createTestDatabase();
    progress(`throwaway database ${database.name}, redis prefix ${prefix}`);
    worker = await startServiceProcess({
      app: 'audit-log-worker',
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        AUDIT_SIGNING_KEY: createAuditSigningKeyPem(),
      },
      readyTimeoutMs: 60_000,
    });
    progress(`audit-log-worker ${worker.url} (pid ${worker.pid})`);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    pgVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
    recorder = new AuditRecorder({
      service: 'bench',
      redisUrl,
      keyPrefix: prefix,
      // Holds the whole run: record() outpaces the worker on purpose, nothing may overflow.
      bufferCapacity: flags.entries + 10_000,
      entriesPerJob: flags.perJob,
      logger: silent,
    });

    progress('warm-up: 2,000 entries (not recorded)');
    await recordAll(recorder, 2_000, 0, flags);
    await waitStored(client, 2_000, 'warm-up');

    progress(
      `record() × ${flags.entries}, ${flags.slice} calls per event-loop turn, ${flags.agencies} agencies`,
    );
    timings = [];
    const jobsBefore = recorder.enqueuedJobs;
    const benchCpu = (): number => (process.cpuUsage().user + process.cpuUsage().system) / 1_000;
    const cpuStart = { bench: benchCpu(), worker: cpuMsOf(worker.pid) };
    const start = now();
    await recordAll(recorder, flags.entries, 2_000, flags, timings);
    await recorder.flush(120_000);
    const recordedIn = (now() - start) / 1_000;
    const recorderCpuMs = benchCpu() - cpuStart.bench;
    const entriesPerJob = flags.entries / (recorder.enqueuedJobs - jobsBefore);
    const { stored, at } = await waitStored(
      client,
      2_000 + flags.entries,
      'record() → chained rows',
    );
    const workerCpuMs = cpuMsOf(worker.pid) - cpuStart.worker;
    const metricsText = await (await fetch(`${worker.url}/metrics`)).text();
    const metric = (name: string): number =>
      metricsText
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    const meanBatch = metric('gad_audit_batch_size_sum') / metric('gad_audit_batch_size_count');
    const chained = stored - 2_000;
    const seconds = (at - start) / 1_000;
    overflow = recorder.overflowCount;
    const { rows } = await client.query<{ chains: number; checkpoints: number }>(
      `SELECT (SELECT count(DISTINCT agency_id) FROM audit.entries)::int AS chains,
              (SELECT count(*) FROM audit.checkpoints)::int AS checkpoints`,
    );
    results.push({
      label: 'record() → BullMQ → audit-log-worker → chained rows',
      entries: chained,
      seconds,
      throughput: chained / seconds,
      note: `all record() calls made and flushed to Redis after ${fmt(recordedIn)} s; CPU per entry: recording process ${fmt((recorderCpuMs / flags.entries) * 1_000, 0)} µs (record() + background addBulk), audit-log-worker ${fmt((workerCpuMs / chained) * 1_000, 0)} µs; ${fmt(entriesPerJob, 1)} entries per BullMQ job on average (at most ${flags.perJob}); mean batch ${fmt(meanBatch, 0)} entries per transaction; ${rows[0].chains} chains, ${rows[0].checkpoints} signed checkpoints; ${overflow} overflowed; worker defaults (batch 500, 4 write lanes, 4 fetchers, concurrency 2000)`,
    });
    await client.end();

    progress('raw BullMQ baseline');
    results.push(await rawBullmq(redisUrl, prefix, flags));
  } finally {
    await recorder?.close().catch(() => undefined);
    await worker?.stop();
    await database?.drop();
    const admin = new Redis(redisUrl);
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  }

  const sorted = [...timings].sort((a, b) => a - b);
  const us = (ms: number): string => fmt(ms * 1_000, 1);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const throughputTable = [
    '| run | entries | seconds | entries/s | notes |',
    '|---|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.entries} | ${fmt(r.seconds)} | ${fmt(r.throughput, 0)} | ${r.note} |`,
    ),
  ].join('\n');
  const latencyTable = [
    '| record() calls | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${sorted.length} | ${us(p50)} | ${us(percentile(sorted, 90))} | ${us(p99)} | ${us(percentile(sorted, 99.9))} | ${us(sorted[sorted.length - 1] ?? Number.NaN)} |`,
  ].join('\n');
  const [chain, raw] = results;
  const summary = [
    chain
      ? `- sustained **${fmt(chain.throughput, 0)} entries/s** from record() to chained rows — budget ≥ 5,000/s: ${chain.throughput >= 5_000 ? 'met' : '**NOT met**'}${raw ? `; raw BullMQ ${fmt(raw.throughput, 0)} jobs/s (audit/raw ${fmt((chain.throughput / raw.throughput) * 100, 1)} %)` : ''}`
      : '- no throughput figure (the run failed)',
    `- record() p99 **${us(p99)} µs** (p50 ${us(p50)} µs) — budget ≤ 200 µs: ${p99 <= 0.2 ? 'met' : '**NOT met**'}`,
  ].join('\n');
  const totalSeconds = (now() - benchStart) / 1_000;
  console.log(`\n${throughputTable}\n\n${latencyTable}\n\n${summary}\n`);
  progress(`done in ${fmt(totalSeconds, 0)} s`);

  const section = [
    '## Audit',
    '',
    `Command: \`node tools/bench/run.mjs audit${args.length ? ` ${args.join(' ')}` : ''}\` (\`npm run bench -- audit\`, after \`node tools/scripts/build.mjs\`). Whole run ${fmt(totalSeconds, 0)} s.`,
    `Recorded ${new Date().toISOString()} on ${machine()}, load average ${fmt(loadBefore, 1)} at the start and ${fmt(loadavg()[0], 1)} at the end, Node ${process.version}, PostgreSQL ${pgVersion}, Redis on loopback; the bench, the worker, PostgreSQL and Redis share the machine (and it is shared with other work).`,
    '',
    `Method: a throwaway database (cloned from \`gad_test\`, dropped afterwards) and a private Redis key prefix; the built audit-log-worker runs as a process with its defaults (\`LOG_LEVEL=warn\`). In the bench process one \`AuditRecorder\` (the one every service uses, buffer sized for the run, at most ${flags.perJob} consecutive entries per BullMQ job) records typical interceptor entries (before/after changes, source, trace id) for ${flags.agencies} agencies (${flags.agencies} chains); after an unrecorded warm-up of 2,000 entries, ${flags.entries.toLocaleString('en')} \`record()\` calls are made ${flags.slice} per event-loop turn, so the background \`addBulk\` flush interleaves as it does between requests. Throughput is the entries counted in \`audit.entries\` divided by the time from the first call to the last stored row (polled every 100 ms). Each \`record()\` call is timed on its own (validation, redaction, id, buffer push): that is what it adds to a request. The baseline adds one job per entry, with the same entry data and job options, with \`Queue.addBulk\` (500 per call) and completes them with a no-op \`Worker\` (concurrency 1000) in the bench process.`,
    '',
    throughputTable,
    '',
    latencyTable,
    '',
    summary,
    '',
    analysis(root, 'audit'),
  ].join('\n');
  if (flags.write) {
    writeSection(root, '## Audit', section);
    progress('wrote the "## Audit" section of docs/benchmarks.md');
  }
}
