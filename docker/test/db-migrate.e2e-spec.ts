// `npm run db:migrate` (tools/scripts/db-migrate.mjs) on the built migrations: two runs at once on a
// fresh database both succeed, every migration file of every service is applied exactly once, and a
// third run finds nothing to do. Needs `npm run build` (npm test builds before the e2e kind).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestDatabase,
  freePort,
  isolatedRedisPrefix,
  testStack,
  type TestDatabase,
} from '@gad/testing';
import { Client } from 'pg';
import { repoRoot } from './deploy-test-helpers';

jest.setTimeout(120_000);

/** Schema of each app with migrations, and how many built migration files it has. */
const SCHEMAS: Record<string, string> = {
  'api-gateway': 'dispatch',
  'geo-service': 'geo',
  'audit-log-worker': 'audit',
  'notification-service': 'notify',
};

function builtMigrationFiles(app: string): number {
  const dir = join(repoRoot, 'dist', 'apps', app, 'src', 'database', 'migrations');
  return readdirSync(dir).filter((file) => file.endsWith('.js')).length;
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

describe('npm run db:migrate', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('refuses to guess the database in production', async () => {
    const child = spawn(process.execPath, ['tools/scripts/db-migrate.mjs', 'status'], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: expect.stringContaining('DATABASE_URL: is required in production'),
    });
  });

  it('a service in production refuses the database before the step ran, naming what is pending', async () => {
    const redisPrefix = isolatedRedisPrefix();
    const { serviceCommand } = require(join(repoRoot, 'tools', 'scripts', 'services.cjs')) as {
      serviceCommand(app: string): { args: string[] };
    };
    const child = spawn(process.execPath, serviceCommand('notification-service').args, {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DATABASE_URL: database.url,
        REDIS_URL: testStack.redisUrl,
        REDIS_KEY_PREFIX: redisPrefix.prefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    await redisPrefix.cleanUp();
    expect(code).not.toBe(0);
    expect(output).toMatch(
      /SchemaVersionError: schema "notify" is not the version this build knows \(pending migrations: CreateNotifySchema1732400000000/,
    );
  });

  it('runs twice at once without harm: each migration applied once, then nothing pending', async () => {
    const runs = await Promise.all([migrate('up', database.url), migrate('up', database.url)]);
    expect(runs.map((run) => run.code)).toEqual([0, 0]);

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const [app, schema] of Object.entries(SCHEMAS)) {
        const { rows } = await client.query<{ total: string; distinct_names: string }>(
          `SELECT count(*) AS total, count(DISTINCT name) AS distinct_names FROM "${schema}"."${schema}_migrations"`,
        );
        expect({ schema, ...rows[0] }).toEqual({
          schema,
          total: String(builtMigrationFiles(app)),
          distinct_names: String(builtMigrationFiles(app)),
        });
      }
    } finally {
      await client.end();
    }

    // Whatever one run applied, the other found done; a third run has nothing to do.
    const applied = runs.flatMap((run) => run.output.match(/applied [A-Z]\w+/g) ?? []);
    expect(applied.length).toBe(Object.keys(SCHEMAS).length);
    const again = await migrate('up', database.url);
    expect(again.code).toBe(0);
    expect(again.output.match(/up to date/g)).toHaveLength(Object.keys(SCHEMAS).length);
    const status = await migrate('status', database.url);
    expect(status.output.match(/pending: none, unknown: none/g)).toHaveLength(
      Object.keys(SCHEMAS).length,
    );
  });
});
