/**
 * The platform operators' command line (the same use cases as `/v1/platform/*`, audited the same
 * way, actor `platform-cli:<os user>`). Works whatever admins or agencies exist.
 *
 *   npm run platform -- agency:create --slug <id> --name <name>
 *   npm run platform -- agency:suspend --slug <id> --reason <text>
 *   npm run platform -- agency:reactivate --slug <id>
 *   npm run platform -- admin:create --agency <id> --username <name> --email <e-mail>
 *       prints the admin and a one-time set-password token (POST /v1/auth/set-password, 72 h)
 *   PLATFORM_ADMIN_PASSWORD=... npm run platform -- platform-admin:create --username <name>
 *
 * Environment: DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX (audit queue, session deny-list),
 * JWT_ACCESS_TTL_SECONDS. Output: one JSON line on stdout. Exit code 0 = done, 1 = refused
 * (exists, not found), 2 = usage, configuration or connection error.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AuditRecorder } from '@gad/audit';
import { OutboxRelay, OutboxWriter, UnitOfWork } from '@gad/bus';
import { databaseEnvSchema, envInt, loadConfig, serviceEnvSchema } from '@gad/config';
import {
  AuditActions,
  PLATFORM_AGENCY_ID,
  agencyIdSchema,
  createAgencyAdminRequestSchema,
  passwordSchema,
  suspendAgencyRequestSchema,
  usernameSchema,
  type Actor,
} from '@gad/contracts';
import {
  createDataSource,
  Database,
  DomainException,
  initializeDataSource,
  redisClientFromUrl,
} from '@gad/platform';
import { z } from 'zod';
import type { ApiGatewayConfig } from '../api-gateway.config';
import { DISPATCH_SCHEMA, dispatchMigrations } from '../database/data-source';
import { AgenciesRepository } from '../identity/agencies.repository';
import { systemClock } from '../identity/identity.constants';
import { PasswordService } from '../identity/password.service';
import { PasswordSetupTokensRepository } from '../identity/password-setup-tokens.repository';
import { PlatformOperatorsRepository } from '../identity/platform-operators.repository';
import { SessionRevocations } from '../identity/session-revocations.service';
import { SessionsRepository } from '../identity/sessions.repository';
import { UsersRepository } from '../identity/users.repository';
import { AgenciesService } from './agencies.service';
import { createPlatformOperatorRow } from './platform-operators.service';

const USAGE = `usage: npm run platform -- <command> [options]
  agency:create --slug <id> --name <name>
  agency:suspend --slug <id> --reason <text>
  agency:reactivate --slug <id>
  admin:create --agency <id> --username <name> --email <e-mail> [--display-name <name>]
  platform-admin:create --username <name>   (password from PLATFORM_ADMIN_PASSWORD)`;

const cliEnvSchema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  JWT_ACCESS_TTL_SECONDS: envInt(900, 30, 3600),
  PLATFORM_ADMIN_PASSWORD: passwordSchema.optional(),
});

const name = z.string().trim().min(1).max(200);

/** Runs one command; returns the exit code. */
export async function platformCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: rest,
      options: {
        slug: { type: 'string' },
        name: { type: 'string' },
        reason: { type: 'string' },
        agency: { type: 'string' },
        username: { type: 'string' },
        email: { type: 'string' },
        'display-name': { type: 'string' },
      },
    }).values as Record<string, string | undefined>;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const env = loadConfig('platform', cliEnvSchema);
  const fail = (error: z.ZodError): number => {
    process.stderr.write(`${USAGE}\n${z.prettifyError(error)}\n`);
    return 2;
  };
  const dataSource = createDataSource({
    url: env.DATABASE_URL,
    schema: DISPATCH_SCHEMA,
    migrations: dispatchMigrations,
    poolSize: 2,
    applicationName: 'api-gateway-platform-cli',
  });
  const redis = redisClientFromUrl(env.REDIS_URL, {
    keyPrefix: env.REDIS_KEY_PREFIX,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  const database = new Database(dataSource);
  // The running gateways' relays poll the outbox (audit rows included): nothing to nudge or
  // deliver from here.
  const relay = {
    nudge: () => undefined,
    registerSink: () => undefined,
  } as unknown as OutboxRelay;
  const writer = new OutboxWriter(DISPATCH_SCHEMA);
  // Every action's entry is an outbox row in the action's transaction (docs/adr/0021).
  const audit = new AuditRecorder({
    service: 'api-gateway',
    redisUrl: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    outbox: { database, writer, relay },
  });
  const actor: Actor = { kind: 'system', id: `platform-cli:${userInfo().username}`.slice(0, 200) };
  const print = (value: unknown): number => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return 0;
  };
  try {
    await initializeDataSource(dataSource, { migrationsRun: true });
    const unitOfWork = new UnitOfWork(database, writer, relay);
    const passwords = new PasswordService();
    const revocations = new SessionRevocations(
      redis,
      new SessionsRepository(database),
      unitOfWork,
      relay,
      { JWT_ACCESS_TTL_SECONDS: env.JWT_ACCESS_TTL_SECONDS } as ApiGatewayConfig,
    );
    const agencies = new AgenciesService(
      new AgenciesRepository(database),
      new UsersRepository(database),
      new PasswordSetupTokensRepository(database),
      unitOfWork,
      passwords,
      revocations,
      audit,
      systemClock,
    );
    const slug = agencyIdSchema.safeParse(values['slug'] ?? values['agency']);
    switch (command) {
      case 'agency:create': {
        const parsedName = name.safeParse(values['name']);
        if (!slug.success) return fail(slug.error);
        if (!parsedName.success) return fail(parsedName.error);
        return print(await agencies.create(actor, { id: slug.data, name: parsedName.data }));
      }
      case 'agency:suspend': {
        const body = suspendAgencyRequestSchema.safeParse({ reason: values['reason'] });
        if (!slug.success) return fail(slug.error);
        if (!body.success) return fail(body.error);
        return print(await agencies.suspend(actor, slug.data, body.data.reason));
      }
      case 'agency:reactivate':
        if (!slug.success) return fail(slug.error);
        return print(await agencies.reactivate(actor, slug.data));
      case 'admin:create': {
        const body = createAgencyAdminRequestSchema.safeParse({
          username: values['username'],
          email: values['email'],
          ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
        });
        if (!slug.success) return fail(slug.error);
        if (!body.success) return fail(body.error);
        return print(await agencies.createAdmin(actor, slug.data, body.data));
      }
      case 'platform-admin:create': {
        const username = usernameSchema.safeParse(values['username']);
        if (!username.success) return fail(username.error);
        if (!env.PLATFORM_ADMIN_PASSWORD) {
          process.stderr.write('PLATFORM_ADMIN_PASSWORD (12-256 characters) is required\n');
          return 2;
        }
        const id = await createPlatformOperatorRow(
          unitOfWork,
          new PlatformOperatorsRepository(database),
          {
            username: username.data,
            passwordHash: await passwords.hash(env.PLATFORM_ADMIN_PASSWORD),
            now: new Date(),
          },
          true,
          (created) =>
            audit.record({
              agencyId: PLATFORM_AGENCY_ID,
              actor,
              action: AuditActions.Created,
              outcome: 'success',
              object: { type: 'platform_operator', id: created },
            }),
        );
        if (!id) {
          process.stderr.write('a platform operator of this name exists; nothing created\n');
          return 1;
        }
        return print({ created: id, username: username.data });
      }
      default:
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof DomainException) {
      process.stderr.write(`${error.code}: ${error.detail}\n`);
      return 1;
    }
    throw error;
  } finally {
    await audit.close();
    redis.disconnect();
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
  }
}

if (require.main === module) {
  platformCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`platform failed: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
}
