import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AUDIT_ENTRIES_JOB, Queues, type AuditEntriesJob } from '@gad/contracts';
import { startRedisServer, uniqueId, waitFor, type RedisServerHandle } from '@gad/testing';
import {
  AuditEntryInvalidError,
  AuditRecorder,
  auditQueuePrefix,
  type AuditLogger,
  type AuditRecordInput,
} from '@gad/audit';

const entry = (agencyId: string, i: number): AuditRecordInput => ({
  agencyId,
  actor: { kind: 'user', id: `u${i}`, roles: ['dispatcher'] },
  action: 'incident.update',
  object: { type: 'incident', id: `inc-${i}` },
  changes: { before: { status: 'new', apiKey: 'k-123' }, after: { status: 'closed' } },
  source: { ip: '10.1.1.1', userAgent: 'jest' },
});

describe('AuditRecorder against a Redis that goes away (private redis-server)', () => {
  let redis: RedisServerHandle;
  let inspector: Redis;
  let queue: Queue<AuditEntriesJob>;
  const keyPrefix = `test:${uniqueId()}:`;
  const logged: Array<{ level: string; context: Record<string, unknown>; message: string }> = [];
  const logger: AuditLogger = {
    warn: (context, message) => logged.push({ level: 'warn', context, message }),
    error: (context, message) => logged.push({ level: 'error', context, message }),
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    inspector = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    inspector.on('error', () => undefined);
    queue = new Queue<AuditEntriesJob>(Queues.Audit, {
      connection: inspector,
      prefix: auditQueuePrefix(keyPrefix),
    });
    queue.on('error', () => undefined);
  });

  afterAll(async () => {
    await queue.close();
    inspector.disconnect();
    await redis.dispose();
  });

  it('enqueues a lone entry as one job with the entry id as job id, redacting secrets', async () => {
    const sut = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: redis.url,
      keyPrefix,
      logger,
    });
    try {
      const id = sut.record(entry('ag-1', 1));
      expect(await sut.flush()).toBe(true);
      const job = await queue.getJob(id);
      expect(job?.id).toBe(id);
      expect(job?.name).toBe(AUDIT_ENTRIES_JOB);
      expect(job?.data.entries).toHaveLength(1);
      expect(job?.data.entries[0]).toMatchObject({
        id,
        agencyId: 'ag-1',
        service: 'api-gateway',
        outcome: 'success',
        changes: { before: { status: 'new', apiKey: '[REDACTED]' } },
      });
      expect(job?.data.entries[0]?.occurredAt).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      );
      // A retried record of the same entry is the same job.
      sut.record({ ...entry('ag-1', 1), id });
      expect(await sut.flush()).toBe(true);
      expect(await queue.getJobCountByTypes('waiting')).toBe(1);
    } finally {
      await sut.close();
    }
  });

  it('write(): entries written in one event-loop turn leave in one addBulk, each call resolving once its entry is queued', async () => {
    const sut = new AuditRecorder({
      service: 'ws-gateway',
      redisUrl: redis.url,
      keyPrefix,
      logger,
      entriesPerJob: 2,
    });
    try {
      // Connected: a first entry reached the queue.
      await sut.write(entry('ag-4', 0));
      expect(await sut.flush()).toBe(true);

      const ids = await Promise.all([1, 2, 3].map((i) => sut.write(entry('ag-4', i))));
      // Resolved means queued; one write per entry would have made three single-entry jobs.
      const jobs = await Promise.all(
        [`${ids[0]}_${ids[1]}`, ids[2] ?? ''].map((id) => queue.getJob(id)),
      );
      expect(jobs.map((job) => job?.data.entries.map((stored) => stored.id))).toEqual([
        [ids[0], ids[1]],
        [ids[2]],
      ]);
      expect(sut.pending).toBe(0);
    } finally {
      await sut.close();
    }
  });

  it('buffers while Redis is down and delivers every entry after it returns', async () => {
    const sut = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: redis.url,
      keyPrefix,
      logger,
      retryDelayMs: 50,
      entriesPerJob: 10,
    });
    try {
      const before = sut.record(entry('ag-2', 0));
      expect(await sut.flush()).toBe(true);
      await redis.stop({ hard: true });
      await waitFor(() => inspector.status !== 'ready', { description: 'redis seen down' });

      const ids = Array.from({ length: 25 }, (_, i) => sut.record(entry('ag-2', i + 1)));
      expect(sut.pending).toBe(25);

      await redis.start();
      await waitFor(async () => sut.pending === 0, {
        description: 'buffer drained',
        timeoutMs: 15_000,
      });
      await waitFor(() => inspector.status === 'ready', { description: 'inspector reconnected' });
      // Buffered entries leave grouped, oldest first, at most `entriesPerJob` (10) per job.
      const jobs = await queue.getJobs(['waiting']);
      const grouped = jobs
        .sort(
          (a, b) =>
            ids.indexOf(a.data.entries[0]?.id ?? '') - ids.indexOf(b.data.entries[0]?.id ?? ''),
        )
        .map((job) => job.data.entries.map((stored) => stored.id));
      expect(grouped.map((group) => group.length)).toEqual([10, 10, 5]);
      expect(grouped.flat()).toEqual(ids);
      // `jobs` is in entry order now (sorted above); UUIDv7s of one millisecond do not sort by time.
      expect(jobs.map((job) => job.id)).toEqual(
        [ids.slice(0, 10), ids.slice(10, 20), ids.slice(20)].map(
          (group) => `${group[0]}_${group[group.length - 1]}`,
        ),
      );
      expect(sut.enqueuedJobs).toBe(4);
      // The private server restarted empty: only what was buffered can be there.
      expect(await queue.getJob(before)).toBeUndefined();
      expect(logged.some((line) => line.message.includes('unreachable'))).toBe(true);
    } finally {
      await sut.close();
    }
  });

  it('counts and logs entries that find the buffer full, never dropping them silently', async () => {
    await redis.stop({ hard: true });
    const sut = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: redis.url,
      keyPrefix,
      logger,
      bufferCapacity: 3,
    });
    try {
      const ids = Array.from({ length: 5 }, (_, i) => sut.record(entry('ag-3', i)));
      expect(sut.pending).toBe(3);
      expect(sut.overflowCount).toBe(2);
      const overflow = logged.filter((line) => line.message.startsWith('audit buffer full'));
      expect(overflow.map((line) => line.context['auditEntryId'])).toEqual(ids.slice(3));
      expect(overflow[0]?.context).toMatchObject({ agencyId: 'ag-3', action: 'incident.update' });
    } finally {
      await redis.start();
      await sut.close();
    }
  });

  it('throws on an entry that cannot be valid', () => {
    const sut = new AuditRecorder({ service: 'svc', redisUrl: redis.url, keyPrefix, logger });
    try {
      expect(() => sut.record({ ...entry('', 1) })).toThrow(AuditEntryInvalidError);
      expect(() => sut.record({ ...entry('ag', 1), traceId: 'nope' })).toThrow(
        AuditEntryInvalidError,
      );
    } finally {
      void sut.close();
    }
  });
});
