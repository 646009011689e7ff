import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AuditEntry, AuditVerifyReply } from '@gad/contracts';
import { uuidv7 } from '@gad/contracts';
import {
  createTestDatabase,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import { Database } from '@gad/platform';
import { chainHash } from '../src/chain/chain-hash';
import { CheckpointSigner } from '../src/chain/checkpoint-signer';
import { RetentionRepository } from '../src/retention/retention.repository';
import { RetentionService } from '../src/retention/retention.service';
import { readWitness } from '../src/witness/witness-log';
import { WitnessService } from '../src/witness/witness.service';
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

/**
 * The attacks of issue #19 by a PostgreSQL superuser who bypasses the append-only triggers
 * (`session_replication_role = replica`), each detected against the witness (docs/adr/0022) and
 * located: the first entry in doubt and the range that may be affected.
 */
describe('audit witness against the database superuser (real PostgreSQL)', () => {
  let database: TestDatabase;
  let admin: Client;
  let parts: WorkerParts;
  let witnessDir: string;
  const signingKey = newSigningKey();

  /** Superuser tampering: the append-only triggers are bypassed as an attacking DBA would. */
  const asDba = async (statements: Array<[string, unknown[]]>): Promise<void> => {
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    for (const [sql, params] of statements) {
      await admin.query(sql, params);
    }
    await admin.query('COMMIT');
  };

  /** Checks the chain against the witness as `npm run audit:verify -- --witness` does. */
  const verifyWithWitness = async (agency: string): Promise<AuditVerifyReply> => {
    await parts.witness.flush();
    const witness = await readWitness(witnessDir, parts.signer);
    expect(witness.problems).toEqual([]);
    return parts.verifier.verify(agency, {}, witness.forAgency(agency));
  };

  const rows = async (
    agency: string,
  ): Promise<Array<{ seq: string; prev_hash: string; hash: string; entry: AuditEntry }>> =>
    (
      await admin.query<{ seq: string; prev_hash: string; hash: string; entry: AuditEntry }>(
        'SELECT seq, prev_hash, hash, entry FROM audit.entries WHERE agency_id = $1 ORDER BY seq',
        [agency],
      )
    ).rows;

  /** Appends `count` entries in one write transaction (one witnessed segment). */
  const write = async (agency: string, count: number): Promise<void> => {
    await parts.ingest.append(Array.from({ length: count }, () => makeEntry(agency)));
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    witnessDir = await mkdtemp(join(tmpdir(), 'gad-witness-'));
    parts = await createWorkerParts({
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix: uniqueRedisPrefix(),
      migrate: true,
      checkpointEvery: 5,
      witnessDir,
    });
  });

  afterAll(async () => {
    await parts.close();
    await admin.end();
    await database.drop();
    await rm(witnessDir, { recursive: true, force: true });
  });

  it('witnesses every write segment and checkpoint; an intact chain verifies against it', async () => {
    const agency = uniqueId('ag');
    await write(agency, 4);
    await write(agency, 4);
    await write(agency, 3);
    await parts.checkpoints.sealDirty();
    const report = await verifyWithWitness(agency);
    expect(report).toMatchObject({
      valid: true,
      entriesChecked: 11,
      checkpointsChecked: 2,
      lastCheckpointSeq: 11,
      witnessedThroughSeq: 11,
    });
    await parts.witness.flush();
    const witness = (await readWitness(witnessDir, parts.signer)).forAgency(agency);
    expect(witness.segments.map((segment) => `${segment.fromSeq}..${segment.toSeq}`)).toEqual([
      '1..4',
      '5..8',
      '9..11',
    ]);
    expect(witness.checkpoints.map((checkpoint) => checkpoint.seq)).toEqual([8, 11]);
  });

  it('detects the entries written after the last checkpoint being deleted, and the chain written again over them', async () => {
    const agency = uniqueId('ag');
    await write(agency, 5); // checkpoint at 5
    await write(agency, 3); // 6..8: after the last checkpoint
    await asDba([['DELETE FROM audit.entries WHERE agency_id = $1 AND seq > 5', [agency]]]);
    // The database alone cannot tell: nothing it holds names entries 6..8 any more.
    expect((await parts.verifier.verify(agency)).valid).toBe(true);
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 6,
      reason: 'missing_entry',
      inDoubt: { fromSeq: 6, toSeq: 8 },
    });

    // The worker then chains new entries onto the cut head: 6..7 again, a fork the witness shows.
    await write(agency, 2);
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 6,
      reason: 'witness_mismatch',
      inDoubt: { fromSeq: 6, toSeq: 8 },
    });
  });

  it('detects a forged entry appended at the head with a correct hash, even once the worker chained onto it and signed a checkpoint over it', async () => {
    const agency = uniqueId('ag');
    await write(agency, 5); // checkpoint at 5
    const [last] = (await rows(agency)).slice(-1);
    const forged = makeEntry(agency, { action: 'auth.login', outcome: 'success' });
    await asDba([
      [
        `INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry)
         VALUES ($1, 6, $2, $3, $4, $5::jsonb)`,
        [
          agency,
          forged.id,
          last?.hash,
          chainHash(last?.hash ?? '', forged),
          JSON.stringify(forged),
        ],
      ],
    ]);
    await write(agency, 4); // 7..10 on top of the forged 6; checkpoint at 10 covers it
    expect((await parts.verifier.verify(agency)).valid).toBe(true);
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 6,
      entryId: forged.id,
      reason: 'unwitnessed_entry',
      inDoubt: { fromSeq: 6, toSeq: 6 },
    });
  });

  it('detects checkpoint rows deleted together with the entries they covered', async () => {
    const agency = uniqueId('ag');
    await write(agency, 5);
    await write(agency, 5); // checkpoints at 5 and 10
    await asDba([
      ['DELETE FROM audit.entries WHERE agency_id = $1 AND seq > 5', [agency]],
      ['DELETE FROM audit.checkpoints WHERE agency_id = $1 AND seq > 5', [agency]],
    ]);
    expect((await parts.verifier.verify(agency)).valid).toBe(true);
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 6,
      reason: 'missing_entry',
      inDoubt: { fromSeq: 6, toSeq: 10 },
    });

    // The worker notices when it next seals: its last checkpoint (10) is gone from the chain.
    const before = parts.checkpoints.tamperDetected;
    await write(agency, 5);
    expect(parts.checkpoints.tamperDetected).toBe(before + 1);
  });

  it('detects history rewritten with recomputed hashes and its checkpoint deleted, naming the range in doubt', async () => {
    const agency = uniqueId('ag');
    await write(agency, 5);
    await write(agency, 5); // checkpoints at 5 and 10
    const chain = await rows(agency);
    // Rewrite entry 7 and re-chain 7..10, then drop the checkpoint that vouched for 10.
    let prev = chain[5]?.hash ?? '';
    const statements: Array<[string, unknown[]]> = [];
    for (const row of chain.slice(6)) {
      const entry = Number(row.seq) === 7 ? { ...row.entry, outcome: 'denied' } : row.entry;
      const hash = chainHash(prev, entry);
      statements.push([
        `UPDATE audit.entries SET prev_hash = $3, hash = $4, entry = $5::jsonb
         WHERE agency_id = $1 AND seq = $2`,
        [agency, row.seq, prev, hash, JSON.stringify(entry)],
      ]);
      prev = hash;
    }
    statements.push(['DELETE FROM audit.checkpoints WHERE agency_id = $1 AND seq = 10', [agency]]);
    await asDba(statements);
    expect((await parts.verifier.verify(agency)).valid).toBe(true);
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 10,
      reason: 'witness_mismatch',
      inDoubt: { fromSeq: 6, toSeq: 10 },
    });
  });

  it('detects tampered checkpoint links: a deleted checkpoint between two, and a rewritten link', async () => {
    const agency = uniqueId('ag');
    await write(agency, 5);
    await write(agency, 5);
    await write(agency, 5); // checkpoints at 5, 10, 15
    await asDba([['DELETE FROM audit.checkpoints WHERE agency_id = $1 AND seq = 10', [agency]]]);
    // Without the witness the link of the checkpoint at 15 (prevCheckpointSeq 10) is broken...
    expect((await parts.verifier.verify(agency)).firstBreak).toMatchObject({
      seq: 15,
      reason: 'checkpoint_link_broken',
      inDoubt: { fromSeq: 6, toSeq: 15 },
    });
    // ...and the witness names the checkpoint that went.
    expect((await verifyWithWitness(agency)).firstBreak).toMatchObject({
      seq: 10,
      reason: 'checkpoint_missing',
      inDoubt: { fromSeq: 6, toSeq: 10 },
    });

    const other = uniqueId('ag');
    await write(other, 5);
    await write(other, 5);
    await asDba([
      [
        `UPDATE audit.checkpoints SET prev_checkpoint_seq = 0, count = 10
         WHERE agency_id = $1 AND seq = 10`,
        [other],
      ],
    ]);
    expect((await parts.verifier.verify(other)).firstBreak).toMatchObject({
      seq: 10,
      reason: 'checkpoint_signature_invalid',
      inDoubt: { fromSeq: 6, toSeq: 10 },
    });
  });

  it('signs purge anchors: an old partition dropped with a forged unsigned anchor is detected', async () => {
    await admin.query('SELECT audit.ensure_partitions(26, 0)');
    const retention = new RetentionService(
      new RetentionRepository(new Database(parts.dataSource)),
      { retentionMonths: 12, partitionsAhead: 2, intervalMs: 60_000 },
      parts.signer,
      parts.witness,
    );
    const partition = (months: number): string =>
      `entries_p${monthsAgo(months).slice(0, 7).replace('-', '')}`;
    const age = async (agency: string, months: number): Promise<void> =>
      asDba([
        [
          'UPDATE audit.entries SET recorded_at = $2 WHERE agency_id = $1',
          [agency, monthsAgo(months)],
        ],
      ]);

    // Retention's own purge: a signed anchor, in the database and in the witness; the chain
    // continues after it even when every entry it had was purged.
    const kept = uniqueId('ag');
    await write(kept, 5);
    await age(kept, 25);
    expect((await retention.run()).purged).toContain(partition(25));
    await write(kept, 2);
    expect(await verifyWithWitness(kept)).toMatchObject({
      valid: true,
      anchoredAt: 'purge',
      firstSeq: 6,
      lastSeq: 7,
    });
    await parts.witness.flush();
    expect(
      (await readWitness(witnessDir, parts.signer)).forAgency(kept).purges.map((p) => p.throughSeq),
    ).toEqual([5]);

    // The attack: the DBA drops an old partition and writes the anchor retention would have.
    await admin.query('SELECT audit.ensure_partitions(26, 0)');
    const agency = uniqueId('ag');
    await write(agency, 5);
    await write(agency, 3); // checkpoint at 5; 6..8 stay
    await asDba([
      [
        'UPDATE audit.entries SET recorded_at = $2 WHERE agency_id = $1 AND seq <= 5',
        [agency, monthsAgo(24)],
      ],
    ]);
    const [fifth] = (await rows(agency)).slice(4, 5);
    await asDba([
      [
        `INSERT INTO audit.purges (agency_id, through_seq, through_hash, partition)
         VALUES ($1, 5, $2, $3)`,
        [agency, fifth?.hash, partition(24)],
      ],
      [`ALTER TABLE audit.entries DETACH PARTITION audit.${partition(24)}`, []],
      [`DROP TABLE audit.${partition(24)}`, []],
    ]);
    for (const report of [await parts.verifier.verify(agency), await verifyWithWitness(agency)]) {
      expect(report.firstBreak).toMatchObject({
        seq: 5,
        reason: 'purge_anchor_invalid',
        inDoubt: { fromSeq: 1, toSeq: 5 },
      });
    }
  });

  it('detects a witness line removed or written without the signing key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gad-witness-'));
    try {
      const witness = new WitnessService(parts.signer, { dir });
      const agency = uniqueId('ag');
      await witness.append(
        [1, 2, 3].map((seq) => ({
          kind: 'segment' as const,
          agencyId: agency,
          fromSeq: seq,
          toSeq: seq,
          prevHash: '0'.repeat(64),
          headHash: 'a'.repeat(64),
        })),
      );
      await witness.onModuleDestroy();
      expect((await readWitness(dir, parts.signer)).problems).toEqual([]);
      const [file] = await readdir(dir);
      const path = join(dir, file ?? '');
      // A write torn by a crash (no newline) is skipped, not taken for tampering.
      await appendFile(path, '{"at":"2026-');
      expect(await readWitness(dir, parts.signer)).toMatchObject({ lines: 3, problems: [] });
      const lines = (await readFile(path, 'utf8')).split('\n');
      await writeFile(path, [lines[0], lines[2], ''].join('\n'));
      expect((await readWitness(dir, parts.signer)).problems).toEqual([
        expect.stringContaining('line 2: does not follow line 1'),
      ]);
      // A line the DBA signs with a key of their own is not trusted.
      const stranger = new WitnessService(new CheckpointSigner(newSigningKey()), { dir });
      await stranger.append([
        {
          kind: 'segment',
          agencyId: agency,
          fromSeq: uuidv7().length,
          toSeq: 40,
          prevHash: '0'.repeat(64),
          headHash: 'b'.repeat(64),
        },
      ]);
      await stranger.onModuleDestroy();
      expect((await readWitness(dir, parts.signer)).problems).toContainEqual(
        expect.stringContaining('no valid signature by a trusted key'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
