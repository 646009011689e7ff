import { OnEvent, RedisStreamsTransport, StreamPublisher, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { CapturingLogger, entryRecords, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const stream = 'intake:events';

@Injectable()
class Received {
  readonly incidents: Array<EventEnvelope<'incident.created'>> = [];
  readonly statuses: string[] = [];
  readonly positions: Array<EventEnvelope<'positions.reported'>> = [];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

@Controller()
class IntakeHandler {
  constructor(private readonly received: Received) {}

  @OnEvent(EventTypes.IncidentCreated)
  onIncidentCreated(@Payload() event: EventEnvelope<'incident.created'>): void {
    this.received.incidents.push(event);
  }

  @OnEvent(EventTypes.PositionsReported)
  onPositionsReported(@Payload() event: EventEnvelope<'positions.reported'>): void {
    this.received.positions.push(event);
  }

  /** The first status of each unit is slow: the unit's later events must still wait for it. */
  @OnEvent(EventTypes.UnitStatusChanged, {
    orderKey: (event) => `unit:${event.agencyId}:${event.data.unitId}`,
  })
  async onStatusChanged(@Payload() event: EventEnvelope<'unit.status_changed'>): Promise<void> {
    if (event.data.status === 'dispatched') {
      await sleep(150);
    }
    this.received.statuses.push(`${event.data.unitId}:${event.data.status}`);
  }
}

@Module({ controllers: [IntakeHandler], providers: [Received] })
class IntakeTestModule {}

const redis = new Redis(testStack.redisUrl);
const publisher = new StreamPublisher(redis, { prefix });
let app: INestMicroservice;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [IntakeTestModule] }).compile();
  // One failed delivery is the last (`maxDeliveries: 1`): an invalid event goes to the DLQ at once.
  const transport = new RedisStreamsTransport({
    redis: testStack.redisUrl,
    prefix,
    service: 'intake-service',
    consumer: 'intake-1',
    streams: [stream],
    rpc: false,
    maxDeliveries: 1,
    concurrency: 8,
    blockMs: 50,
    logger: new CapturingLogger(),
  });
  app = moduleRef.createNestMicroservice({ strategy: transport, logger: false });
  await app.listen();
});

