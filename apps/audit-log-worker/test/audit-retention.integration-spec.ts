import { Client } from 'pg';
import {
  createTestDatabase,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import { Database } from '@gad/platform';
import { RetentionRepository } from '../src/retention/retention.repository';
import { RetentionService, retentionCutoff } from '../src/retention/retention.service';
import {
  createWorkerParts,
  makeEntry,
  newSigningKey,
  type WorkerParts,
} from './support/audit-worker.harness';

const monthsAgo = (months: number): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 15)).toISOString();
};

describe('audit retention (real PostgreSQL)', () => {
  let database: TestDatabase;
  let admin: Client;
  let parts: WorkerParts;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    parts = await createWorkerParts({
      databaseUrl: database.url,
      signingKey: newSigningKey(),
      redisUrl: testStack.redisUrl,
      keyPrefix: uniqueRedisPrefix(),
      migrate: true,
      checkpointEvery: 5,
    });
  });

  afterAll(async () => {
    await parts.close();
    await admin.end();
    await database.drop();
  });

  it('computes the first kept month', () => {
    expect(retentionCutoff(new Date('2026-11-22T10:00:00Z'), 12)).toBe('202511');
    expect(retentionCutoff(new Date('2026-01-05T00:00:00Z'), 13)).toBe('202412');
  });

  it('purges only whole expired partitions a checkpoint covers, and verification resumes after the cut', async () => {
    const agency = uniqueId('ag');
    await admin.query('SELECT audit.ensure_partitions(26, 0)');
    await parts.ingest.append(Array.from({ length: 6 }, () => makeEntry(agency)));
    await parts.ingest.append(Array.from({ length: 3 }, () => makeEntry(agency)));
    // Age the entries as if recorded 24 and 23 months ago (the DBA moves them between partitions).
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(
      `UPDATE audit.entries SET recorded_at = $2 WHERE agency_id = $1 AND seq <= 6`,
      [agency, monthsAgo(24)],
    );
    await admin.query(
      `UPDATE audit.entries SET recorded_at = $2 WHERE agency_id = $1 AND seq > 6`,
      [agency, monthsAgo(23)],
    );
    await admin.query('COMMIT');

    const sut = new RetentionService(
      new RetentionRepository(new Database(parts.dataSource)),
      { retentionMonths: 12, partitionsAhead: 2, intervalMs: 60_000 },
      parts.signer,
      parts.witness,
    );
    const run = await sut.run();
    const partition = (months: number) =>
      `entries_p${monthsAgo(months).slice(0, 7).replace('-', '')}`;
    // The older partition is covered by the checkpoint at 6; the newer one (7..9) is not yet.
    expect(run.purged).toContain(partition(24));
    expect(run.kept).toEqual([partition(23)]);
    const remaining = await admin.query<{ seq: string }>(
      'SELECT seq FROM audit.entries WHERE agency_id = $1 ORDER BY seq',
      [agency],
    );
    expect(remaining.rows.map((row) => Number(row.seq))).toEqual([7, 8, 9]);

    const report = await parts.verifier.verify(agency);
    expect(report).toMatchObject({ valid: true, anchoredAt: 'purge', firstSeq: 7, lastSeq: 9 });

    // Once a checkpoint covers the rest, it goes too.
    await parts.checkpoints.sealDirty();
    expect((await sut.run()).purged).toEqual([partition(23)]);
  });
});
