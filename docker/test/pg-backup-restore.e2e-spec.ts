// The restore runbook as far as this machine allows (docs/operations/runbooks.md, "Restore
// PostgreSQL from backup"): a private PostgreSQL 15 on free ports (the shared one is never
// touched), migrated the way a deployment is (role bootstrap, `db:migrate up` as gad_migrator),
// audit evidence written by the worker's runtime role; then a physical base backup with its WAL
// (`pg_basebackup -X stream`, what Barman Cloud takes too) restored into a new data directory and
// started: the roles, the schema versions and the evidence are all there. CloudNativePG, the
// object store and WAL archiving themselves cannot run here. Needs `npm run build` and the
// PostgreSQL server binaries (skipped with a message otherwise).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@gad/testing';
import { Client } from 'pg';
import { repoRoot } from './deploy-test-helpers';

jest.setTimeout(240_000);

const pgBin = '/usr/lib/postgresql/15/bin';
const available = existsSync(join(pgBin, 'initdb')) && existsSync(join(pgBin, 'pg_basebackup'));
if (!available) {
  console.warn(`backup/restore test SKIPPED: no PostgreSQL 15 server binaries in ${pgBin}`);
}
/** initdb refuses to run as root: run the server tools as `postgres` then. */
const asRoot = process.getuid?.() === 0;

function pg(tool: string, args: string[]): string {
  const command = asRoot ? 'runuser' : join(pgBin, tool);
  const fullArgs = asRoot ? ['-u', 'postgres', '--', join(pgBin, tool), ...args] : args;
  return execFileSync(command, fullArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function migrate(
  command: string,
  databaseUrl: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['tools/scripts/db-migrate.mjs', command], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function query<R extends Record<string, unknown>>(url: string, sql: string): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

(available ? describe : describe.skip)('PostgreSQL base backup and restore', () => {
  let dir: string;
  const started: string[] = [];

  function startServer(dataDir: string, port: number): void {
    pg('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dir, `server-${port}.log`),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      '-w',
      'start',
    ]);
    started.push(dataDir);
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gad-pg-restore-'));
    chmodSync(dir, 0o777);
  });

  afterAll(() => {
    for (const dataDir of started) {
      try {
        pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
      } catch {
        // not running
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores the roles, the schema versions and the audit evidence from a base backup', async () => {
    const primary = join(dir, 'primary');
    const restored = join(dir, 'restored');
    pg('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
    const primaryPort = await freePort();
    startServer(primary, primaryPort);
    const admin = `postgres://postgres@127.0.0.1:${primaryPort}`;
    await query(`${admin}/postgres`, 'CREATE DATABASE gad');
    await query(`${admin}/gad`, 'CREATE EXTENSION postgis');

    expect(await migrate('roles', `${admin}/gad`)).toEqual({
      code: 0,
      output: expect.stringContaining('roles ready'),
    });
    const up = await migrate('up', `postgres://gad_migrator@127.0.0.1:${primaryPort}/gad`);
    expect(up.code).toBe(0);
    await query(
      `postgres://gad_audit_log_worker@127.0.0.1:${primaryPort}/gad`,
      `INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry)
       VALUES ('agency-a', 1, gen_random_uuid(), 'genesis', 'h1',
               '{"occurredAt":"2026-12-06T10:00:00.000Z","action":"incident.created"}')`,
    );

    pg('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      restored,
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    // The original goes away: the restore stands on its own.
    pg('pg_ctl', ['-D', primary, '-m', 'fast', 'stop']);
    const restoredPort = await freePort();
    startServer(restored, restoredPort);

    const restoredUrl = (role: string) => `postgres://${role}@127.0.0.1:${restoredPort}/gad`;
    expect(
      await query<{ hash: string }>(
        restoredUrl('gad_audit_log_worker'),
        `SELECT hash FROM audit.entries WHERE agency_id = 'agency-a'`,
      ),
    ).toEqual([{ hash: 'h1' }]);
    const status = await migrate('status', restoredUrl('gad_migrator'));
    expect(status.code).toBe(0);
    expect(status.output.match(/pending: none, unknown: none/g)).toHaveLength(4);
    // The runtime role is still refused what it was refused before.
    await expect(
      query(restoredUrl('gad_audit_log_worker'), 'DELETE FROM audit.entries'),
    ).rejects.toThrow('permission denied for table entries');
  });
});
