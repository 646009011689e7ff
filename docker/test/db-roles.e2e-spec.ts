// Least privilege (docs/adr/0025): on a fresh database an administrator runs `db:migrate -- roles`
// (the bootstrap CloudNativePG's managed roles do in k8s), the migration step runs as `gad_migrator`
// (not a superuser), and then each service's runtime role tries what it must never do: DDL in its
// own schema, anything in another service's schema, and — for audit-log-worker — UPDATE, DELETE or
// TRUNCATE of the evidence. PostgreSQL itself must refuse each (permission errors, not the audit
// trigger). The partition maintenance the services do at run time goes through the schema owner's
// functions, and a table a later migration adds is granted with nothing else to run. Needs
// `npm run build` (the step runs the built migrations).
import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@gad/testing';
import { Client } from 'pg';
import { repoRoot } from './deploy-test-helpers';

jest.setTimeout(120_000);

/** Each app with a schema, its runtime role and a table its first migration creates. */
const RUNTIME: ReadonlyArray<{ app: string; role: string; schema: string; table: string }> = [
  { app: 'api-gateway', role: 'gad_api_gateway', schema: 'dispatch', table: 'users' },
  { app: 'geo-service', role: 'gad_geo_service', schema: 'geo', table: 'units' },
  { app: 'audit-log-worker', role: 'gad_audit_log_worker', schema: 'audit', table: 'checkpoints' },
  {
    app: 'notification-service',
    role: 'gad_notification_service',
    schema: 'notify',
    table: 'webhooks',
  },
];

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

/** The database URL with another login role (the local stack trusts 127.0.0.1). */
function asRole(databaseUrl: string, role: string): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = '';
  return url.toString();
}

