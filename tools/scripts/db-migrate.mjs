#!/usr/bin/env node
// Schema migrations as a deployment step (docs/operations/migrations.md):
//
//   npm run db:migrate -- status    # every service schema: applied, pending, unknown migrations
//   npm run db:migrate -- up        # applies what is pending, under a PostgreSQL advisory lock
//   npm run db:migrate -- roles     # bootstrap (an admin runs it once): the migration role and the
//                                   # runtime roles (docs/adr/0025, docs/operations/migrations.md)
//   npm run db:migrate -- roles --adopt   # also hands existing service schemas (created by another
//                                   # owner, e.g. before the roles) and all in them to gad_migrator
//
// Reads DATABASE_URL (required when NODE_ENV=production, like the services). Runs the BUILT
// migrations (`npm run build` first; the image holds dist/): every `*.js` file under
// dist/apps/<app>/src/database/migrations, found by listing the folder (no list to maintain), for
// the schema the app's database/data-source.js exports as `<NAME>_SCHEMA`. Two runs at once are
// harmless: each schema is migrated while holding the migration advisory lock, so the second run
// waits and then finds nothing pending. Exit status: 0 done, 1 failed, 2 usage.
//
// Roles (ADR 0025). `roles` connects as an administrator (superuser or CREATEROLE; on Kubernetes
// CloudNativePG's `managed.roles` does the same, k8s/base/postgres-cluster.yaml) and creates, if
// missing: `gad_migrator` (LOGIN, CREATE on the database: it owns every schema it migrates), one
// LOGIN runtime role per app with migrations (`gad_<app>`, e.g. `gad_audit_log_worker`) and
// `gad_audit_writer` (NOLOGIN, the audit worker's write role) with the migrator and the audit runtime
// role as members, plus the extensions only a superuser may create. Passwords, when given, come
// from `DB_PASSWORD_<ROLE>` (e.g. DB_PASSWORD_GAD_MIGRATOR); a role without one logs in only where
// pg_hba trusts it (the local stack). `up` then runs as the migrator and, per schema, grants the
// app's runtime role USAGE and DML on every table and sequence of its own schema only (audit:
// SELECT and INSERT, never UPDATE/DELETE/TRUNCATE) and sets the same grants as the migrator's
// DEFAULT PRIVILEGES there, so tables a later migration adds are covered the moment they exist.
// Runtime roles never get CREATE or ownership: no DDL. Reader roles (`gad_geo_reader`, ADR 0032)
// are LOGIN roles with USAGE on one schema and SELECT on the tables another app reads, nothing else.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const log = (message) => console.log(`db-migrate: ${message}`);

const command = process.argv[2] ?? 'status';
const adopt = process.argv.slice(3).includes('--adopt');
if (!['status', 'up', 'roles'].includes(command) || (adopt && command !== 'roles')) {
  console.error(
    'usage: node tools/scripts/db-migrate.mjs status|up|roles [--adopt] (npm run db:migrate -- up)',
  );
  process.exit(2);
}

const distApps = join(repoRoot, 'dist', 'apps');
if (!existsSync(join(repoRoot, 'dist', 'libs', 'platform', 'src', 'index.js'))) {
  console.error('db-migrate: dist/ is not built; run `npm run build` first');
  process.exit(1);
}
require('./register-paths.js');
const {
  databaseEnvSchema,
  exitOnConfigError,
  loadConfig,
  serviceEnvSchema,
} = require('@gad/config');
const {
  createDataSource,
  MIGRATION_LOCK_KEY,
  runPendingMigrations,
  schemaMigrationStatus,
  withMigrationLock,
} = require('@gad/platform');

/** The role that owns every schema and runs `up` (the database owner on CloudNativePG). */
const MIGRATOR_ROLE = 'gad_migrator';
/** NOLOGIN role the audit worker switches to for every write (created by the audit migration before). */
const AUDIT_WRITER_ROLE = 'gad_audit_writer';
/** Extensions migrations create that a non-superuser migrator may not. */
const SUPERUSER_EXTENSIONS = ['postgis', 'btree_gist'];
/**
 * Read-only login roles of other apps' tables (docs/adr/0032): SELECT on these tables only, no
 * default privileges (a new table is granted on purpose). `gad_geo_reader`: api-gateway's nearest
 * reads (`units`) and zone lookups (`geofences`, docs/adr/0036) (GEO_READ_DATABASE_URL).
 */
const READER_ROLES = [{ role: 'gad_geo_reader', schema: 'geo', tables: ['units', 'geofences'] }];
/** Append-only schemas: their runtime role may only read and insert. */
const APPEND_ONLY_SCHEMAS = new Set(['audit']);

/** The runtime role of an app: `gad_<app>` with `_` for `-`. */
const runtimeRoleOf = (app) => `gad_${app.replaceAll('-', '_')}`;

const quoteIdent = (name) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`not a plain identifier: ${name}`);
  }
  return `"${name}"`;
};
const quoteLiteral = (value) => `'${String(value).replaceAll("'", "''")}'`;

