import {
  OutboxRelay,
  OutboxWriter,
  outboxTableDdl,
  pgPoolTransactionRunner,
  type Delivery,
} from '@gad/bus';
import { StreamConsumer } from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import {
  createTestDatabase,
  startRedisServer,
  uniqueRedisPrefix,
  waitFor,
  type RedisServerHandle,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { CapturingLogger, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const schema = 'dispatch';
const stream = 'outbox:events';
let database: TestDatabase;
let pool: Pool;
let server: RedisServerHandle;
let redis: Redis;
const relays: OutboxRelay[] = [];
const consumers: StreamConsumer[] = [];
const writer = new OutboxWriter(schema);

beforeAll(async () => {
  [database, server] = await Promise.all([createTestDatabase(), startRedisServer()]);
  pool = new Pool({ connectionString: database.url, max: 5 });
  // pool.end() resolves while its idle clients are still closing; dropping the database then
  // terminates them, and the pool re-emits that as 'error' (an unhandled one fails the suite).
  pool.on('error', () => undefined);
  await pool.query(outboxTableDdl(schema));
  await pool.query(outboxTableDdl(schema)); // idempotent
  redis = new Redis(server.url, { commandTimeout: 1_000 });
  redis.on('error', () => undefined);
});

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  await Promise.all(relays.map((relay) => relay.stop()));
  redis.disconnect();
  await pool.end();
  await Promise.all([database.drop(), server.dispose()]);
});

function startRelay(
  logger = new CapturingLogger(),
  synchronousCommit = true,
  coalesceMs = 0,
): OutboxRelay {
  const relay = new OutboxRelay({
    coalesceMs,
    runner: pgPoolTransactionRunner(pool, { synchronousCommit }),
    schema,
    redis: { port: server.port, host: '127.0.0.1' },
    prefix,
    pollIntervalMs: 50,
    batchSize: 7,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    commandTimeoutMs: 500,
    logger,
  });
  relays.push(relay);
  relay.start();
  return relay;
}

async function appendInTransaction(envelopes: Envelope[], commit = true): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await writer.append(client, stream, envelopes);
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
  } finally {
    client.release();
  }
}