describe('database roles: a migration role owns the schemas, runtime roles have DML only', () => {
  let database: TestDatabase;
  const clients = new Map<string, Client>();

  async function clientOf(role: string): Promise<Client> {
    let client = clients.get(role);
    if (!client) {
      client = new Client({ connectionString: asRole(database.url, role) });
      await client.connect();
      clients.set(role, client);
    }
    return client;
  }

  /** The error PostgreSQL answers `sql` with as `role`, or 'allowed'. */
  async function attempt(role: string, sql: string): Promise<string> {
    const client = await clientOf(role);
    try {
      await client.query(sql);
      return 'allowed';
    } catch (error) {
      return (error as Error).message;
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const roles = await migrate('roles', database.url);
    expect(roles).toEqual({ code: 0, output: expect.stringContaining('roles ready') });
    const up = await migrate('up', asRole(database.url, 'gad_migrator'));
    expect(up).toEqual({ code: 0, output: expect.not.stringMatching(/pending: (?!none)/) });
  });

  afterAll(async () => {
    await Promise.all([...clients.values()].map((client) => client.end()));
    await database?.drop();
  });

  it('the migration step ran as gad_migrator, which owns every schema and everything in it', async () => {
    const admin = await clientOf('postgres');
    const { rows } = await admin.query<{ schema: string; owner: string; objects: string }>(
      `SELECT n.nspname AS schema, pg_get_userbyid(n.nspowner) AS owner,
              string_agg(DISTINCT pg_get_userbyid(c.relowner)::text, ',') AS objects
       FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
       WHERE n.nspname = ANY($1::text[]) GROUP BY n.nspname, n.nspowner ORDER BY 1`,
      [RUNTIME.map((entry) => entry.schema)],
    );
    expect(rows).toEqual(
      [...RUNTIME]
        .sort((a, b) => a.schema.localeCompare(b.schema))
        .map(({ schema }) => ({ schema, owner: 'gad_migrator', objects: 'gad_migrator' })),
    );
    const { rows: superuser } = await admin.query<{ rolsuper: boolean; rolcreaterole: boolean }>(
      `SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = 'gad_migrator'`,
    );
    expect(superuser).toEqual([{ rolsuper: false, rolcreaterole: false }]);
  });

  it.each(RUNTIME)('$role reads and writes its own schema but is refused DDL', async (entry) => {
    const { role, schema, table } = entry;
    expect(await attempt(role, `SELECT count(*) FROM ${schema}.${schema}_migrations`)).toBe(
      'allowed',
    );
    expect(await attempt(role, `SELECT * FROM ${schema}.${table} LIMIT 1`)).toBe('allowed');
    expect({
      create: await attempt(role, `CREATE TABLE ${schema}.intruder (id int)`),
      alter: await attempt(role, `ALTER TABLE ${schema}.${table} ADD COLUMN intruder int`),
      drop: await attempt(role, `DROP TABLE ${schema}.${table}`),
      truncate: await attempt(role, `TRUNCATE ${schema}.${table}`),
      index: await attempt(role, `CREATE INDEX intruder_idx ON ${schema}.${table} ((1))`),
      createInPublic: await attempt(role, `CREATE TABLE public.intruder (id int)`),
      createSchema: await attempt(role, `CREATE SCHEMA intruder`),
    }).toEqual({
      create: `permission denied for schema ${schema}`,
      alter: `must be owner of table ${table}`,
      drop: `must be owner of table ${table}`,
      truncate: `permission denied for table ${table}`,
      index: `must be owner of table ${table}`,
      createInPublic: 'permission denied for schema public',
      createSchema: expect.stringMatching(/^permission denied for database /),
    });
    for (const other of RUNTIME.filter((candidate) => candidate.schema !== schema)) {
      expect(await attempt(role, `SELECT 1 FROM ${other.schema}.${other.table} LIMIT 1`)).toBe(
        `permission denied for schema ${other.schema}`,
      );
    }
  });

  it('audit-log-worker may insert and read audit evidence, never change or remove it', async () => {
    const role = 'gad_audit_log_worker';
    expect(
      await attempt(
        role,
        `INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry)
         VALUES ('agency-a', 1, gen_random_uuid(), 'genesis', 'h1',
                 '{"occurredAt":"2026-12-06T10:00:00.000Z","action":"incident.created"}')`,
      ),
    ).toBe('allowed');
    expect({
      update: await attempt(role, `UPDATE audit.entries SET hash = 'forged'`),
      delete: await attempt(role, `DELETE FROM audit.entries`),
      truncate: await attempt(role, `TRUNCATE audit.entries`),
      deleteCheckpoints: await attempt(role, `DELETE FROM audit.checkpoints`),
      updatePurges: await attempt(role, `UPDATE audit.purges SET through_seq = 0`),
      dropTrigger: await attempt(role, `DROP TRIGGER entries_append_only ON audit.entries`),
      disableTrigger: await attempt(role, `ALTER TABLE audit.entries DISABLE TRIGGER ALL`),
    }).toEqual({
      update: 'permission denied for table entries',
      delete: 'permission denied for table entries',
      truncate: 'permission denied for table entries',
      deleteCheckpoints: 'permission denied for table checkpoints',
      updatePurges: 'permission denied for table purges',
      dropTrigger: 'must be owner of relation entries',
      disableTrigger: 'must be owner of table entries',
    });
    const client = await clientOf(role);
    const { rows } = await client.query<{ hash: string }>(
      `SELECT hash FROM audit.entries WHERE agency_id = 'agency-a'`,
    );
    expect(rows).toEqual([{ hash: 'h1' }]);
    // Partitions come from the owner's function; an unexpired one cannot be dropped through it.
    expect(await attempt(role, 'SELECT audit.ensure_partitions(0, 6)')).toBe('allowed');
    const current = await client.query<{ name: string }>(
      `SELECT 'entries_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM') AS name`,
    );
    const partition = current.rows[0]?.name ?? '';
    expect(await attempt(role, `SELECT audit.drop_expired_partition('${partition}')`)).toBe(
      `audit partition ${partition} is within the 12-month minimum retention`,
    );
    expect(await attempt(role, `DROP TABLE audit.${partition}`)).toBe(
      `must be owner of table ${partition}`,
    );
  });

  it('geo-service keeps its daily partitions through the schema owner functions only', async () => {
    const role = 'gad_geo_service';
    expect(await attempt(role, `SELECT geo.create_positions_partition('2031-01-02')`)).toBe(
      'allowed',
    );
    const admin = await clientOf('postgres');
    const owner = await admin.query<{ owner: string }>(
      `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class
       WHERE oid = 'geo.positions_p20310102'::regclass`,
    );
    expect(owner.rows).toEqual([{ owner: 'gad_migrator' }]);
    expect(await attempt(role, `SELECT count(*) FROM geo.positions_p20310102`)).toBe('allowed');
    expect(await attempt(role, `SELECT geo.drop_positions_partition('units')`)).toBe(
      'not a positions partition: units',
    );
    expect(await attempt(role, `SELECT geo.drop_positions_partition('positions_p20310102')`)).toBe(
      'allowed',
    );
  });

  it('gad_geo_reader reads geo.units and geo.geofences and nothing else, and writes nothing (docs/adr/0032, 0036)', async () => {
    const role = 'gad_geo_reader';
    expect(await attempt(role, 'SELECT unit_id, location FROM geo.units LIMIT 1')).toBe('allowed');
    // The zone lookup's columns (libs/geo-read zone.repository.sql).
    expect(
      await attempt(
        role,
        `SELECT id, name FROM geo.geofences
          WHERE kind = 'zone' AND (expires_at IS NULL OR expires_at > now())
            AND ST_Intersects(area_geom, ST_SetSRID(ST_MakePoint(0, 0), 4326))
          ORDER BY ST_Area(area_geom), id LIMIT 1`,
      ),
    ).toBe('allowed');
    expect({
      insert: await attempt(role, `INSERT INTO geo.units (agency_id, unit_id) VALUES ('a', 'u')`),
      update: await attempt(role, `UPDATE geo.units SET removed = true`),
      delete: await attempt(role, 'DELETE FROM geo.units'),
      fenceUpdate: await attempt(role, `UPDATE geo.geofences SET name = 'x'`),
      fenceDelete: await attempt(role, 'DELETE FROM geo.geofences'),
      positions: await attempt(role, 'SELECT 1 FROM geo.positions LIMIT 1'),
      membership: await attempt(role, 'SELECT 1 FROM geo.geofence_membership LIMIT 1'),
      create: await attempt(role, 'CREATE TABLE geo.intruder (id int)'),
    }).toEqual({
      insert: 'permission denied for table units',
      update: 'permission denied for table units',
      delete: 'permission denied for table units',
      fenceUpdate: 'permission denied for table geofences',
      fenceDelete: 'permission denied for table geofences',
      positions: 'permission denied for table positions',
      membership: 'permission denied for table geofence_membership',
      create: 'permission denied for schema geo',
    });
    for (const other of RUNTIME.filter((candidate) => candidate.schema !== 'geo')) {
      expect(await attempt(role, `SELECT 1 FROM ${other.schema}.${other.table} LIMIT 1`)).toBe(
        `permission denied for schema ${other.schema}`,
      );
    }
  });

  it('a table a later migration adds is granted to the runtime role by default privileges', async () => {
    const migrator = await clientOf('gad_migrator');
    await migrator.query(
      'CREATE TABLE notify.added_later (id bigserial PRIMARY KEY, body text NOT NULL)',
    );
    const role = 'gad_notification_service';
    expect(await attempt(role, `INSERT INTO notify.added_later (body) VALUES ('x')`)).toBe(
      'allowed',
    );
    expect(await attempt(role, 'SELECT body FROM notify.added_later')).toBe('allowed');
    expect(await attempt(role, 'TRUNCATE notify.added_later')).toBe(
      'permission denied for table added_later',
    );
    // Another service's role gets nothing there.
    expect(await attempt('gad_geo_service', 'SELECT 1 FROM notify.added_later')).toBe(
      'permission denied for schema notify',
    );
  });
});
