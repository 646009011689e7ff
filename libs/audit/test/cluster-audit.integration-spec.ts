// The audit recorder and a BullMQ worker on a real 6-node Redis Cluster (tools/stack/cluster.cjs):
// the hash-tagged prefix keeps the queue's keys in one slot, and recording survives the death of
// that slot's primary.
import { Worker, type Job } from 'bullmq';
import { redisClientFromUrl } from '@gad/platform';
import { Queues, type AuditEntriesJob } from '@gad/contracts';
import { startRedisCluster, uniqueId, waitFor, type RedisClusterHandle } from '@gad/testing';
import { AuditRecorder, auditQueuePrefix, type AuditRecordInput } from '@gad/audit';
import type { Redis } from 'ioredis';

jest.setTimeout(60_000);

const entry = (i: number): AuditRecordInput => ({
  agencyId: 'ag-cluster',
  actor: { kind: 'user', id: `u${i}`, roles: ['dispatcher'] },
  action: 'incident.update',
  object: { type: 'incident', id: `inc-${i}` },
});

describe('audit on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let workerConnection: Redis;
  let worker: Worker<AuditEntriesJob>;
  let recorder: AuditRecorder;
  const keyPrefix = `test:${uniqueId()}:`;
  const processed = new Set<string>();

  beforeAll(async () => {
    cluster = await startRedisCluster();
    workerConnection = redisClientFromUrl(cluster.url, { maxRetriesPerRequest: null });
    workerConnection.on('error', () => undefined);
    worker = new Worker<AuditEntriesJob>(
      Queues.Audit,
      async (job: Job<AuditEntriesJob>) => {
        for (const stored of job.data.entries) {
          processed.add(stored.id);
        }
      },
      { connection: workerConnection, prefix: auditQueuePrefix(keyPrefix), concurrency: 50 },
    );
    worker.on('error', () => undefined);
    recorder = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: cluster.url,
      keyPrefix,
      logger: { warn: () => undefined, error: () => undefined },
    });
  });

  afterAll(async () => {
    await recorder?.close();
    await worker?.close(true);
    workerConnection?.disconnect();
    await cluster?.stop();
  });

  it('uses a hash-tagged BullMQ prefix', () => {
    expect(auditQueuePrefix('')).toBe('{bull}');
    expect(auditQueuePrefix(keyPrefix)).toBe(`${keyPrefix}{bull}`);
  });

  it('records through the cluster and the worker gets every entry, across a primary failover', async () => {
    const before = Array.from({ length: 50 }, (_, i) => recorder.record(entry(i)));
    expect(await recorder.flush()).toBe(true);
    await waitFor(() => before.every((id) => processed.has(id)), {
      description: '50 entries processed before the failover',
    });

    const primary = await cluster.primaryOf(`${auditQueuePrefix(keyPrefix)}:${Queues.Audit}:wait`);
    await cluster.kill(primary);
    await cluster.waitFailover(primary);

    const after = Array.from({ length: 50 }, (_, i) => recorder.record(entry(100 + i)));
    await waitFor(() => recorder.flush(), {
      description: 'the recorder flushed after the failover',
      timeoutMs: 20_000,
    });
    await waitFor(() => after.every((id) => processed.has(id)), {
      description: '50 entries recorded after the failover processed',
      timeoutMs: 20_000,
    });
  });
});
