/**
 * Seeds the local demo agency that `npm start` runs: agency `demo` ("Madrid demo") with one
 * admin, supervisor, dispatcher and officer, each with a known demo password, and the incident
 * types the fleet simulator creates, with response plans for its patrols and `als` ambulances (the
 * dispositions are the agency settings' defaults). Idempotent: a second run finds the agency and
 * the users, puts their roles and demo passwords back and re-activates them (a locked or disabled
 * demo user can log in again); a type the agency already has is left as the agency edited it. Refused when NODE_ENV is production:
 * demo passwords are public (they are printed and written in docs/quickstart.md).
 *
 *   npm run demo:seed            (after the build; npm start runs it)
 *
 * Prints one JSON line: { agency: { id, name }, incidentTypes: [code], users: [{ role, username,
 * password, id }] }.
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gad), NODE_ENV.
 * Exit code 0 = seeded, 2 = refused, usage, configuration or connection error.
 */
import { databaseEnvSchema, loadConfig, serviceEnvSchema } from '@gad/config';
import { uuidv7, type IncidentPriority, type PlanRequirement, type Role } from '@gad/contracts';
import { createDataSource, Database, initializeDataSource } from '@gad/platform';
import { DISPATCH_SCHEMA, dispatchMigrations } from '../database/data-source';
import { IncidentTypesRepository } from '../incident-types/incident-types.repository';
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

export interface DemoIncidentType {
  code: string;
  nameEs: string;
  nameEn: string;
  defaultPriority: IncidentPriority;
  plan: PlanRequirement[];
}

/**
 * The demo's incident type catalogue: the codes the fleet simulator creates incidents with
 * (tools/simulator), with plans its units (`patrol`, `ambulance` with `als`) can fill.
 */
export const DEMO_INCIDENT_TYPES: readonly DemoIncidentType[] = Object.freeze([
  {
    code: 'structure_fire',
    nameEs: 'Incendio en vivienda',
    nameEn: 'Structure fire',
    defaultPriority: 'P1',
    plan: [
      { unitType: 'patrol', count: 2 },
      { unitType: 'ambulance', capabilities: ['als'], count: 1 },
    ],
  },
  {
    code: 'medical_emergency',
    nameEs: 'Emergencia sanitaria',
    nameEn: 'Medical emergency',
    defaultPriority: 'P1',
    plan: [{ unitType: 'ambulance', capabilities: ['als'], count: 1 }],
  },
  {
    code: 'traffic_collision',
    nameEs: 'Colisión de tráfico',
    nameEn: 'Traffic collision',
    defaultPriority: 'P2',
    plan: [
      { unitType: 'patrol', count: 1 },
      { unitType: 'ambulance', capabilities: ['als'], count: 1 },
    ],
  },
  {
    code: 'theft',
    nameEs: 'Robo con fuerza',
    nameEn: 'Burglary',
    defaultPriority: 'P3',
    plan: [{ unitType: 'patrol', count: 1 }],
  },
  {
    code: 'public_disorder',
    nameEs: 'Alteración del orden público',
    nameEn: 'Public disorder',
    defaultPriority: 'P2',
    plan: [{ unitType: 'patrol', count: 2 }],
  },
  {
    code: 'welfare_check',
    nameEs: 'Aviso de persona desorientada',
    nameEn: 'Welfare check',
    defaultPriority: 'P3',
    plan: [{ unitType: 'patrol', count: 1 }],
  },
]);

/** Roles of each demo user: the admin also dispatches and supervises (the simulator uses it). */
function rolesOf(user: DemoUser): Role[] {
  return user.role === 'admin' ? ['admin', 'supervisor', 'dispatcher'] : [user.role];
}

export interface SeededDemo {
  agency: { id: string; name: string };
  /** Codes of the demo's incident types (new or already there). */
  incidentTypes: string[];
  users: Array<{ role: Role; username: string; password: string; id: string }>;
}

/** Creates or refreshes the demo agency and its users in one transaction. */
export async function seedDemo(database: Database, now = new Date()): Promise<SeededDemo> {
  const agencies = new AgenciesRepository(database);
  const users = new UsersRepository(database);
  const incidentTypes = new IncidentTypesRepository(database);
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
    for (const type of DEMO_INCIDENT_TYPES) {
      // Inserts only a missing code: an agency's own edits of a demo type survive a re-seed.
      await incidentTypes.insert(DEMO_AGENCY.id, type.code, type, client);
    }
    return seeded;
  });
  return {
    agency: { ...DEMO_AGENCY },
    incidentTypes: DEMO_INCIDENT_TYPES.map((type) => type.code),
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
