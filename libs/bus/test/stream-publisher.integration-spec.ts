import { BULK_CHUNK, StreamConsumer, StreamPublisher } from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { CapturingLogger, entryRecords, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const redis = new Redis(testStack.redisUrl);
let consumer: StreamConsumer | undefined;

afterAll(async () => {
  await consumer?.stop();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('StreamPublisher.publishBulk', () => {
  it('appends every envelope as its own entry, in order, across several script calls', async () => {
    const stream = 'bulk:events';
    const envelopes = Array.from({ length: BULK_CHUNK * 2 + 7 }, (_, n) => testEnvelope({ n }));
    const publisher = new StreamPublisher(redis, { prefix });

    const receipt = await publisher.publishBulk(stream, envelopes);

    const entries = (await redis.xrange(`${prefix}${stream}`, '-', '+')) as Array<
      [string, string[]]
    >;
    expect(receipt.ids).toEqual(entries.map(([id]) => id));
    expect(receipt.replicated).toBe(true);
    const records = entryRecords(entries);
    expect(records.every((record) => Object.keys(record).join() === 'envelope')).toBe(true);
    expect(records.map((record) => (JSON.parse(record['envelope']) as Envelope).id)).toEqual(
      envelopes.map((envelope) => envelope.id),
    );
  });

  it('delivers bulk entries to a consumer group like published ones', async () => {
    const stream = 'bulk:consumed';
    const seen: number[] = [];
    consumer = new StreamConsumer({
      redis: testStack.redisUrl,
      prefix,
      group: 'bulk-readers',
      consumer: 'c1',
      streams: [stream],
      blockMs: 50,
      logger: new CapturingLogger(),
      handler: (envelope: Envelope) => {
        seen.push((envelope.data as { n: number }).n);
      },
    });
    await consumer.start();
    const publisher = new StreamPublisher(redis, { prefix });

    await publisher.publishBulk(
      stream,
      Array.from({ length: 30 }, (_, n) => testEnvelope({ n })),
    );

    await waitFor(() => seen.length === 30, { description: 'every bulk entry handled' });
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
  });
});