afterAll(async () => {
  await app?.close();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

const incidentData = {
  incidentId: '0190b5c8-7f3a-7c1e-9d2b-3a4b5c6d7e8f',
  type: 'fire',
  priority: 'P1',
  status: 'new',
  location: { type: 'Point', coordinates: [-3.7, 40.4] },
  createdAt: '2026-12-06T10:00:00.000Z',
};

describe('typed event intake (@OnEvent on the Redis Streams transport)', () => {
  it('dead-letters an event whose data fails its registry schema and never calls the handler', async () => {
    const received = app.get(Received);
    const invalid = testEnvelope({ incidentId: 'not-a-uuid' }, EventTypes.IncidentCreated);
    const valid = testEnvelope({ ...incidentData, extra: 'dropped' }, EventTypes.IncidentCreated);
    await publisher.publish(stream, [invalid, valid]);

    await waitFor(() => received.incidents.length === 1, { description: 'the valid event' });
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}:dlq`)) === 1, {
      description: 'the invalid event in the DLQ',
    });
    // The valid one arrives with its data parsed by the registry schema (unknown keys stripped).
    const [event] = received.incidents;
    expect(event.id).toBe(valid.id);
    expect(event.data).toEqual(incidentData);
    expect(received.incidents.map(({ id }) => id)).not.toContain(invalid.id);

    const [dead] = entryRecords(
      (await redis.xrange(`${prefix}${stream}:dlq`, '-', '+')) as Array<[string, string[]]>,
    );
    expect(JSON.parse(dead.envelope)).toMatchObject({ id: invalid.id });
    expect(dead.error).toMatch(/^invalid incident\.created@v1: /);
    expect(dead).toMatchObject({ stream, group: 'intake-service', attempts: '1' });
    await waitFor(
      async () => Number((await redis.xpending(`${prefix}${stream}`, 'intake-service'))[0]) === 0,
      { description: 'both entries acknowledged' },
    );
  });

  it('takes plain position batches in one pass and still dead-letters a bad fix with its reason', async () => {
    const received = app.get(Received);
    const fix = {
      unitId: 'unit-1',
      position: { type: 'Point', coordinates: [-3.7, 40.4] },
      recordedAt: '2026-12-07T10:00:00.000Z',
      seq: 1,
      accuracyM: 5,
    };
    const before = await redis.xlen(`${prefix}${stream}:dlq`);
    const plain = testEnvelope(
      { positions: [fix, { ...fix, seq: 2 }] },
      EventTypes.PositionsReported,
    );
    const extra = testEnvelope({ positions: [fix], note: 'dropped' }, EventTypes.PositionsReported);
    const bad = testEnvelope(
      { positions: [fix, { ...fix, seq: 3, accuracyM: -1 }] },
      EventTypes.PositionsReported,
    );
    await publisher.publish(stream, [plain, bad, extra]);

    await waitFor(() => received.positions.length === 2, { description: 'the two valid batches' });
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}:dlq`)) === before + 1, {
      description: 'the bad batch in the DLQ',
    });
    const byId = new Map(received.positions.map((event) => [event.id, event]));
    expect(byId.get(plain.id)?.data).toEqual(plain.data);
    // Left to the schema, which strips the unknown key as before.
    expect(byId.get(extra.id)?.data).toEqual({ positions: [fix] });
    expect(byId.has(bad.id)).toBe(false);
    const dead = entryRecords(
      (await redis.xrange(`${prefix}${stream}:dlq`, '-', '+')) as Array<[string, string[]]>,
    ).find((entry) => (JSON.parse(entry.envelope) as { id: string }).id === bad.id);
    expect(dead?.error).toMatch(/^invalid positions\.reported@v1: /);
    expect(dead?.error).toContain('positions[1].accuracyM');
  });

  it('dead-letters an unknown version of a registered type', async () => {
    const before = await redis.xlen(`${prefix}${stream}:dlq`);
    const v9 = { ...testEnvelope(incidentData, EventTypes.IncidentCreated), version: 9 };
    await publisher.publish(stream, v9);
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}:dlq`)) === before + 1, {
      description: 'the v9 event in the DLQ',
    });
    expect(app.get(Received).incidents.map(({ id }) => id)).not.toContain(v9.id);
  });

  it('keeps the stream order of events with one orderKey while other keys run alongside', async () => {
    const received = app.get(Received);
    const status = (unitId: string, value: string) =>
      testEnvelope({ unitId, status: value }, EventTypes.UnitStatusChanged);
    // One MULTI, so the consumer reads the five entries in one batch (handled concurrently).
    const multi = redis.multi();
    for (const envelope of [
      status('u-1', 'dispatched'),
      status('u-2', 'en_route'),
      status('u-1', 'en_route'),
      status('u-1', 'on_scene'),
      status('u-2', 'on_scene'),
    ]) {
      multi.xadd(`${prefix}${stream}`, '*', 'envelope', JSON.stringify(envelope));
    }
    await multi.exec();
    await waitFor(() => received.statuses.length === 5, { description: 'five status events' });
    const of = (unitId: string) => received.statuses.filter((item) => item.startsWith(unitId));
    expect(of('u-1')).toEqual(['u-1:dispatched', 'u-1:en_route', 'u-1:on_scene']);
    expect(of('u-2')).toEqual(['u-2:en_route', 'u-2:on_scene']);
    // u-2 did not wait behind u-1's slow first event.
    expect(received.statuses.slice(0, 2)).toEqual(['u-2:en_route', 'u-2:on_scene']);
  });
});
