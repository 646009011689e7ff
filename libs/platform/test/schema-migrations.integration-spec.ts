import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@gad/testing';
import {
  createDataSource,
  initializeDataSource,
  runPendingMigrations,
  schemaMigrationStatus,
  SchemaVersionError,
} from '../src';

// Counts its runs in a table outside the schema, so a second application would show.
class CreateThings1700000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE things (id serial PRIMARY KEY)');
    await queryRunner.query(`INSERT INTO public.migration_runs VALUES ('things')`);
    // Long enough that a concurrent run would overlap it without the lock.
    await queryRunner.query('SELECT pg_sleep(0.3)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE things');
  }
}

class AddThingName1700000000002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE things ADD COLUMN name text');
    await queryRunner.query(`INSERT INTO public.migration_runs VALUES ('name')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE things DROP COLUMN name');
  }
}

describe('schema migrations (advisory lock, boot check)', () => {
  let database: TestDatabase;
  const open: DataSource[] = [];

  const dataSource = (migrations: Array<new () => MigrationInterface>): DataSource => {
    const created = createDataSource({
      url: database.url,
      schema: 'fixture_m',
      migrations,
      poolSize: 1,
      applicationName: 'schema-migrations-it',
    });
    open.push(created);
    return created;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE public.migration_runs (name text NOT NULL)');
    await client.end();
  });

  afterAll(async () => {
    await Promise.all(open.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
    await database?.drop();
  });

  it('two runs at once both succeed and apply each migration once', async () => {
    const both = [CreateThings1700000000001, AddThingName1700000000002];
    const [first, second] = [dataSource(both), dataSource(both)];
    await Promise.all([first.initialize(), second.initialize()]);
    const applied = await Promise.all([runPendingMigrations(first), runPendingMigrations(second)]);
    expect(applied.flat().sort()).toEqual([
      'AddThingName1700000000002',
      'CreateThings1700000000001',
    ]);
    const runs = (await first.query(
      'SELECT name FROM public.migration_runs ORDER BY name',
    )) as Array<{
      name: string;
    }>;
    expect(runs.map((row) => row.name)).toEqual(['name', 'things']);
    expect(await schemaMigrationStatus(first)).toEqual({
      schema: 'fixture_m',
      applied: ['CreateThings1700000000001', 'AddThingName1700000000002'],
      pending: [],
      unknown: [],
    });
  });

  it('without migrating, a current schema starts and an older or newer build is refused, named', async () => {
    await expect(
      initializeDataSource(dataSource([CreateThings1700000000001, AddThingName1700000000002]), {
        verifySchema: true,
      }),
    ).resolves.toBeUndefined();

    class AddThingColour1700000000003 extends AddThingName1700000000002 {}
    const newer = initializeDataSource(
      dataSource([
        CreateThings1700000000001,
        AddThingName1700000000002,
        AddThingColour1700000000003,
      ]),
      { verifySchema: true },
    );
    await expect(newer).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(newer).rejects.toThrow(
      /schema "fixture_m".*pending migrations: AddThingColour1700000000003/,
    );

    const older = initializeDataSource(dataSource([CreateThings1700000000001]), {
      verifySchema: true,
    });
    await expect(older).rejects.toThrow(/unknown migrations .*: AddThingName1700000000002/);
  });

  it('a schema never migrated is refused with every migration pending, and nothing is created', async () => {
    const fresh = createDataSource({
      url: database.url,
      schema: 'fixture_never',
      migrations: [CreateThings1700000000001],
      poolSize: 1,
      applicationName: 'schema-migrations-it',
    });
    open.push(fresh);
    await expect(initializeDataSource(fresh, { verifySchema: true })).rejects.toThrow(
      /pending migrations: CreateThings1700000000001/,
    );
    const [{ present }] = (await fresh.query(
      `SELECT to_regnamespace('fixture_never') IS NOT NULL AS present`,
    )) as [{ present: boolean }];
    expect(present).toBe(false);
  });
});
