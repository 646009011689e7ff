import {
  OutboxRelay,
  OutboxWriter,
  UnitOfWork,
  outboxTableDdl,
  pgPoolTransactionRunner,
  withTransactionObserver,
} from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import { Database } from '@gad/platform';
import {
  createTestDatabase,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { CapturingLogger, testEnvelope } from './bus-test-helpers';

// The unit of work on real PostgreSQL and Redis: the change, its events and its rows commit
// together (the outbox insert goes with the COMMIT, one round trip), or not at all.
const schema = 'uow';
const prefix = uniqueRedisPrefix();
let testDb: TestDatabase;
let dataSource: DataSource;
let database: Database;
let relay: OutboxRelay;
let uow: UnitOfWork;
let redis: Redis;

interface OutboxRow {
  stream: string;
  envelope: { id?: string; data?: unknown } & Record<string, unknown>;
}

async function outboxRows(): Promise<OutboxRow[]> {
  const { rows } = await database.pool.query<OutboxRow>(
    `SELECT stream, envelope FROM ${schema}.outbox ORDER BY id`,
  );
  return rows;
}

async function things(): Promise<string[]> {
  const { rows } = await database.pool.query<{ name: string }>(
    `SELECT name FROM ${schema}.things ORDER BY name`,
  );
  return rows.map((row) => row.name);
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  dataSource = new DataSource({ type: 'postgres', url: testDb.url, poolSize: 2 });
  await dataSource.initialize();
  database = new Database(dataSource);
  await database.pool.query(outboxTableDdl(schema));
  await database.pool.query(`CREATE TABLE ${schema}.things (name text PRIMARY KEY)`);
  // Polls once a minute: an event reaching Redis sooner was sent on the commit's nudge.
  relay = new OutboxRelay({
    runner: pgPoolTransactionRunner(database.pool),
    schema,
    redis: testStack.redisUrl,
    prefix,
    pollIntervalMs: 60_000,
    logger: new CapturingLogger(),
  });
  relay.start();
  uow = new UnitOfWork(database, new OutboxWriter(schema), relay);
  redis = new Redis(testStack.redisUrl, { maxRetriesPerRequest: 1 });
});

beforeEach(async () => {
  await database.pool.query(`TRUNCATE ${schema}.outbox, ${schema}.things`);
});

afterAll(async () => {
  await relay.stop();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) {
    await redis.del(...keys);
  }
  redis.disconnect();
  await dataSource.destroy();
  await testDb.drop();
});