async function unsentCount(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.outbox WHERE sent_at IS NULL`,
  );
  return Number(rows[0].n);
}

describe('transactional outbox', () => {
  it('relays committed rows in order with one active relay, never rolled-back ones', async () => {
    const received: number[] = [];
    const consumer = new StreamConsumer({
      redis: server.url,
      prefix,
      group: 'reader',
      consumer: 'c1',
      streams: [stream],
      blockMs: 50,
      groupStartId: '0',
      logger: new CapturingLogger(),
      handler: (envelope: Envelope, _delivery: Delivery) => {
        received.push((envelope.data as { n: number }).n);
      },
    });
    consumers.push(consumer);
    await consumer.start();
    startRelay();
    startRelay(); // competes for the advisory lock: must not duplicate or reorder

    await appendInTransaction([testEnvelope({ n: -1 })], false);
    for (let batch = 0; batch < 5; batch += 1) {
      await appendInTransaction(
        Array.from({ length: 6 }, (_, index) => testEnvelope({ n: batch * 6 + index })),
      );
    }
    const expected = Array.from({ length: 30 }, (_, index) => index);
    await waitFor(() => received.length >= 30, { description: '30 relayed events' });
    await waitFor(async () => (await unsentCount()) === 0, { description: 'rows marked sent' });
    expect(received).toEqual(expected);
    expect(await redis.xlen(`${prefix}${stream}`)).toBe(30);
  });

  it('keeps events while Redis is down and relays them in order after it returns', async () => {
    const logger = new CapturingLogger();
    // Only this relay from now on.
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const relay = startRelay(logger);
    const before = await redis.xlen(`${prefix}${stream}`);
    expect(before).toBe(30);

    await server.stop();
    await appendInTransaction([testEnvelope({ n: 100 }), testEnvelope({ n: 101 })]);
    relay.nudge();
    await appendInTransaction([testEnvelope({ n: 102 })]);
    relay.nudge();
    await waitFor(() => logger.count(/outbox relay failing/) > 0, {
      description: 'the relay to notice the outage',
    });
    // Several failed attempts later the rows are still there, logged once for the outage.
    await waitFor(async () => logger.messages.length > 0 && (await unsentCount()) === 3, {
      description: 'rows kept unsent',
    });
    expect(logger.count(/outbox relay failing/)).toBe(1);

    await server.start(); // a fresh, empty Redis
    await waitFor(async () => (await unsentCount()) === 0, {
      description: 'rows relayed after Redis returned',
      timeoutMs: 15_000,
    });
    const entries = (await redis.xrange(`${prefix}${stream}`, '-', '+')) as Array<
      [string, string[]]
    >;
    const relayed = entries.map(([, fields]) => JSON.parse(fields[1]).data.n as number);
    expect(relayed).toEqual([100, 101, 102]);
    expect(logger.count(/outbox relay failing/)).toBe(1);
    expect(logger.count(/recovered/)).toBeGreaterThanOrEqual(1);
  });

  it('a lingering sink gets the rows of several commits in one delivery; events are not held', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const relay = startRelay();
    const sinkStream = 'queue:linger';
    const deliveries: string[][] = [];
    relay.registerSink(
      sinkStream,
      {
        deliver: async (rows) => {
          deliveries.push(rows.map((row) => (JSON.parse(row) as { n: string }).n));
        },
      },
      // Long enough that the commits below all fall inside it.
      { lingerMs: 3_000 },
    );
    const commitRow = async (n: string): Promise<void> => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await writer.appendJson(client, sinkStream, [JSON.stringify({ n })]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      relay.nudge();
    };
    const eventsBefore = await redis.xlen(`${prefix}${stream}`);

    // The sink was idle: the first row goes at once, on its own.
    await commitRow('a');
    await waitFor(() => deliveries.length === 1, { description: 'the first delivery' });
    await commitRow('b');
    await commitRow('c');
    // An event committed after them is relayed while they wait.
    await appendInTransaction([testEnvelope({ n: 200 })]);
    relay.nudge();
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}`)) === eventsBefore + 1, {
      description: 'the event relayed',
    });
    expect(deliveries).toEqual([['a']]);

    await waitFor(() => deliveries.length === 2, {
      description: 'the held rows delivered',
      timeoutMs: 15_000,
    });
    expect(deliveries).toEqual([['a'], ['b', 'c']]);
    await waitFor(async () => (await unsentCount()) === 0, { description: 'rows marked sent' });
  });

  it('two relays nudged after every commit deliver each row once, in order (as OutboxModule runs them)', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const raceStream = 'outbox:race';
    const received: number[] = [];
    const consumer = new StreamConsumer({
      redis: server.url,
      prefix,
      group: 'race-reader',
      consumer: 'c1',
      streams: [raceStream],
      blockMs: 50,
      groupStartId: '0',
      logger: new CapturingLogger(),
      handler: (envelope: Envelope) => {
        received.push((envelope.data as { n: number }).n);
      },
    });
    consumers.push(consumer);
    await consumer.start();
    // Without the WAL flush wait, as OutboxModule's relay runs; both race for every pass.
    const pair = [
      startRelay(new CapturingLogger(), false),
      startRelay(new CapturingLogger(), false),
    ];
    for (let n = 0; n < 120; n += 1) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await writer.append(client, raceStream, [testEnvelope({ n })]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      pair.forEach((relay) => relay.nudge());
    }
    await waitFor(async () => (await unsentCount()) === 0, { description: 'rows marked sent' });
    await waitFor(() => received.length >= 120, { description: '120 relayed events' });
    expect(received).toEqual(Array.from({ length: 120 }, (_, n) => n));
    expect(await redis.xlen(`${prefix}${raceStream}`)).toBe(120);
  });

  it('rows of a sink stream no sink serves wait (logged once) without holding up the others', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const logger = new CapturingLogger();
    const relay = startRelay(logger);
    const orphan = 'queue:orphan';
    const eventsBefore = await redis.xlen(`${prefix}${stream}`);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await writer.appendJson(client, orphan, [JSON.stringify({ n: 'o1' })]);
      await writer.append(client, stream, [testEnvelope({ n: 300 })]);
      await writer.appendJson(client, orphan, [JSON.stringify({ n: 'o2' })]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    relay.nudge();
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}`)) === eventsBefore + 1, {
      description: 'the event relayed past the waiting rows',
    });
    await waitFor(() => logger.count(/queue:orphan wait: no sink registered/) === 1, {
      description: 'the waiting rows logged',
    });
    expect(await unsentCount()).toBe(2);

    // A sink registered later (a relay that has it) takes them, in order.
    const delivered: string[] = [];
    relay.registerSink(orphan, {
      deliver: async (rows) => {
        delivered.push(...rows.map((row) => (JSON.parse(row) as { n: string }).n));
      },
    });
    relay.nudge();
    await waitFor(async () => (await unsentCount()) === 0, { description: 'the rows delivered' });
    expect(delivered).toEqual(['o1', 'o2']);
    expect(logger.count(/no sink registered/)).toBe(1);
  });

  it('with a coalescing window, a row that finds the relay idle goes at once; later ones follow in order', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    // A window far longer than the wait below: the first row must not wait for it.
    const relay = startRelay(new CapturingLogger(), false, 60_000);
    const before = await redis.xlen(`${prefix}${stream}`);
    await appendInTransaction([testEnvelope({ n: 400 })]);
    relay.nudge();
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}`)) === before + 1, {
      description: 'the first row relayed without waiting for the window',
    });
    await appendInTransaction([testEnvelope({ n: 401 })]);
    relay.nudge();
    await appendInTransaction([testEnvelope({ n: 402 })]);
    relay.nudge();
    // Held by the window; stop() ends the wait, and the next relay takes the rows in order.
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    startRelay(new CapturingLogger(), false, 5);
    await waitFor(async () => (await unsentCount()) === 0, { description: 'the rows relayed' });
    const entries = (await redis.xrange(`${prefix}${stream}`, '-', '+')) as Array<
      [string, string[]]
    >;
    const relayed = entries.map(([, fields]) => JSON.parse(fields[1]).data.n as number);
    expect(relayed.slice(-3)).toEqual([400, 401, 402]);
  });

  it('stop() ends an idle relay at once, however long its poll interval, and a nudge still wakes it', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const relay = new OutboxRelay({
      runner: pgPoolTransactionRunner(pool),
      schema,
      redis: { port: server.port, host: '127.0.0.1' },
      prefix,
      pollIntervalMs: 600_000,
      logger: new CapturingLogger(),
    });
    relays.push(relay);
    relay.start();
    const before = await redis.xlen(`${prefix}${stream}`);
    await appendInTransaction([testEnvelope({ n: 500 })]);
    relay.nudge();
    await waitFor(async () => (await redis.xlen(`${prefix}${stream}`)) === before + 1, {
      description: 'the nudged row relayed long before the next poll',
    });
    // Now idle until a nudge or the 10-minute poll: stop() must not wait for the poll.
    let bound: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      relay.stop().then(() => 'stopped' as const),
      new Promise<'still waiting'>((resolve) => {
        bound = setTimeout(() => resolve('still waiting'), 20_000);
      }),
    ]);
    clearTimeout(bound);
    expect(stopped).toBe('stopped');
  });

  it('back-to-back passes carry each COMMIT to the next: after a burst and a stop, every relayed row is marked', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    const relay = startRelay(new CapturingLogger(), false);
    // Commits arrive while passes run (nudged during a pass: the next pass follows at once and
    // carries this one's COMMIT).
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let n = 0; n < 30; n += 1) {
          await appendInTransaction([testEnvelope({ n: writer * 100 + n })]);
          relay.nudge();
        }
      }),
    );
    await waitFor(async () => (await unsentCount()) === 0, { description: 'every row marked' });
    // Stopped at once after a last burst: a COMMIT left for a next pass is sent on the way out.
    for (let n = 0; n < 20; n += 1) {
      await appendInTransaction([testEnvelope({ n: 900 + n })]);
      relay.nudge();
    }
    await relay.stop();
    relays.splice(relays.indexOf(relay), 1);
    const entries = (await redis.xrange(`${prefix}${stream}`, '-', '+')) as Array<
      [string, string[]]
    >;
    const delivered = entries.filter(([, fields]) => JSON.parse(fields[1]).data.n >= 900).length;
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.outbox
       WHERE sent_at IS NOT NULL AND (envelope->'data'->>'n')::int >= 900`,
    );
    // What was delivered is marked, and only that: nothing is left to be delivered twice.
    expect(Number(rows[0].n)).toBe(delivered);
    // No connection is left inside a transaction.
    const open = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(Number(open.rows[0].n)).toBe(0);
  });

  it('a relay pass is planned once per connection, not on every pass', async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    // One connection, so the relay's passes and the check below share its session.
    const single = new Pool({ connectionString: database.url, max: 1 });
    single.on('error', () => undefined);
    const relay = new OutboxRelay({
      runner: pgPoolTransactionRunner(single, { synchronousCommit: false }),
      schema,
      redis: { port: server.port, host: '127.0.0.1' },
      prefix,
      pollIntervalMs: 20,
      logger: new CapturingLogger(),
    });
    relay.start();
    try {
      const before = await redis.xlen(`${prefix}${stream}`);
      for (let n = 0; n < 6; n += 1) {
        await appendInTransaction([testEnvelope({ n: 500 + n })]);
        relay.nudge();
        await waitFor(async () => (await redis.xlen(`${prefix}${stream}`)) >= before + n + 1, {
          description: `row ${n} relayed`,
        });
      }
    } finally {
      await relay.stop();
    }
    const { rows } = await single.query<{ generic_plans: string; custom_plans: string }>(
      `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'gad_tx_%'`,
    );
    await single.end();
    // One statement for every pass after the first (5 or more relaying, the idle ones between
    // them), never re-planned.
    expect(rows).toHaveLength(1);
    expect(Number(rows[0].generic_plans)).toBeGreaterThanOrEqual(5);
    expect(Number(rows[0].custom_plans)).toBe(0);
  });
});

describe('relay pass cost', () => {
  it('a pass over a backlog reads its batch, not the rows sent before it nor the rest of the backlog', async () => {
    const history = 'history';
    const batchSize = 500;
    const single = new Pool({ connectionString: database.url, max: 1 });
    single.on('error', () => undefined);
    await single.query(outboxTableDdl(history));
    // Never vacuumed nor analysed (as on a server without autovacuum): the unsent index keeps an
    // entry for each row sent before, and the planner knows nothing of the table's size.
    await single.query(`ALTER TABLE ${history}.outbox SET (autovacuum_enabled = false)`);
    const insertRows = (count: number) =>
      single.query(
        `INSERT INTO ${history}.outbox (stream, envelope)
         SELECT 'outbox:history', jsonb_build_object('n', g) FROM generate_series(1, $1::int) g`,
        [count],
      );
    const unsent = async () =>
      Number(
        (
          await single.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${history}.outbox WHERE sent_at IS NULL`,
          )
        ).rows[0].n,
      );
    const prepared = async () =>
      (
        await single.query<{ name: string; generic_plans: string }>(
          `SELECT name, generic_plans FROM pg_prepared_statements
           WHERE statement LIKE '%${history}.outbox%'`,
        )
      ).rows;
    const runner = pgPoolTransactionRunner(single, { synchronousCommit: false });
    const relay = new OutboxRelay({
      runner,
      schema: history,
      redis: { port: server.port, host: '127.0.0.1' },
      prefix,
      pollIntervalMs: 20,
      batchSize,
      logger: new CapturingLogger(),
    });
    try {
      // The relay plans its pass on the empty table and keeps that plan on its connection.
      relay.start();
      await waitFor(async () => (await prepared()).some((row) => Number(row.generic_plans) > 0), {
        description: 'the pass prepared and planned on the empty outbox',
      });
      await insertRows(20_000);
      await waitFor(async () => (await unsent()) === 0, {
        description: '20,000 rows relayed',
        timeoutMs: 60_000,
      });
      await relay.stop();
      expect(await redis.xlen(`${prefix}outbox:history`)).toBe(20_000);
      await insertRows(4 * batchSize);
      // The relay's transactions plan without bitmap or sequential scans.
      const settings = await runner.transaction(async (q) =>
        q.query(
          `SELECT current_setting('enable_bitmapscan') AS bitmap, current_setting('enable_seqscan') AS seq`,
        ),
      );
      expect((settings as { rows: unknown[] }).rows[0]).toEqual({ bitmap: 'off', seq: 'off' });
      // The relay's own prepared statement with the plan its connection holds, run and rolled back.
      const [statement] = await prepared();
      await single.query(
        'BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off',
      );
      const { rows: explained } = await single.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${statement.name}`,
      );
      await single.query('ROLLBACK');
      const plan = explained[0]['QUERY PLAN'][0].Plan;
      expect(plan['Actual Rows']).toBe(batchSize);
      const read = planNodes(plan)
        .filter((node) => node['Relation Name'] === 'outbox' || node['Index Name'] !== undefined)
        .map((node) => ({
          node: `${node['Node Type']} ${node['Index Name'] ?? node['Relation Name']}`,
          rows: node['Actual Rows'] * (node['Actual Loops'] ?? 1),
          removed: node['Rows Removed by Filter'] ?? 0,
        }));
      expect(read.length).toBeGreaterThan(0);
      // Each scan of the outbox reads at most the batch: the 22,000 rows of a sequential scan or
      // the entries of a bitmap index scan, or the 2,000-row backlog of a join to the unsent
      // index, would show here.
      expect(read.filter((scan) => scan.rows + scan.removed > batchSize)).toEqual([]);
    } finally {
      await relay.stop();
      await single.end();
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}
