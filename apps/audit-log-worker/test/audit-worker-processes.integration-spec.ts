import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AUDIT_JOB_OPTIONS, auditQueuePrefix } from '@gad/audit';
import {
  AUDIT_ENTRIES_JOB,
  Queues,
  auditJobId,
  type AuditEntriesJob,
  type AuditEntry,
} from '@gad/contracts';
import {
  createTestDatabase,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import {
  createWorkerParts,
  makeEntry,
  newSigningKey,
  type WorkerParts,
} from './support/audit-worker.harness';

const ROOT = join(__dirname, '..', '..', '..');

describe('audit workers as processes (real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let admin: Client;
  const signingKey = newSigningKey();
  const opened: WorkerParts[] = [];
  const queues: Array<{ queue: Queue<AuditEntriesJob>; redis: Redis }> = [];

  const openQueue = (keyPrefix: string): Queue<AuditEntriesJob> => {
    const redis = new Redis(testStack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue<AuditEntriesJob>(Queues.Audit, {
      connection: redis,
      prefix: auditQueuePrefix(keyPrefix),
    });
    queues.push({ queue, redis });
    return queue;
  };

  /** Enqueues the entries as a recorder does, four per job; returns the jobs' entries. */
  const enqueue = async (
    queue: Queue<AuditEntriesJob>,
    entries: AuditEntry[],
  ): Promise<AuditEntry[][]> => {
    const groups: AuditEntry[][] = [];
    for (let start = 0; start < entries.length; start += 4) {
      groups.push(entries.slice(start, start + 4));
    }
    await queue.addBulk(
      groups.map((group) => ({
        name: AUDIT_ENTRIES_JOB,
        data: { entries: group },
        // Completed jobs are kept here (production removes them) so the tests can inspect them.
        opts: { ...AUDIT_JOB_OPTIONS, jobId: auditJobId(group), removeOnComplete: false },
      })),
    );
    return groups;
  };

  const stored = async (
    agencies: string[],
  ): Promise<Array<{ id: string; agency_id: string; seq: string }>> =>
    (
      await admin.query<{ id: string; agency_id: string; seq: string }>(
        'SELECT id::text AS id, agency_id, seq FROM audit.entries WHERE agency_id = ANY($1) ORDER BY agency_id, seq',
        [agencies],
      )
    ).rows;

  const workerParts = async (
    keyPrefix: string,
    migrate = false,
    wrapIngest?: Parameters<typeof createWorkerParts>[0]['wrapIngest'],
  ): Promise<WorkerParts> => {
    const parts = await createWorkerParts({
      wrapIngest,
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix,
      migrate,
      worker: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, batchSize: 25, batchMaxWaitMs: 5 },
    });
    opened.push(parts);
    return parts;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    await workerParts(uniqueRedisPrefix(), true);
  });

  afterAll(async () => {
    for (const parts of opened) {
      await parts.close();
    }
    for (const { queue, redis } of queues) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      redis.disconnect();
    }
    await admin.end();
    await database.drop();
  });

  it('loses and duplicates nothing when a worker process is killed between commit and job completion', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const queue = openQueue(keyPrefix);
    const agencies = [uniqueId('ag'), uniqueId('ag')];
    const entries = Array.from({ length: 40 }, (_, i) => makeEntry(agencies[i % 2] ?? ''));
    const groups = await enqueue(queue, entries);

    const child: ChildProcess = fork(
      join(__dirname, 'fixtures', 'crashing-worker.fixture.ts'),
      [
        JSON.stringify({
          databaseUrl: database.url,
          redisUrl: testStack.redisUrl,
          keyPrefix,
          signingKey,
        }),
      ],
      {
        cwd: ROOT,
        execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
        env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const committed = await new Promise<string[]>((resolve, reject) => {
        child.on('message', (message: { committed?: string[] }) => {
          if (message.committed) {
            resolve(message.committed);
          }
        });
        child.once('exit', (code) => reject(new Error(`worker fixture exited early (${code})`)));
      });
      child.kill('SIGKILL');
      await exited;

      // Committed in PostgreSQL, yet still active (never completed) in BullMQ.
      expect(committed.length).toBeGreaterThan(0);
      const afterKill = await stored(agencies);
      expect(afterKill.map((row) => row.id)).toEqual(expect.arrayContaining(committed));
      const holdingCommitted = groups.filter((group) =>
        group.some((entry) => committed.includes(entry.id)),
      );
      expect((await queue.getJobCounts('active')).active).toBeGreaterThanOrEqual(
        holdingCommitted.length,
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }

    const survivor = await workerParts(keyPrefix);
    survivor.processor.start();
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed');
        return counts.completed === groups.length ? counts : undefined;
      },
      { description: 'every job completed by the surviving worker', timeoutMs: 20_000 },
    );
    const rows = await stored(agencies);
    expect(rows).toHaveLength(entries.length);
    expect(new Set(rows.map((row) => row.id)).size).toBe(entries.length);
    for (const agencyId of agencies) {
      expect(await survivor.verifier.verify(agencyId)).toMatchObject({
        valid: true,
        entriesChecked: 20,
      });
    }
  });

  it('keeps one valid chain per agency with two worker replicas writing at once', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const queue = openQueue(keyPrefix);
    const agencies = [uniqueId('ag'), uniqueId('ag'), uniqueId('ag')];
    const replicas = [await workerParts(keyPrefix), await workerParts(keyPrefix)];
    const perReplica = replicas.map(() => 0);
    replicas.forEach((replica, index) => {
      const append = replica.ingest.append.bind(replica.ingest);
      replica.ingest.append = async (entries) => {
        perReplica[index] = (perReplica[index] ?? 0) + entries.length;
        return append(entries);
      };
    });
    for (const replica of replicas) {
      replica.processor.start();
    }
    const entries = Array.from({ length: 300 }, (_, i) => makeEntry(agencies[i % 3] ?? ''));
    for (let i = 0; i < entries.length; i += 50) {
      await enqueue(queue, entries.slice(i, i + 50));
    }
    await waitFor(async () => (await stored(agencies)).length === entries.length || undefined, {
      description: '300 entries stored',
      timeoutMs: 20_000,
    });
    expect(perReplica.every((n) => n > 0)).toBe(true);
    const rows = await stored(agencies);
    for (const agencyId of agencies) {
      const seqs = rows.filter((row) => row.agency_id === agencyId).map((row) => Number(row.seq));
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await replicas[0]?.verifier.verify(agencyId)).toMatchObject({
        valid: true,
        entriesChecked: 100,
      });
    }
  });

  it('waits out a database outage without failing or spending attempts of audit jobs', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const queue = openQueue(keyPrefix);
    const agency = uniqueId('ag');
    let outages = 2;
    const parts = await workerParts(keyPrefix, false, (ingest) => ({
      append: async (entries) => {
        if (outages > 0) {
          outages -= 1;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            code: 'ECONNREFUSED',
          });
        }
        return ingest.append(entries);
      },
    }));
    parts.processor.start();
    const entries = Array.from({ length: 10 }, () => makeEntry(agency));
    const groups = await enqueue(queue, entries);
    await waitFor(async () => (await stored([agency])).length === entries.length || undefined, {
      description: 'entries stored after the outage',
      timeoutMs: 20_000,
    });
    expect(outages).toBe(0);
    await waitFor(
      async () => (await queue.getJobCounts('completed')).completed === groups.length || undefined,
      {
        description: 'jobs completed',
      },
    );
    expect((await queue.getJobCounts('failed')).failed).toBe(0);
    const jobs = await Promise.all(groups.map((group) => queue.getJob(auditJobId(group))));
    // One attempt each: the one that succeeded (the outage put them back without counting).
    expect(jobs.map((job) => job?.attemptsMade)).toEqual(groups.map(() => 1));
  });
});