describe('UnitOfWork (real PostgreSQL and Redis)', () => {
  it('commits the change with its events and rows in emit order, then the relay sends them at once', async () => {
    const events = [1, 2, 3, 4].map((n) => testEnvelope({ n }));
    const result = await withTransactionObserver(
      {
        beforeCommit: (tx) => tx.appendRows('queue:rows', [JSON.stringify({ row: 'r1' })]),
      },
      () =>
        uow.run(async (tx) => {
          await tx.client.query(`INSERT INTO ${schema}.things VALUES ('a')`);
          tx.emit('s:a', events[0]);
          tx.emit('s:a', [events[1], events[2]]);
          tx.emit('s:b', events[3]);
          return 'value';
        }),
    );
    expect(result).toBe('value');
    expect(await things()).toEqual(['a']);
    const rows = await outboxRows();
    expect(rows.map((row) => [row.stream, row.envelope.id ?? row.envelope['row']])).toEqual([
      ['s:a', events[0].id],
      ['s:a', events[1].id],
      ['s:a', events[2].id],
      ['s:b', events[3].id],
      ['queue:rows', 'r1'],
    ]);
    // Nudged after the commit: the event is in its stream long before the next poll.
    await waitFor(async () => (await redis.xlen(`${prefix}s:b`)) === 1, {
      description: 'the event relayed on the nudge',
      timeoutMs: 5_000,
    });
  });

  it('writes values with quotes, backslashes, dollar quotes and any Unicode exactly', async () => {
    const awkward = [
      `it's "quoted" \\ back\\slash \\u0041 $gad$ $$ $gad0$ end$`,
      'ünïcödé 🚑 \u2028 \t tab',
    ];
    const envelope: Envelope = testEnvelope({ awkward });
    await uow.run(async (tx) => {
      tx.emit("stream:with'quote", envelope);
    });
    const [row] = await outboxRows();
    expect(row.stream).toBe("stream:with'quote");
    expect((row.envelope.data as { awkward: string[] }).awkward).toEqual(awkward);
  });

  it('keeps only the events of the attempt that committed', async () => {
    let attempt = 0;
    await uow.run(async (tx) => {
      attempt += 1;
      await tx.client.query(`INSERT INTO ${schema}.things VALUES ('attempt-${attempt}')`);
      tx.emit('s:a', testEnvelope({ attempt }));
      if (attempt === 1) {
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      }
    });
    expect(attempt).toBe(2);
    expect(await things()).toEqual(['attempt-2']);
    expect((await outboxRows()).map((row) => row.envelope.data)).toEqual([{ attempt: 2 }]);
  });

  it('a failed outbox insert rolls the change back, and the connection serves the next one', async () => {
    await expect(
      withTransactionObserver(
        { beforeCommit: (tx) => tx.appendRows('queue:rows', ['{not json']) },
        () =>
          uow.run(async (tx) => {
            await tx.client.query(`INSERT INTO ${schema}.things VALUES ('lost')`);
            tx.emit('s:a', testEnvelope({ n: 1 }));
          }),
      ),
    ).rejects.toThrow(/json/i);
    expect(await things()).toEqual([]);
    expect(await outboxRows()).toEqual([]);
    // Both pooled connections work afterwards: none was left inside the failed transaction.
    await Promise.all(
      ['b', 'c'].map((name) =>
        uow.run(async (tx) => {
          await tx.client.query(`INSERT INTO ${schema}.things VALUES ($1)`, [name]);
          tx.emit('s:a', testEnvelope({ name }));
        }),
      ),
    );
    expect(await things()).toEqual(['b', 'c']);
    expect(await outboxRows()).toHaveLength(2);
  });

  it('writes queued for the commit run in order before the outbox rows, and roll back with them', async () => {
    const insert = (name: string) => ({
      name: 'uow_things_insert_v1',
      text: `INSERT INTO ${schema}.things VALUES ($1)`,
      values: [name],
    });
    await uow.run(async (tx) => {
      tx.atCommit(insert('queued-1'));
      // Too long to go as a literal: runs on its own, still in order and in the transaction.
      tx.atCommit(insert(`queued-2 ${'x'.repeat(20_000)}`));
      tx.atCommit(insert('queued-3'));
      tx.emit('s:a', testEnvelope({ n: 1 }));
    });
    expect((await things()).map((name) => name.slice(0, 8))).toEqual([
      'queued-1',
      'queued-2',
      'queued-3',
    ]);
    expect(await outboxRows()).toHaveLength(1);

    // A queued write that fails takes the change and the events with it.
    await database.pool.query(`TRUNCATE ${schema}.things`);
    await expect(
      uow.run(async (tx) => {
        await tx.client.query(`INSERT INTO ${schema}.things VALUES ('before')`);
        tx.atCommit(insert('dup'));
        tx.atCommit(insert('dup'));
        tx.emit('s:a', testEnvelope({ n: 2 }));
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await things()).toEqual([]);
    expect(await outboxRows()).toHaveLength(1);
  });

  it('a change without events commits without an outbox row', async () => {
    await uow.run(async (tx) => {
      await tx.client.query(`INSERT INTO ${schema}.things VALUES ('quiet')`);
    });
    expect(await things()).toEqual(['quiet']);
    expect(await outboxRows()).toEqual([]);
  });
});