/** Every app with migrations: its schema and its migration classes, found on disk. */
function discoverSchemas() {
  const found = [];
  for (const app of readdirSync(distApps).sort()) {
    const databaseDir = join(distApps, app, 'src', 'database');
    const migrationsDir = join(databaseDir, 'migrations');
    if (!existsSync(migrationsDir)) {
      continue;
    }
    const dataSourceModule = require(join(databaseDir, 'data-source.js'));
    const schemas = Object.entries(dataSourceModule).filter(
      ([name, value]) => name.endsWith('_SCHEMA') && typeof value === 'string',
    );
    if (schemas.length !== 1) {
      throw new Error(
        `${app}: database/data-source must export exactly one <NAME>_SCHEMA string (found ${schemas.length})`,
      );
    }
    const migrations = readdirSync(migrationsDir)
      .filter((file) => file.endsWith('.js'))
      .sort()
      .flatMap((file) =>
        Object.values(require(join(migrationsDir, file))).filter(
          (value) => typeof value === 'function' && typeof value.prototype?.up === 'function',
        ),
      );
    found.push({ app, schema: schemas[0][1], migrations });
  }
  return found;
}

/**
 * The runtime role's grants on its app's schema: USAGE and DML on what exists, and the same as the
 * current (migrator) role's DEFAULT PRIVILEGES there, under the migration lock (concurrent GRANTs
 * on one object can fail). Skipped, saying so, when the role does not exist (tests and development
 * that run everything as one superuser).
 */
async function grantRuntimeRole(dataSource, app, schema) {
  const role = runtimeRoleOf(app);
  const [{ present, owner }] = await dataSource.query(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS present, current_user AS owner`,
    [role],
  );
  if (!present) {
    return `no role ${role}: no grants (\`db:migrate -- roles\` creates it)`;
  }
  const tables = APPEND_ONLY_SCHEMAS.has(schema)
    ? 'SELECT, INSERT'
    : 'SELECT, INSERT, UPDATE, DELETE';
  const s = quoteIdent(schema);
  const r = quoteIdent(role);
  const forOwner = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA ${s}`;
  await withMigrationLock(dataSource, async (queryRunner) => {
    for (const statement of [
      `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
      `GRANT ${tables} ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
      `${forOwner} GRANT ${tables} ON TABLES TO ${r}`,
      `${forOwner} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
    ]) {
      await queryRunner.query(statement);
    }
  });
  return `${role}: ${tables} on ${schema} (and default privileges of ${owner})`;
}

/**
 * SELECT on the tables of `schema` a reader role reads ({@link READER_ROLES}), under the migration
 * lock; skipped, saying so, when the role does not exist.
 */
async function grantReaderRoles(dataSource, schema) {
  const notes = [];
  for (const reader of READER_ROLES.filter((entry) => entry.schema === schema)) {
    const [{ present }] = await dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS present`,
      [reader.role],
    );
    if (!present) {
      notes.push(`no role ${reader.role}: no grants`);
      continue;
    }
    const r = quoteIdent(reader.role);
    const tables = reader.tables.map((table) => `${quoteIdent(schema)}.${quoteIdent(table)}`);
    await withMigrationLock(dataSource, async (queryRunner) => {
      await queryRunner.query(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${r}`);
      await queryRunner.query(`GRANT SELECT ON ${tables.join(', ')} TO ${r}`);
    });
    notes.push(`${reader.role}: SELECT on ${tables.join(', ')}`);
  }
  return notes;
}

/**
 * Makes the migrator the owner of a schema created by another role and of everything in it:
 * tables (partitions one by one), views, sequences not owned by a column, functions and types.
 */
