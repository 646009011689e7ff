import { Client } from 'pg';
import { AuditRecorder } from '@gad/audit';
import {
  createTestDatabase,
  startRedisServer,
  uniqueId,
  waitFor,
  type RedisServerHandle,
  type TestDatabase,
} from '@gad/testing';
import { createWorkerParts, newSigningKey, type WorkerParts } from './support/audit-worker.harness';

describe('recording through a Redis outage (private redis-server, real PostgreSQL)', () => {
  let database: TestDatabase;
  let redis: RedisServerHandle;
  let parts: WorkerParts;
  let recorder: AuditRecorder;
  let admin: Client;
  const keyPrefix = `test:${uniqueId()}:`;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await startRedisServer();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    parts = await createWorkerParts({
      databaseUrl: database.url,
      signingKey: newSigningKey(),
      redisUrl: redis.url,
      keyPrefix,
      migrate: true,
    });
    recorder = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: redis.url,
      keyPrefix,
      retryDelayMs: 50,
    });
  });

  afterAll(async () => {
    await recorder.close(1_000);
    await parts.close();
    await redis.dispose();
    await admin.end();
    await database.drop();
  });

  const stored = async (agencyId: string): Promise<number> =>
    Number(
      (
        await admin.query<{ n: string }>(
          'SELECT count(*) AS n FROM audit.entries WHERE agency_id = $1',
          [agencyId],
        )
      ).rows[0]?.n,
    );

  it('stores every entry recorded while Redis was down once it is back, in one intact chain', async () => {
    const agencyId = uniqueId('ag');
    parts.processor.start();
    const record = (i: number) =>
      recorder.record({
        agencyId,
        actor: { kind: 'user', id: `u${i}` },
        action: 'command.delivery',
        object: { type: 'command', id: `cmd-${i}` },
      });
    record(0);
    await waitFor(async () => (await stored(agencyId)) === 1, {
      description: 'first entry stored',
    });

    await redis.stop({ hard: true });
    for (let i = 1; i <= 20; i += 1) {
      record(i);
    }
    expect(recorder.pending).toBe(20);
    expect(await stored(agencyId)).toBe(1);

    await redis.start();
    await waitFor(async () => (await stored(agencyId)) === 21, {
      description: 'entries recorded during the outage stored',
      timeoutMs: 25_000,
    });
    expect(recorder.overflowCount).toBe(0);
    expect(await parts.verifier.verify(agencyId)).toMatchObject({
      valid: true,
      entriesChecked: 21,
    });
  });
});
