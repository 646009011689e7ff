import { isolatedRedisPrefix, type IsolatedRedisPrefix } from './redis-prefix';
import { startServiceProcess, type ServiceProcess } from './service-process';
import { createTestDatabase, type TestDatabase } from './test-database';
import {
  createTestKeyPair,
  jwtEnvOf,
  signTestAccessToken,
  type TestKeyPair,
  type TestTokenClaims,
} from './test-keys';

/**
 * What the services of one test file share on the real stack: a throwaway database, a private
 * Redis key prefix, an access-token key pair, and the variables that hand them to the services.
 */
export interface TestEnvironment {
  readonly database: TestDatabase;
  readonly redis: IsolatedRedisPrefix;
  readonly keys: TestKeyPair;
  /**
   * `DATABASE_URL`, `REDIS_KEY_PREFIX`, `JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEY`, `AUTH_DEV_LOGIN=true`,
   * then the variables passed to {@link createTestEnvironment}.
   */
  readonly env: Readonly<Record<string, string>>;
  /** An access token signed with {@link keys}. */
  signToken(claims: TestTokenClaims): Promise<string>;
  /** Drops the database and deletes the prefix's keys (stop the services first). */
  cleanUp(): Promise<void>;
}

export async function createTestEnvironment(
  env: Readonly<Record<string, string>> = {},
): Promise<TestEnvironment> {
  const database = await createTestDatabase();
  const redis = isolatedRedisPrefix();
  const keys = createTestKeyPair();
  return {
    database,
    redis,
    keys,
    env: {
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: redis.prefix,
      ...jwtEnvOf(keys),
      AUTH_DEV_LOGIN: 'true',
      ...env,
    },
    signToken: (claims) => signTestAccessToken(keys, claims),
    async cleanUp() {
      await Promise.all([database.drop(), redis.cleanUp()]);
    },
  };
}

export interface StartTestAppOptions {
  /** Variables for this service only, over the environment's. */
  env?: Readonly<Record<string, string>>;
  /** Deadline for `/health/ready` (default 60 s: services that own a schema migrate it first). */
  readyTimeoutMs?: number;
}

/**
 * Starts the built app (`dist/`, `node tools/scripts/build.mjs`) as a process on the real stack with
 * the test environment; stop it with `stop()` (or `stopAllServiceProcesses()`) before `cleanUp()`.
 * Services that own a schema migrate it at boot: start them one after another.
 */
export function startTestApp(
  app: string,
  environment: TestEnvironment,
  options: StartTestAppOptions = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    app,
    env: { ...environment.env, ...options.env },
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
  });
}