async function adoptSchema(client, schema) {
  const to = quoteIdent(MIGRATOR_ROLE);
  await client.query(`ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${to}`);
  const { rows: relations } = await client.query(
    `SELECT c.oid::regclass::text AS name, c.relkind AS kind FROM pg_class c
     WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND NOT (c.relkind = 'S' AND EXISTS (
         SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
    [schema],
  );
  const keyword = {
    r: 'TABLE',
    p: 'TABLE',
    f: 'FOREIGN TABLE',
    v: 'VIEW',
    m: 'MATERIALIZED VIEW',
    S: 'SEQUENCE',
  };
  for (const { name, kind } of relations) {
    await client.query(`ALTER ${keyword[kind]} ${name} OWNER TO ${to}`);
  }
  const { rows: routines } = await client.query(
    `SELECT p.oid::regprocedure::text AS name FROM pg_proc p WHERE p.pronamespace = $1::regnamespace`,
    [schema],
  );
  for (const { name } of routines) {
    await client.query(`ALTER ROUTINE ${name} OWNER TO ${to}`);
  }
  const { rows: types } = await client.query(
    `SELECT t.oid::regtype::text AS name FROM pg_type t
     WHERE t.typnamespace = $1::regnamespace AND t.typtype IN ('e', 'd', 'r')
        OR (t.typnamespace = $1::regnamespace AND t.typtype = 'c' AND EXISTS (
          SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))`,
    [schema],
  );
  for (const { name } of types) {
    await client.query(`ALTER TYPE ${name} OWNER TO ${to}`);
  }
}

/**
 * Bootstrap, run by an administrator: the migration role, each app's runtime role, the audit
 * writer role and its members, CREATE on the database for the migrator, superuser-only extensions.
 * Idempotent; sets a role's password when `DB_PASSWORD_<ROLE>` is given.
 */
async function createRoles(databaseUrl, found) {
  const apps = found.map((entry) => entry.app);
  const { Client } = require('pg');
  const client = new Client({ connectionString: databaseUrl, application_name: 'db-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const ensureRole = async (role, login) => {
      const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (rows.length === 0) {
        try {
          await client.query(`CREATE ROLE ${quoteIdent(role)} ${login ? 'LOGIN' : 'NOLOGIN'}`);
          log(`role ${role}: created`);
        } catch (error) {
          // Roles are cluster-wide: another database's bootstrap may create it at the same time.
          if (!['42710', '23505'].includes(error?.code)) {
            throw error;
          }
        }
      }
      const password = login ? process.env[`DB_PASSWORD_${role.toUpperCase()}`] : undefined;
      if (password) {
        await client.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(password)}`);
        log(`role ${role}: password set`);
      }
    };
    await ensureRole(MIGRATOR_ROLE, true);
    for (const app of apps) {
      await ensureRole(runtimeRoleOf(app), true);
    }
    const readers = READER_ROLES.filter((reader) =>
      found.some((entry) => entry.schema === reader.schema),
    ).map((reader) => reader.role);
    for (const role of readers) {
      await ensureRole(role, true);
    }
    const [{ database }] = (await client.query('SELECT current_database() AS database')).rows;
    await client.query(
      `GRANT CREATE, CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(MIGRATOR_ROLE)}`,
    );
    if (apps.includes('audit-log-worker')) {
      await ensureRole(AUDIT_WRITER_ROLE, false);
      for (const member of [MIGRATOR_ROLE, runtimeRoleOf('audit-log-worker')]) {
        await client.query(`GRANT ${quoteIdent(AUDIT_WRITER_ROLE)} TO ${quoteIdent(member)}`);
      }
    }
    for (const extension of SUPERUSER_EXTENSIONS) {
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extension)}`);
    }
    const { rows: foreign } = await client.query(
      `SELECT nspname AS schema, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
       WHERE nspname = ANY($1::text[]) AND pg_get_userbyid(nspowner) <> $2`,
      [found.map((entry) => entry.schema), MIGRATOR_ROLE],
    );
    for (const { schema, owner } of foreign) {
      if (adopt) {
        await adoptSchema(client, schema);
        log(`schema ${schema}: handed from ${owner} to ${MIGRATOR_ROLE} with everything in it`);
      } else {
        log(
          `schema ${schema} is owned by ${owner}, not ${MIGRATOR_ROLE}: migrations run as ` +
            `${MIGRATOR_ROLE} cannot alter it; run \`db:migrate -- roles --adopt\` as a superuser`,
        );
      }
    }
    log(
      `roles ready: ${[MIGRATOR_ROLE, ...apps.map((app) => runtimeRoleOf(app)), ...readers].join(', ')}` +
        `${apps.includes('audit-log-worker') ? `, ${AUDIT_WRITER_ROLE} (NOLOGIN)` : ''}`,
    );
  } finally {
    await client.end();
  }
}

async function main() {
  const env = exitOnConfigError(() =>
    loadConfig(
      'db-migrate',
      serviceEnvSchema
        .pick({ NODE_ENV: true })
        .extend(databaseEnvSchema.pick({ DATABASE_URL: true }).shape),
    ),
  );
  const found = discoverSchemas();
  if (command === 'roles') {
    await createRoles(env.DATABASE_URL, found);
    process.exit(0);
  }
  let failed = false;
  for (const { app, schema, migrations } of found) {
    const dataSource = createDataSource({
      url: env.DATABASE_URL,
      schema,
      migrations,
      poolSize: 1,
      // Migrations may rewrite big tables: no statement timeout.
      statementTimeoutMs: 0,
      applicationName: 'db-migrate',
    });
    try {
      await dataSource.initialize();
      if (command === 'up') {
        const applied = await runPendingMigrations(dataSource);
        log(
          `${schema} (${app}): ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`,
        );
        log(`${schema} (${app}): ${await grantRuntimeRole(dataSource, app, schema)}`);
        for (const note of await grantReaderRoles(dataSource, schema)) {
          log(`${schema} (${app}): ${note}`);
        }
      }
      const status = await schemaMigrationStatus(dataSource);
      log(
        `${schema} (${app}): ${status.applied.length} applied, ` +
          `pending: ${status.pending.join(', ') || 'none'}, unknown: ${status.unknown.join(', ') || 'none'}`,
      );
    } catch (error) {
      failed = true;
      console.error(`db-migrate: ${schema} (${app}) failed: ${error?.stack ?? error}`);
      if (command === 'up') {
        break; // later schemas wait for this one to be fixed
      }
    } finally {
      if (dataSource.isInitialized) {
        await dataSource.destroy();
      }
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(`db-migrate: ${error?.stack ?? error}`);
  process.exit(1);
});
