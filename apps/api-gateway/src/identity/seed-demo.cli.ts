/**
 * Seeds the local demo agency that `npm start` runs: agency `demo` ("Madrid demo") with one
 * admin, supervisor, dispatcher and officer, each with a known demo password. Idempotent: a second
 * run finds the agency and the users, puts their roles and demo passwords back and re-activates
 * them (a locked or disabled demo user can log in again). Refused when NODE_ENV is production:
 * demo passwords are public (they are printed and written in docs/quickstart.md).
 *
 *   npm run demo:seed            (after the build; npm start runs it)
 *
 * Prints one JSON line: { agency: { id, name }, users: [{ role, username, password, id }] }.
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gad), NODE_ENV.
 * Exit code 0 = seeded, 2 = refused, usage, configuration or connection error.
 */
import { databaseEnvSchema, loadConfig, serviceEnvSchema } from '@gad/config';
import { uuidv7, type Role } from '@gad/contracts';
import { createDataSource, Database, initializeDataSource } from '@gad/platform';
import { DISPATCH_SCHEMA, dispatchMigrations } from '../database/data-source';
import { AgenciesRepository } from './agencies.repository';
import { PasswordService } from './password.service';
import { appendUserChanged } from './user-events';
import { UsersRepository } from './users.repository';

export const DEMO_AGENCY = Object.freeze({ id: 'demo', name: 'Madrid demo' });

export interface DemoUser {
  role: Role;
  username: string;
  email: string;
  displayName: string;
  password: string;
}

/** The demo's people. Their passwords are public: local demo only (never production). */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    role: 'admin',
    username: 'demo.admin',
    email: 'demo.admin@example.org',
    displayName: 'Ana Admin',
    password: 'demo-admin-password',
  },
  {
    role: 'supervisor',
    username: 'demo.supervisor',
    email: 'demo.supervisor@example.org',
    displayName: 'Sara Supervisor',
    password: 'demo-supervisor-password',
  },
  {
    role: 'dispatcher',
    username: 'demo.dispatcher',
    email: 'demo.dispatcher@example.org',
    displayName: 'Diego Dispatcher',
    password: 'demo-dispatcher-password',
  },
  {
    role: 'officer',
    username: 'demo.officer',
    email: 'demo.officer@example.org',
    displayName: 'Olga Officer',
    password: 'demo-officer-password',
  },
]);

/** Roles of each demo user: the admin also dispatches and supervises (the simulator uses it). */
function rolesOf(user: DemoUser): Role[] {
  return user.role === 'admin' ? ['admin', 'supervisor', 'dispatcher'] : [user.role];
}

export interface SeededDemo {
  agency: { id: string; name: string };
  users: Array<{ role: Role; username: string; password: string; id: string }>;
}

/** Creates or refreshes the demo agency and its users in one transaction. */
export async function seedDemo(database: Database, now = new Date()): Promise<SeededDemo> {
  const agencies = new AgenciesRepository(database);
  const users = new UsersRepository(database);
  const passwords = new PasswordService();
  const hashes = await Promise.all(DEMO_USERS.map((user) => passwords.hash(user.password)));
  const ids = await database.transaction(async (client) => {
    await agencies.ensure(client, DEMO_AGENCY.id, DEMO_AGENCY.name, now);
    const seeded: string[] = [];
    for (const [index, user] of DEMO_USERS.entries()) {
      const passwordHash = hashes[index];
      const [existing] = (await users.findByLogin(user.username, DEMO_AGENCY.id)).filter(
        (row) => row.agency_id === DEMO_AGENCY.id,
      );
      if (!existing) {
        const row = await users.insert(
          {
            id: uuidv7(),
            agencyId: DEMO_AGENCY.id,
            username: user.username,
            email: user.email,
            displayName: user.displayName,
            locale: 'es',
            roles: rolesOf(user),
            passwordHash,
            now,
          },
          client,
        );
        seeded.push(row.id);
        continue;
      }
      await users.setRoles(client, DEMO_AGENCY.id, existing.id, rolesOf(user), now);
      await users.setPassword(client, DEMO_AGENCY.id, existing.id, passwordHash, now);
      if (existing.status !== 'active') {
        await users.setStatus(client, DEMO_AGENCY.id, existing.id, 'active', null, now);
      }
      seeded.push(existing.id);
    }
    // Recipients (notification-service) follow users from user.changed.
    const rows = DEMO_USERS.map((user, index) => ({
      id: seeded[index],
      agency_id: DEMO_AGENCY.id,
      roles: rolesOf(user),
      locale: 'es' as const,
      status: 'active' as const,
    }));
    await appendUserChanged(client, { kind: 'system', id: 'demo-seed' }, rows, now);
    return seeded;
  });
  return {
    agency: { ...DEMO_AGENCY },
    users: DEMO_USERS.map((user, index) => ({
      role: user.role,
      username: user.username,
      password: user.password,
      id: ids[index],
    })),
  };
}

export async function seedDemoCli(): Promise<number> {
  const env = loadConfig(
    'demo:seed',
    databaseEnvSchema.extend({ NODE_ENV: serviceEnvSchema.shape.NODE_ENV }),
  );
  if (env.NODE_ENV === 'production') {
    process.stderr.write('demo:seed refused: NODE_ENV=production (demo passwords are public)\n');
    return 2;
  }
  const dataSource = createDataSource({
    url: env.DATABASE_URL,
    schema: DISPATCH_SCHEMA,
    migrations: dispatchMigrations,
    // The transaction holds one connection; the users' lookup by name (no client parameter) takes
    // a second.
    poolSize: 2,
    applicationName: 'api-gateway-demo-seed',
    // npm start runs it while five services start on the same machine.
    connectTimeoutMs: 30_000,
  });
  try {
    await initializeDataSource(dataSource, { migrationsRun: true });
    const seeded = await seedDemo(new Database(dataSource));
    process.stdout.write(`${JSON.stringify(seeded)}\n`);
    return 0;
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
  }
}

if (require.main === module) {
  seedDemoCli().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`demo:seed failed: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
}
