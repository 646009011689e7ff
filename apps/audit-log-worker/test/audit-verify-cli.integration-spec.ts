import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createTestDatabase,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
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
      ['-r', './tools/scripts/register-paths.js', 'dist/apps/audit-log-worker/src/verify/audit-verify.cli.js', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 2) : 0, stdout }),
    );
  });
}

describe('audit:verify CLI (real PostgreSQL)', () => {
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
});
