import {
  OutboxRelay,
  OutboxWriter,
  UnitOfWork,
  outboxTableDdl,
  pgPoolTransactionRunner,
} from '@gad/bus';
import { Database } from '@gad/platform';
import {
  createTestDatabase,
  isolatedRedisPrefix,
  queuedAuditEntries,
  testStack,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  AUDIT_OUTBOX_STREAM,
  AuditRecorder,
  auditQueuePrefix,
  type AuditRecordInput,
} from '@gad/audit';

const schema = 'audited';
const redisPrefix = isolatedRedisPrefix();

const entry = (id: string, extra: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
  agencyId: 'ag-1',
  actor: { kind: 'user', id: 'u-1', roles: ['admin'] },
  action: 'user.roles.update',
  object: { type: 'user', id },
  changes: { before: { roles: ['dispatcher'] }, after: { roles: ['dispatcher', 'admin'] } },
  ...extra,
});

describe('AuditRecorder with the service outbox (real PostgreSQL, Redis and BullMQ)', () => {
  let testDb: TestDatabase;
  let dataSource: DataSource;
  let database: Database;
  let relay: OutboxRelay;
  let recorder: AuditRecorder;
  let uow: UnitOfWork;
  let inspector: Redis;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    dataSource = new DataSource({ type: 'postgres', url: testDb.url, poolSize: 4 });
    await dataSource.initialize();
    database = new Database(dataSource);
    await database.pool.query(outboxTableDdl(schema));
    await database.pool.query(`CREATE TABLE ${schema}.users (id text PRIMARY KEY, roles text[])`);
    const writer = new OutboxWriter(schema);
    relay = new OutboxRelay({
      runner: pgPoolTransactionRunner(database.pool),
      schema,
      redis: testStack.redisUrl,
      prefix: redisPrefix.prefix,
      pollIntervalMs: 50,
    });
    recorder = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: testStack.redisUrl,
      keyPrefix: redisPrefix.prefix,
      outbox: { database, writer, relay },
    });
    uow = new UnitOfWork(database, writer, relay);
    inspector = new Redis(testStack.redisUrl, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await relay.stop();
    await recorder.close();
    inspector.disconnect();
    await dataSource.destroy();
    await testDb.drop();
    await redisPrefix.cleanUp();
  });

  const outboxRows = async (): Promise<Array<{ envelope: { id: string } }>> =>
    (
      await database.pool.query<{ envelope: { id: string } }>(
        `SELECT envelope FROM ${schema}.outbox WHERE stream = $1 ORDER BY id`,
        [AUDIT_OUTBOX_STREAM],
      )
    ).rows;
  const queued = () => queuedAuditEntries(inspector, auditQueuePrefix(redisPrefix.prefix));

  it('writes the entry in the transaction of its change: committed together, rolled back together', async () => {
    let committedId = '';
    await uow.run(async (tx) => {
      await tx.client.query(`INSERT INTO ${schema}.users VALUES ('u-9', '{dispatcher,admin}')`);
      committedId = recorder.record(entry('u-9'));
    });
    let rolledBackId = '';
    await expect(
      uow.run(async (tx) => {
        await tx.client.query(`INSERT INTO ${schema}.users VALUES ('u-10', '{admin}')`);
        rolledBackId = recorder.record(entry('u-10'));
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');

    // Durable before anything reached Redis: the row is in the outbox at commit.
    expect((await outboxRows()).map((row) => row.envelope.id)).toEqual([committedId]);
    const { rows: users } = await database.pool.query(`SELECT id FROM ${schema}.users`);
    expect(users).toEqual([{ id: 'u-9' }]);

    relay.start();
    await waitFor(async () => (await queued()).some((e) => e.id === committedId), {
      description: 'the committed entry on the audit queue',
    });
    const entries = await queued();
    expect(entries.map((e) => e.id)).not.toContain(rolledBackId);
    expect(entries.find((e) => e.id === committedId)).toMatchObject({
      service: 'api-gateway',
      action: 'user.roles.update',
      changes: { before: { roles: ['dispatcher'] }, after: { roles: ['dispatcher', 'admin'] } },
    });
  });

  it('keeps characters jsonb cannot hold (NUL, lone surrogates) instead of failing the change', async () => {
    const reason = 'bad \ud800 input \u0000 here';
    const details = { 'key\u0000': ['\ud83d\ude91 pair', '\udc00', '\ue000 mark'] };
    let id = '';
    await uow.run(async (tx) => {
      await tx.client.query(`INSERT INTO ${schema}.users VALUES ('u-\u0001', '{}')`);
      id = recorder.record(entry('inc\u0000x', { reason, details }));
    });
    await waitFor(async () => (await queued()).some((e) => e.id === id), {
      description: 'the entry on the audit queue',
    });
    const stored = (await queued()).find((e) => e.id === id);
    expect(stored?.reason).toBe(reason);
    expect(stored?.details).toEqual(details);
    expect(stored?.object).toEqual({ type: 'user', id: 'inc\u0000x' });
  });

  // Entries without such characters skip the escaping walk; each trigger alone must still take it,
  // and text that only looks like an escape must come back as it was.
  it.each([
    ['only a NUL', 'a\u0000b'],
    ['only a lone high surrogate', 'a\ud800b'],
    ['only a lone low surrogate', 'a\udfffb'],
    ['only the escape mark', '\ue000 leading mark'],
    ['a backslash and u0000 as text', 'C:\\u0000\\ud800 \\ue000'],
    ['a surrogate pair and accents', '\ud83d\ude91 ambulancia, calle Núñez'],
    ['nothing special', 'plain reason'],
  ])('the queued entry equals what was recorded: %s', async (_case, reason) => {
    let id = '';
    await uow.run(async (tx) => {
      await tx.client.query(`INSERT INTO ${schema}.users VALUES ($1, '{}')`, [
        `u-${reason.length}-${Date.now()}`,
      ]);
      id = recorder.record(entry('u-x', { reason, details: { [reason]: [reason] } }));
    });
    await waitFor(async () => (await queued()).some((e) => e.id === id), {
      description: 'the entry on the audit queue',
    });
    const stored = (await queued()).find((e) => e.id === id);
    expect(stored?.reason).toBe(reason);
    expect(stored?.details).toEqual({ [reason]: [reason] });
  });

  it('write() outside a transaction has its row in the outbox before it resolves', async () => {
    const id = await recorder.write(entry('u-11', { action: 'track.read', changes: undefined }));
    expect((await outboxRows()).map((row) => row.envelope.id)).toContain(id);
    await waitFor(async () => (await queued()).some((e) => e.id === id), {
      description: 'the entry on the audit queue',
    });
  });
});
