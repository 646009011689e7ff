/**
 * Creates the first administrator (and their agency) when no admin exists yet. There is no default
 * password: it is read from ADMIN_PASSWORD (12-256 characters), never from the command line.
 * Agencies and admins after the first: `npm run platform -- agency:create | admin:create`
 * (agencies/platform.cli.ts), which works whatever admins exist.
 *
 *   ADMIN_PASSWORD=... npm run admin:create -- --agency-id <slug> --agency-name <name> \
 *     --username <username> --email <e-mail>
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gad). Exit code 0 = created,
 * 1 = an admin already exists, 2 = usage, configuration or connection error.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { recordInCurrentTransaction } from '@gad/audit';
import { OutboxRelay, OutboxWriter, UnitOfWork } from '@gad/bus';
import { databaseEnvSchema, loadConfig } from '@gad/config';
import { AuditActions, agencyIdSchema, passwordSchema, usernameSchema } from '@gad/contracts';
import { createDataSource, Database, initializeDataSource } from '@gad/platform';
import { z } from 'zod';
import { DISPATCH_SCHEMA, dispatchMigrations } from '../database/data-source';
import { createFirstAdminRow } from './identity-bootstrap.service';
import { AgenciesRepository } from './agencies.repository';
import { PasswordService } from './password.service';
import { UsersRepository } from './users.repository';

const USAGE =
  'usage: ADMIN_PASSWORD=... npm run admin:create -- --agency-id <slug> --agency-name <name> ' +
  '--username <username> --email <e-mail>';

const argsSchema = z.object({
  agencyId: agencyIdSchema,
  agencyName: z.string().trim().min(1).max(200),
  username: usernameSchema,
  email: z.email().max(254).toLowerCase(),
});

export async function createAdminCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'agency-id': { type: 'string' },
      'agency-name': { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
    },
  });
  const args = argsSchema.safeParse({
    agencyId: values['agency-id'],
    agencyName: values['agency-name'],
    username: values.username,
    email: values.email,
  });
  const env = loadConfig(
    'admin:create',
    databaseEnvSchema.extend({ ADMIN_PASSWORD: passwordSchema }),
  );
  if (!args.success) {
    process.stderr.write(`${USAGE}\n${z.prettifyError(args.error)}\n`);
    return 2;
  }
  const dataSource = createDataSource({
    url: env.DATABASE_URL,
    schema: DISPATCH_SCHEMA,
    migrations: dispatchMigrations,
    poolSize: 1,
    applicationName: 'api-gateway-admin-create',
  });
  try {
    await initializeDataSource(dataSource, { migrationsRun: true });
    const database = new Database(dataSource);
    // Nothing to nudge: the running gateways' relays poll the outbox.
    const relay = { nudge: () => undefined } as unknown as OutboxRelay;
    const store = {
      unitOfWork: new UnitOfWork(database, new OutboxWriter(DISPATCH_SCHEMA), relay),
      agencies: new AgenciesRepository(database),
      users: new UsersRepository(database),
    };
    const passwordHash = await new PasswordService().hash(env.ADMIN_PASSWORD);
    // The admin's entry commits with the admin, as an outbox row the running gateways relay
    // (this tool has no Redis; docs/adr/0021).
    const id = await createFirstAdminRow(store, args.data, passwordHash, new Date(), (created) =>
      recordInCurrentTransaction(
        {
          agencyId: args.data.agencyId,
          actor: { kind: 'system', id: `admin-create:${userInfo().username}`.slice(0, 200) },
          action: AuditActions.Created,
          outcome: 'success',
          object: { type: 'user', id: created },
          changes: {
            after: {
              id: created,
              agencyId: args.data.agencyId,
              username: args.data.username.trim().toLowerCase(),
              roles: ['admin'],
            },
          },
          reason: 'first admin from npm run admin:create',
        },
        'api-gateway',
      ),
    );
    if (!id) {
      process.stderr.write(
        'an admin already exists; nothing created. Later admins (of any agency): ' +
          'npm run platform -- admin:create --agency <id> --username <u> --email <e>\n',
      );
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ created: id, agencyId: args.data.agencyId })}\n`);
    return 0;
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
  }
}

if (require.main === module) {
  createAdminCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`admin:create failed: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
}
