import { Client } from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AuditRecorder, AUDIT_JOB_OPTIONS, auditQueuePrefix } from '@gad/audit';
import {
  AUDIT_ENTRIES_JOB,
  AUDIT_ENTRY_JOB,
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
import { Database } from '@gad/platform';
import { GENESIS_HASH, chainHash } from '../src/chain/chain-hash';
import { QueryRepository } from '../src/query/query.repository';
import { QueryService } from '../src/query/query.service';
import { AuditQueryException } from '../src/query/query.exception';
import {
  createWorkerParts,
  makeEntry,
  newSigningKey,
  type WorkerParts,
} from './support/audit-worker.harness';

describe('audit chain (real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let admin: Client;
  let parts: WorkerParts;
  const signingKey = newSigningKey();
  const keyPrefix = uniqueRedisPrefix();
  let queue: Queue<AuditEntry | AuditEntriesJob>;
  let queueRedis: Redis;

  const count = async (agencyId: string): Promise<number> => {
    const result = await admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM audit.entries WHERE agency_id = $1',
      [agencyId],
    );
    return Number(result.rows[0]?.n ?? 0);
  };

  /** Superuser tampering: the append-only trigger is bypassed as an attacking DBA would. */
  const asDba = async (sql: string, params: unknown[]): Promise<void> => {
    await admin.query('BEGIN');
    await admin.query(`SET LOCAL session_replication_role = replica`);
    await admin.query(sql, params);
    await admin.query('COMMIT');
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    parts = await createWorkerParts({
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix,
      migrate: true,
    });
    queueRedis = new Redis(testStack.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue<AuditEntry | AuditEntriesJob>(Queues.Audit, {
      connection: queueRedis,
      prefix: auditQueuePrefix(keyPrefix),
    });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    queueRedis.disconnect();
    await parts.close();
    await admin.end();
    await database.drop();
  });

  it('chains entries per agency and verifies them with signed checkpoints', async () => {
    const agency = uniqueId('ag');
    const other = uniqueId('ag');
    await parts.ingest.append([makeEntry(agency), makeEntry(other), makeEntry(agency)]);
    await parts.ingest.append(Array.from({ length: 9 }, () => makeEntry(agency)));

    const rows = await admin.query<{ seq: string; prev_hash: string; hash: string }>(
      'SELECT seq, prev_hash, hash FROM audit.entries WHERE agency_id = $1 ORDER BY seq',
      [agency],
    );
    expect(rows.rows.map((row) => Number(row.seq))).toEqual(
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
    expect(rows.rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows.rows[1]?.prev_hash).toBe(rows.rows[0]?.hash);

    const report = await parts.verifier.verify(agency);
    expect(report).toMatchObject({ valid: true, entriesChecked: 11, firstSeq: 1, lastSeq: 11 });
    expect(report.anchoredAt).toBe('genesis');
    expect(report.checkpointsChecked).toBe(1);
    expect(parts.publisher.published.filter((cp) => cp.agencyId === agency)).toHaveLength(1);
    expect(await parts.verifier.verify(other)).toMatchObject({ valid: true, entriesChecked: 1 });

    await parts.ingest.append([makeEntry(agency), makeEntry(agency)]);
    const sealed = await parts.checkpoints.sealDirty();
    expect(sealed.map((cp) => `${cp.agencyId}@${cp.seq}`).sort()).toEqual(
      [`${agency}@13`, `${other}@1`].sort(),
    );
    expect(await parts.verifier.verify(agency)).toMatchObject({
      valid: true,
      checkpointsChecked: 2,
      lastCheckpointSeq: 13,
    });
  });

  it('seals chains another (crashed) replica left without a checkpoint', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append([makeEntry(agency), makeEntry(agency)]);
    const fresh = await createWorkerParts({
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix,
    });
    try {
      expect(await fresh.checkpoints.adoptRecentChains(60_000)).toBeGreaterThanOrEqual(1);
      const sealed = await fresh.checkpoints.sealDirty();
      expect(sealed.map((cp) => `${cp.agencyId}@${cp.seq}`)).toContain(`${agency}@2`);
    } finally {
      await fresh.close();
    }
  });

  it('detects a row altered as superuser at exactly that entry', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 8 }, () => makeEntry(agency)));
    await asDba(
      `UPDATE audit.entries SET entry = jsonb_set(entry, '{outcome}', '"denied"')
       WHERE agency_id = $1 AND seq = 4`,
      [agency],
    );
    const report = await parts.verifier.verify(agency);
    expect(report.valid).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 4, reason: 'hash_mismatch' });
    expect(report.entriesChecked).toBe(3);
  });

  it('detects a row rewritten with a matching hash at the next link', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 6 }, () => makeEntry(agency)));
    const row = await admin.query<{ prev_hash: string; entry: AuditEntry }>(
      'SELECT prev_hash, entry FROM audit.entries WHERE agency_id = $1 AND seq = 2',
      [agency],
    );
    const forged = { ...row.rows[0]?.entry, outcome: 'denied' };
    await asDba(
      'UPDATE audit.entries SET entry = $2::jsonb, hash = $3 WHERE agency_id = $1 AND seq = 2',
      [agency, JSON.stringify(forged), chainHash(row.rows[0]?.prev_hash ?? '', forged)],
    );
    const report = await parts.verifier.verify(agency);
    expect(report.firstBreak).toMatchObject({ seq: 3, reason: 'prev_hash_mismatch' });
  });

  it('detects a deleted row, and a chain cut after its last checkpoint', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 7 }, () => makeEntry(agency)));
    await asDba('DELETE FROM audit.entries WHERE agency_id = $1 AND seq = 3', [agency]);
    const report = await parts.verifier.verify(agency);
    expect(report.valid).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 3, reason: 'missing_entry' });

    const cut = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 5 }, () => makeEntry(cut)));
    await asDba('DELETE FROM audit.entries WHERE agency_id = $1 AND seq >= 4', [cut]);
    expect((await parts.verifier.verify(cut)).firstBreak).toMatchObject({ seq: 4 });
  });

  it('detects a forged checkpoint signature', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 5 }, () => makeEntry(agency)));
    await asDba(`UPDATE audit.checkpoints SET signature = $2 WHERE agency_id = $1`, [
      agency,
      Buffer.alloc(64, 1).toString('base64'),
    ]);
    expect((await parts.verifier.verify(agency)).firstBreak).toMatchObject({
      seq: 5,
      reason: 'checkpoint_signature_invalid',
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE: the worker role lacks the privilege, the trigger stops everyone', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append([makeEntry(agency)]);
    const asWriter = async (sql: string): Promise<unknown> => {
      await admin.query('BEGIN');
      try {
        await admin.query('SET LOCAL ROLE gad_audit_writer');
        return await admin.query(sql, [agency]);
      } finally {
        await admin.query('ROLLBACK');
      }
    };
    await expect(
      asWriter(`UPDATE audit.entries SET hash = 'x' WHERE agency_id = $1`),
    ).rejects.toThrow(/permission denied/);
    await expect(asWriter(`DELETE FROM audit.entries WHERE agency_id = $1`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asWriter(`DELETE FROM audit.checkpoints WHERE agency_id = $1`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      admin.query(`UPDATE audit.entries SET hash = 'x' WHERE agency_id = $1`, [agency]),
    ).rejects.toThrow(/append-only/);
    await expect(
      admin.query(`DELETE FROM audit.entries WHERE agency_id = $1`, [agency]),
    ).rejects.toThrow(/append-only/);
    await expect(admin.query(`TRUNCATE audit.entries`)).rejects.toThrow(/append-only/);
    const partition = await admin.query<{ name: string }>(
      `SELECT tableoid::regclass::text AS name FROM audit.entries WHERE agency_id = $1`,
      [agency],
    );
    await expect(admin.query(`TRUNCATE ${partition.rows[0]?.name}`)).rejects.toThrow(/append-only/);
    expect(await count(agency)).toBe(1);
  });

  const addEntries = (entries: AuditEntry[]) =>
    queue.add(
      AUDIT_ENTRIES_JOB,
      { entries },
      { ...AUDIT_JOB_OPTIONS, jobId: auditJobId(entries), removeOnComplete: false },
    );

  it('stores each entry once when a regrouped retry overlaps a job already stored', async () => {
    const agency = uniqueId('ag');
    const [a, b, c] = [makeEntry(agency), makeEntry(agency), makeEntry(agency)];
    parts.processor.start();
    // A recorder's addBulk of [a, b] timed out after reaching Redis; c arrived before the retry.
    await addEntries([a, b]);
    await waitFor(async () => (await count(agency)) === 2, { description: 'a and b stored' });
    const retried = await addEntries([a, b, c]);
    expect(retried.id).toBe(`${a.id}_${c.id}`);
    await waitFor(async () => ((await retried.isCompleted()) ? true : undefined), {
      description: 'the retried job completed',
    });
    expect(await count(agency)).toBe(3);
    const rows = await admin.query<{ id: string }>(
      'SELECT id::text AS id FROM audit.entries WHERE agency_id = $1 ORDER BY seq',
      [agency],
    );
    expect(rows.rows.map((row) => row.id)).toEqual([a.id, b.id, c.id]);
    expect(await parts.verifier.verify(agency)).toMatchObject({ valid: true, entriesChecked: 3 });
  });

  it('stores the valid entries of a job that holds an invalid one, and fails the job naming it', async () => {
    const agency = uniqueId('ag');
    const good = [makeEntry(agency), makeEntry(agency)];
    const bad = { ...makeEntry(agency), outcome: 'maybe' } as unknown as AuditEntry;
    parts.processor.start();
    const job = await addEntries([good[0] as AuditEntry, bad, good[1] as AuditEntry]);
    await waitFor(async () => ((await job.isFailed()) ? true : undefined), {
      description: 'job failed',
    });
    const failed = await queue.getJob(job.id ?? '');
    expect(failed?.failedReason).toContain(`invalid audit entry ${bad.id}`);
    // Not retried: an invalid entry stays invalid. The job stays in the failed set as evidence.
    expect(failed?.attemptsMade).toBe(1);
    const rows = await admin.query<{ id: string }>(
      'SELECT id::text AS id FROM audit.entries WHERE agency_id = $1 ORDER BY seq',
      [agency],
    );
    expect(rows.rows.map((row) => row.id)).toEqual(good.map((entry) => entry.id));
    expect(await parts.verifier.verify(agency)).toMatchObject({ valid: true, entriesChecked: 2 });
  });

  it('stores an entry whose content holds NUL and lone surrogates, keeps the chain verifiable and answers the original', async () => {
    const agency = uniqueId('ag');
    const naughty = makeEntry(agency, {
      object: { type: 'incident', id: 'inc\u0000x' },
      reason: 'bad \ud800 input \u0000 here',
      changes: { before: { name: 'a\udfffb' }, after: { name: '\ue000 mark\u0000' } },
      details: { 'key\u0000': ['\ud83d\ude91 pair', '\udc00'] },
    });
    const plain = makeEntry(agency);
    parts.processor.start();
    const job = await addEntries([naughty, plain]);
    await waitFor(async () => ((await job.isCompleted()) ? true : undefined), {
      description: 'job completed',
    });
    expect(await count(agency)).toBe(2);
    expect(await parts.verifier.verify(agency)).toMatchObject({ valid: true, entriesChecked: 2 });

    const recorder = new AuditRecorder({
      service: 'audit-it',
      redisUrl: testStack.redisUrl,
      keyPrefix,
    });
    try {
      const sut = new QueryService(
        new QueryRepository(new Database(parts.dataSource)),
        parts.verifier,
        recorder,
        { dir: undefined },
      );
      const requestedBy = { actor: { kind: 'user' as const, id: 'auditor-2', roles: ['auditor'] } };
      const answer = await sut.query({ agencyId: agency, requestedBy, limit: 10 });
      const found = answer.items.map((item) => item.entry).find((entry) => entry.id === naughty.id);
      expect(found).toEqual(naughty);
    } finally {
      await recorder.close();
    }
  });

  it('refuses a job whose id does not name its entries, storing nothing', async () => {
    const agency = uniqueId('ag');
    const entries = [makeEntry(agency), makeEntry(agency)];
    parts.processor.start();
    const job = await queue.add(
      AUDIT_ENTRIES_JOB,
      { entries },
      { ...AUDIT_JOB_OPTIONS, jobId: entries[0]?.id, removeOnComplete: false },
    );
    await waitFor(async () => ((await job.isFailed()) ? true : undefined), {
      description: 'job failed',
    });
    expect((await queue.getJob(job.id ?? ''))?.failedReason).toMatch(/does not name its entries/);
    expect(await count(agency)).toBe(0);
  });

  it('stores a one-entry job of an older recorder (audit.entry) delivered twice once', async () => {
    const agency = uniqueId('ag');
    const entry = makeEntry(agency);
    parts.processor.start();
    const add = () =>
      queue.add(AUDIT_ENTRY_JOB, entry, {
        ...AUDIT_JOB_OPTIONS,
        jobId: entry.id,
        removeOnComplete: true,
      });
    await add();
    await waitFor(async () => (await count(agency)) === 1, {
      description: 'first delivery stored',
    });
    await waitFor(async () => (await queue.getJob(entry.id)) === undefined, {
      description: 'job removed on completion',
    });
    await add();
    await waitFor(
      async () => (await queue.getJobCounts('completed', 'active', 'wait')).wait === 0,
      {
        description: 'second delivery consumed',
      },
    );
    await waitFor(async () => (await queue.getJob(entry.id)) === undefined, {
      description: 'second delivery completed',
    });
    await parts.ingest.append([entry, entry]);
    expect(await count(agency)).toBe(1);
    expect(await parts.verifier.verify(agency)).toMatchObject({ valid: true, entriesChecked: 1 });
  });

  it('records through the queue end to end, and answers audited queries with cursor pagination', async () => {
    const agency = uniqueId('ag');
    const recorder = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: testStack.redisUrl,
      keyPrefix,
    });
    try {
      parts.processor.start();
      for (let i = 0; i < 12; i += 1) {
        recorder.record({
          agencyId: agency,
          actor: { kind: 'user', id: i % 2 === 0 ? 'alice' : 'bob', roles: ['dispatcher'] },
          action: i % 3 === 0 ? 'auth.login_failed' : 'incident.update',
          object: { type: 'incident', id: `inc-${i}` },
          outcome: i % 3 === 0 ? 'failed' : 'success',
          changes: { before: { password: 'hunter2', status: 'new' }, after: { status: 'closed' } },
        });
      }
      await waitFor(async () => (await count(agency)) === 12, { description: '12 entries stored' });
      const stored = await admin.query<{ entry: AuditEntry }>(
        'SELECT entry FROM audit.entries WHERE agency_id = $1 AND seq = 1',
        [agency],
      );
      expect(stored.rows[0]?.entry.changes?.before).toEqual({
        password: '[REDACTED]',
        status: 'new',
      });

      const sut = new QueryService(
        new QueryRepository(new Database(parts.dataSource)),
        parts.verifier,
        recorder,
        { dir: undefined },
      );
      const requestedBy = { actor: { kind: 'user' as const, id: 'auditor-1', roles: ['auditor'] } };
      const first = await sut.query({ agencyId: agency, requestedBy, actorId: 'alice', limit: 4 });
      const alice = (
        await admin.query<{ seq: string }>(
          `SELECT seq FROM audit.entries WHERE agency_id = $1 AND actor_id = 'alice' ORDER BY seq DESC`,
          [agency],
        )
      ).rows.map((row) => Number(row.seq));
      expect(alice).toHaveLength(6);
      expect(first.items.map((item) => item.seq)).toEqual(alice.slice(0, 4));
      expect(first.items.every((item) => item.entry.actor.id === 'alice')).toBe(true);
      expect(first.nextCursor).toBeDefined();
      const second = await sut.query({
        agencyId: agency,
        requestedBy,
        actorId: 'alice',
        limit: 4,
        cursor: first.nextCursor,
      });
      expect(second.items.map((item) => item.seq)).toEqual(alice.slice(4));
      expect(second.nextCursor).toBeUndefined();
      const failed = await sut.query({
        agencyId: agency,
        requestedBy,
        outcome: 'failed',
        limit: 100,
      });
      expect(failed.items).toHaveLength(4);
      expect(failed.items.every((item) => item.entry.action === 'auth.login_failed')).toBe(true);
      await expect(
        sut.query({ agencyId: agency, requestedBy, limit: 10, cursor: 'bm9wZQ' }),
      ).rejects.toBeInstanceOf(AuditQueryException);

      const verified = await sut.verify({ agencyId: agency, requestedBy });
      expect(verified.valid).toBe(true);
      // The queries and the verification are audited themselves.
      await waitFor(
        async () => {
          const audited = await sut.query({
            agencyId: agency,
            requestedBy,
            actorId: 'auditor-1',
            limit: 100,
          });
          return audited.items.length >= 4 ? audited : undefined;
        },
        { description: 'audit.query entries stored' },
      );
      const own = await admin.query<{ action: string }>(
        `SELECT action FROM audit.entries WHERE agency_id = $1 AND actor_id = 'auditor-1'`,
        [agency],
      );
      expect(own.rows.map((row) => row.action)).toEqual(
        expect.arrayContaining(['audit.query', 'audit.verify']),
      );
    } finally {
      await recorder.close();
    }
  });
});
