import {
  IdempotencyGuard,
  StreamConsumer,
  StreamPublisher,
  type Delivery,
  type StreamConsumerOptions,
} from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { CapturingLogger, entryRecords, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const redis = new Redis(testStack.redisUrl);
const publisher = new StreamPublisher(redis, { prefix });
const consumers: StreamConsumer[] = [];

const fast = {
  blockMs: 50,
  reclaimIdleMs: 150,
  reclaimIntervalMs: 50,
  shutdownTimeoutMs: 300,
  statsIntervalMs: 100,
};

async function startConsumer(
  options: Omit<StreamConsumerOptions, 'redis' | 'prefix'>,
): Promise<StreamConsumer> {
  const consumer = new StreamConsumer({
    ...fast,
    logger: new CapturingLogger(),
    ...options,
    redis: testStack.redisUrl,
    prefix,
  });
  consumers.push(consumer);
  await consumer.start();
  return consumer;
}

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('StreamConsumer', () => {
  it('handles the streams of one read side by side: a slow batch on one does not hold another', async () => {
    const slow = 'side:slow';
    const quick = 'side:quick';
    // Both entries are there before the group reads, so its first read returns both streams.
    const [held] = await publisher.publish(slow, testEnvelope({ index: 1 }));
    await publisher.publish(quick, testEnvelope({ index: 2 }));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    await startConsumer({
      group: 'side',
      consumer: 'c1',
      streams: [slow, quick],
      groupStartId: '0',
      handler: async (_envelope: Envelope, delivery: Delivery) => {
        if (delivery.stream === slow) {
          await gate;
        }
        handled.push(delivery.stream);
      },
    });
    try {
      await waitFor(() => handled.includes(quick), {
        description: 'the quick stream handled while the slow one waits',
      });
      expect(handled).toEqual([quick]);
    } finally {
      release();
    }
    await waitFor(() => handled.includes(slow), { description: 'the slow entry handled' });
    expect(held).toBeDefined();
  });

  it('reads on while an entry runs: a later entry of the stream is handled before a slow one ends', async () => {
    const stream = 'overlap:events';
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    let started = false;
    await startConsumer({
      group: 'overlap',
      consumer: 'c1',
      streams: [stream],
      concurrency: 4,
      handler: async (envelope: Envelope) => {
        const { index } = envelope.data as { index: number };
        if (index === 1) {
          started = true;
          await gate;
        }
        handled.push(index);
      },
    });
    await publisher.publish(stream, testEnvelope({ index: 1 }));
    // Published once the first entry runs: it comes with a later read, not in the same batch.
    await waitFor(() => started, { description: 'the first entry read and running' });
    await publisher.publish(stream, testEnvelope({ index: 2 }));
    try {
      await waitFor(() => handled.includes(2), {
        description: 'the second entry handled while the first still runs',
      });
      expect(handled).toEqual([2]);
    } finally {
      release();
    }
    await waitFor(() => handled.includes(1), { description: 'the slow entry handled' });
  });

  it('keeps reading a stream while another one has entries waiting for a handler slot', async () => {
    const busy = 'queued:busy';
    const other = 'queued:other';
    // Two entries on the busy stream in the first read: the second waits for the first (concurrency 1).
    await publisher.publish(busy, testEnvelope({ index: 1 }));
    await publisher.publish(busy, testEnvelope({ index: 2 }));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    let started = false;
    await startConsumer({
      group: 'queued',
      consumer: 'c1',
      streams: [busy, other],
      groupStartId: '0',
      handler: async (envelope: Envelope, delivery: Delivery) => {
        if (delivery.stream === busy && (envelope.data as { index: number }).index === 1) {
          started = true;
          await gate;
        }
        handled.push(`${delivery.stream}:${(envelope.data as { index: number }).index}`);
      },
    });
    await waitFor(() => started, { description: 'the first busy entry running' });
    await publisher.publish(other, testEnvelope({ index: 3 }));
    try {
      await waitFor(() => handled.includes(`${other}:3`), {
        description: 'the other stream read and handled while the busy one has an entry queued',
      });
      expect(handled).toEqual([`${other}:3`]);
    } finally {
      release();
    }
    await waitFor(() => handled.length === 3, { description: 'the busy entries handled' });
    expect(handled).toEqual([`${other}:3`, `${busy}:1`, `${busy}:2`]);
  });

  it('keeps stream order across reads with concurrency 1', async () => {
    const stream = 'inorder:events';
    const handled: number[] = [];
    await startConsumer({
      group: 'inorder',
      consumer: 'c1',
      streams: [stream],
      batchSize: 3,
      handler: async (envelope: Envelope) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        handled.push((envelope.data as { index: number }).index);
      },
    });
    for (let index = 0; index < 20; index += 1) {
      await publisher.publish(stream, testEnvelope({ index }));
    }
    await waitFor(() => handled.length === 20, { description: 'all 20 entries handled' });
    expect(handled).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });

  it('delivers every entry to each group exactly once (two groups, three consumers each)', async () => {
    const stream = 'once:events';
    const seen = new Map<string, string[]>();
    const handler = (group: string) => (envelope: Envelope, delivery: Delivery) => {
      seen.set(group, [...(seen.get(group) ?? []), `${envelope.id}@${delivery.consumer}`]);
    };
    for (const group of ['alpha', 'beta']) {
      for (const consumer of ['c1', 'c2', 'c3']) {
        await startConsumer({
          group,
          consumer,
          streams: [stream],
          handler: handler(group),
          batchSize: 5,
        });
      }
    }
    const envelopes = Array.from({ length: 60 }, (_, index) => testEnvelope({ index }));
    const ids = await publisher.publish(stream, envelopes);
    expect(ids).toHaveLength(60);

    for (const group of ['alpha', 'beta']) {
      await waitFor(() => (seen.get(group)?.length ?? 0) >= 60, {
        description: `group ${group} to handle 60 entries`,
      });
    }
    // Nothing more arrives and nothing stays pending.
    await waitFor(
      async () => {
        const pending = await Promise.all(
          ['alpha', 'beta'].map((group) => redis.xpending(`${prefix}${stream}`, group)),
        );
        return pending.every((summary) => Number(summary[0]) === 0);
      },
      { description: 'no pending entries' },
    );
    for (const group of ['alpha', 'beta']) {
      const handled = (seen.get(group) ?? []).map((item) => item.split('@')[0]);
      expect(handled).toHaveLength(60);
      expect(new Set(handled)).toEqual(new Set(envelopes.map((envelope) => envelope.id)));
    }
  });

  it('reclaims the entry of a consumer that died before acknowledging it', async () => {
    const stream = 'reclaim:events';
    const handledBy: string[] = [];
    const stuck = await startConsumer({
      group: 'workers',
      consumer: 'doomed',
      streams: [stream],
      handler: () => new Promise(() => undefined), // never resolves: never acknowledged
      reclaimIntervalMs: 60_000,
    });
    const envelope = testEnvelope({ job: 1 });
    await publisher.publish(stream, envelope);
    await waitFor(
      async () => {
        const [, , , consumers] = (await redis.xpending(`${prefix}${stream}`, 'workers')) as [
          number,
          string,
          string,
          Array<[string, string]> | null,
        ];
        return consumers?.some(([name]) => name === 'doomed');
      },
      { description: 'the entry pending at the doomed consumer' },
    );
    await stuck.stop(); // handler never finishes: connections are cut without an ack

    await startConsumer({
      group: 'workers',
      consumer: 'survivor',
      streams: [stream],
      handler: (received: Envelope, delivery: Delivery) => {
        handledBy.push(`${received.id}:${delivery.consumer}:${delivery.deliveries}`);
      },
    });
    await waitFor(() => handledBy.length === 1, { description: 'the survivor to handle it' });
    expect(handledBy[0]).toBe(`${envelope.id}:survivor:2`);
    await waitFor(
      async () => Number((await redis.xpending(`${prefix}${stream}`, 'workers'))[0]) === 0,
      { description: 'the reclaimed entry acknowledged' },
    );
  });

  it('takes over a dead consumer named by the caller at once, and deletes it from the group', async () => {
    const stream = 'takeover:events';
    const key = `${prefix}${stream}`;
    const handledBy: string[] = [];
    const stuck = await startConsumer({
      group: 'takers',
      consumer: 'frozen',
      streams: [stream],
      handler: () => new Promise(() => undefined), // never resolves: never acknowledged
      reclaimIntervalMs: 60_000,
    });
    const envelope = testEnvelope({ job: 'held' });
    await publisher.publish(stream, envelope);
    await waitFor(async () => (await consumerNames(key, 'takers')).includes('frozen'), {
      description: 'the entry pending at the frozen consumer',
    });
    await stuck.stop();
    const survivor = await startConsumer({
      group: 'takers',
      consumer: 'heir',
      streams: [stream],
      handler: (received: Envelope, delivery: Delivery) => {
        handledBy.push(`${received.id}:${delivery.consumer}:${delivery.deliveries}`);
      },
      // The idle reclaim alone would take a minute.
      reclaimIdleMs: 60_000,
      reclaimIntervalMs: 60_000,
    });
    // A consumer the caller does not name is left alone.
    expect(await survivor.takeOverDeadConsumers(() => false, 0)).toEqual({
      claimed: 0,
      deleted: [],
    });
    expect(handledBy).toEqual([]);
    const result = await survivor.takeOverDeadConsumers((name) => name === 'frozen', 0);
    expect(result).toEqual({ claimed: 1, deleted: ['frozen'] });
    expect(handledBy).toEqual([`${envelope.id}:heir:2`]);
    expect(Number((await redis.xpending(key, 'takers'))[0])).toBe(0);
    expect(await consumerNames(key, 'takers')).not.toContain('frozen');
  });

  it('dead-letters an entry after N failed deliveries and keeps later entries flowing', async () => {
    const stream = 'poison:events';
    const handled: number[] = [];
    let attempts = 0;
    await startConsumer({
      group: 'strict',
      consumer: 'c1',
      streams: [stream],
      maxDeliveries: 3,
      handler: (envelope: Envelope) => {
        const { index } = envelope.data as { index: number };
        if (index === 0) {
          attempts += 1;
          throw new Error('cannot handle index 0');
        }
        handled.push(index);
      },
    });
    const poison = testEnvelope({ index: 0 });
    await publisher.publish(stream, [
      poison,
      testEnvelope({ index: 1 }),
      testEnvelope({ index: 2 }),
    ]);

    const dlq = await waitFor(
      async () => {
        const entries = (await redis.xrange(`${prefix}${stream}:dlq`, '-', '+')) as Array<
          [string, string[]]
        >;
        return entries.length > 0 ? entryRecords(entries) : undefined;
      },
      { description: 'the poison entry in the DLQ' },
    );
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(dlq[0]['envelope']).id).toBe(poison.id);
    expect(dlq[0]['error']).toContain('cannot handle index 0');
    expect(dlq[0]['attempts']).toBe('3');
    expect(dlq[0]['group']).toBe('strict');
    expect(attempts).toBe(3);
    expect(handled).toEqual([1, 2]);

    await publisher.publish(stream, testEnvelope({ index: 3 }));
    await waitFor(() => handled.includes(3), { description: 'a later entry handled' });
    // Acknowledged once its handler resolved (just after it): nothing stays pending.
    await waitFor(
      async () => Number((await redis.xpending(`${prefix}${stream}`, 'strict'))[0]) === 0,
      { description: 'no entry left pending' },
    );
  });

  it('sends malformed entries to the DLQ at once and keeps the group flowing', async () => {
    const stream = 'malformed:events';
    const handled: string[] = [];
    await startConsumer({
      group: 'g',
      consumer: 'c1',
      streams: [stream],
      handler: (envelope: Envelope) => {
        handled.push(envelope.id);
      },
    });
    const key = `${prefix}${stream}`;
    await redis.xadd(key, '*', 'envelope', '{not json');
    await redis.xadd(key, '*', 'envelope', JSON.stringify({ id: 'nope', type: 'x' }));
    await redis.xadd(key, '*', 'something', 'else');
    const good = testEnvelope({ ok: true });
    await publisher.publish(stream, good);

    await waitFor(() => handled.length === 1, { description: 'the valid entry handled' });
    expect(handled).toEqual([good.id]);
    const dlq = await waitFor(
      async () => {
        const entries = (await redis.xrange(`${key}:dlq`, '-', '+')) as Array<[string, string[]]>;
        return entries.length === 3 ? entryRecords(entries) : undefined;
      },
      { description: 'three malformed entries in the DLQ' },
    );
    expect(dlq[0]['error']).toMatch(/^invalid_envelope: bad JSON/);
    expect(dlq[0]['envelope']).toBe('{not json');
    expect(dlq[1]['error']).toMatch(/^invalid_envelope: /);
    expect(dlq[2]['error']).toContain('missing field');
    expect(dlq.map((entry) => entry['attempts'])).toEqual(['1', '1', '1']);
    expect(Number((await redis.xpending(key, 'g'))[0])).toBe(0);
  });

  it('recreates its group when Redis lost it (NOGROUP)', async () => {
    const stream = 'nogroup:events';
    const handled: number[] = [];
    await startConsumer({
      group: 'g',
      consumer: 'c1',
      streams: [stream],
      handler: (envelope: Envelope) => {
        handled.push((envelope.data as { index: number }).index);
      },
    });
    await publisher.publish(stream, testEnvelope({ index: 1 }));
    await waitFor(() => handled.length === 1, { description: 'first entry' });
    await redis.del(`${prefix}${stream}`); // the stream and its group are gone, as after a restart
    await publisher.publish(stream, testEnvelope({ index: 2 }));
    await waitFor(() => handled.includes(2), { description: 'entry after the group was lost' });
  });

  it('lets a handler skip an envelope id it already handled (IdempotencyGuard)', async () => {
    const guard = new IdempotencyGuard(redis, { prefix, ttlSeconds: 60 });
    const envelope = testEnvelope({});
    const runs: string[] = [];
    expect(await guard.runOnce('g', envelope.id, () => runs.push('first'))).toBe(true);
    expect(await guard.runOnce('g', envelope.id, () => runs.push('second'))).toBe(false);
    expect(await guard.runOnce('other-group', envelope.id, () => runs.push('other'))).toBe(true);
    const failing = testEnvelope({});
    await expect(
      guard.runOnce('g', failing.id, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await guard.claim('g', failing.id)).toBe(true); // released after the failure
    expect(runs).toEqual(['first', 'other']);
    expect(await redis.ttl(`${prefix}gad:idem:g:${envelope.id}`)).toBeGreaterThan(0);
  });
});

async function consumerNames(key: string, group: string): Promise<string[]> {
  const reply = (await redis.xinfo('CONSUMERS', key, group)) as unknown[][];
  return reply.map((flat) => String(flat[flat.indexOf('name') + 1]));
}
