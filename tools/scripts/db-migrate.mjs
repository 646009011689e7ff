#!/usr/bin/env node
// Schema migrations as a deployment step (docs/operations/migrations.md):
//
//   npm run db:migrate -- status    # every service schema: applied, pending, unknown migrations
//   npm run db:migrate -- up        # applies what is pending, under a PostgreSQL advisory lock
//
// Reads DATABASE_URL (required when NODE_ENV=production, like the services). Runs the BUILT
// migrations (`npm run build` first; the image holds dist/): every `*.js` file under
// dist/apps/<app>/src/database/migrations, found by listing the folder (no list to maintain), for
// the schema the app's database/data-source.js exports as `<NAME>_SCHEMA`. Two runs at once are
// harmless: each schema is migrated while holding the migration advisory lock, so the second run
// waits and then finds nothing pending. Exit status: 0 done, 1 failed, 2 usage.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const log = (message) => console.log(`db-migrate: ${message}`);

const command = process.argv[2] ?? 'status';
if (!['status', 'up'].includes(command)) {
  console.error('usage: node tools/scripts/db-migrate.mjs status|up (npm run db:migrate -- up)');
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
const { createDataSource, runPendingMigrations, schemaMigrationStatus } = require('@gad/platform');

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

async function main() {
  const env = exitOnConfigError(() =>
    loadConfig(
      'db-migrate',
      serviceEnvSchema
        .pick({ NODE_ENV: true })
        .extend(databaseEnvSchema.pick({ DATABASE_URL: true }).shape),
    ),
  );
  let failed = false;
  for (const { app, schema, migrations } of discoverSchemas()) {
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
