import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createTestDatabase,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import { chainHash } from '../src/chain/chain-hash';
import {
  createWorkerParts,
  makeEntry,
  newSigningKey,
  type WorkerParts,
} from './support/audit-worker.harness';

const ROOT = join(__dirname, '..', '..', '..');

interface CliResult {
  code: number;
  stdout: string;
}

/**
 * Runs the built CLI exactly as `npm run audit:verify -- <args>` does (see the app README); `npm test`
 * builds before the integration tests (`node tools/scripts/build.mjs` when run alone).
 */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '-r',
        './tools/scripts/register-paths.js',
        'dist/apps/audit-log-worker/src/verify/audit-verify.cli.js',
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 2) : 0, stdout }),
    );
  });
}

describe('audit:verify CLI (real PostgreSQL)', () => {
  // Each case starts the CLI as a process several times (Node, then the built app's modules).
  jest.setTimeout(180_000);
  let database: TestDatabase;
  let parts: WorkerParts;
  const signingKey = newSigningKey();

  beforeAll(async () => {
    database = await createTestDatabase();
    parts = await createWorkerParts({
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix: uniqueRedisPrefix(),
      migrate: true,
    });
  });

  afterAll(async () => {
    await parts.close();
    await database.drop();
  });

  it('reports an intact chain, then names the first altered entry', async () => {
    const agency = uniqueId('ag');
    await parts.ingest.append(Array.from({ length: 12 }, () => makeEntry(agency)));
    const env = { DATABASE_URL: database.url, AUDIT_SIGNING_KEY: signingKey };

    const intact = await runCli(['--agency', agency], env);
    expect(intact).toMatchObject({ code: 0 });
    expect(intact.stdout).toContain(`OK agency ${agency}: 12 entries`);

    const ranged = await runCli(['--agency', agency, '--from', '5', '--to', '9', '--json'], env);
    expect(JSON.parse(ranged.stdout)).toMatchObject({
      valid: true,
      firstSeq: 5,
      lastSeq: 9,
      anchoredAt: 'range',
    });

    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('SET LOCAL session_replication_role = replica');
      await admin.query(
        `UPDATE audit.entries SET entry = jsonb_set(entry, '{action}', '"auth.logout"')
         WHERE agency_id = $1 AND seq = 7`,
        [agency],
      );
      await admin.query('COMMIT');
    } finally {
      await admin.end();
    }
    const broken = await runCli(['--agency', agency], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('first broken entry seq 7');
    expect(broken.stdout).toContain('hash_mismatch');

    // A key the chain was not signed with does not vouch for its checkpoints.
    const otherKey = await runCli(['--agency', agency, '--from', '8'], {
      ...env,
      AUDIT_SIGNING_KEY: newSigningKey(),
    });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stdout).toContain('checkpoint_signature_invalid');
  });

  it('checks the chain against the witness with --witness and names the entries in doubt', async () => {
    const witnessDir = await mkdtemp(join(tmpdir(), 'gad-witness-cli-'));
    const witnessed = await createWorkerParts({
      databaseUrl: database.url,
      signingKey,
      redisUrl: testStack.redisUrl,
      keyPrefix: uniqueRedisPrefix(),
      checkpointEvery: 5,
      witnessDir,
    });
    const env = { DATABASE_URL: database.url, AUDIT_SIGNING_KEY: signingKey };
    try {
      const agency = uniqueId('ag');
      await witnessed.ingest.append(Array.from({ length: 5 }, () => makeEntry(agency)));
      await witnessed.witness.flush();
      const intact = await runCli(['--agency', agency, '--witness', witnessDir], env);
      expect(intact).toMatchObject({ code: 0 });
      expect(intact.stdout).toContain('witness (1 files, 2 lines) vouches through 5');

      // A DBA appends a forged entry with a correct hash at the head; the worker chains onto it.
      const admin = new Client({ connectionString: database.url });
      await admin.connect();
      try {
        const head = await admin.query<{ hash: string }>(
          'SELECT hash FROM audit.entries WHERE agency_id = $1 AND seq = 5',
          [agency],
        );
        const forged = makeEntry(agency);
        await admin.query(
          `INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry)
           VALUES ($1, 6, $2, $3, $4, $5::jsonb)`,
          [
            agency,
            forged.id,
            head.rows[0]?.hash,
            chainHash(head.rows[0]?.hash ?? '', forged),
            JSON.stringify(forged),
          ],
        );
      } finally {
        await admin.end();
      }
      await witnessed.ingest.append(Array.from({ length: 3 }, () => makeEntry(agency)));
      await witnessed.witness.flush();

      expect(await runCli(['--agency', agency], env)).toMatchObject({ code: 0 });
      const broken = await runCli(['--agency', agency, '--witness', witnessDir], env);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain('first broken entry seq 6');
      expect(broken.stdout).toContain('unwitnessed_entry');
      expect(broken.stdout).toContain('entries in doubt 6..6');
    } finally {
      await witnessed.close();
      await rm(witnessDir, { recursive: true, force: true });
    }
  });
});
