export {
  bootstrapService,
  DEFAULT_BODY_LIMIT_BYTES,
  type BootstrapServiceOptions,
} from './lib/bootstrap/bootstrap-service';
export { DomainException, type DomainExceptionOptions } from './lib/errors/domain.exception';
export {
  ValidationException,
  zodIssuesToFieldErrors,
  type RequestLocation,
} from './lib/errors/validation.exception';
export { toJsonPointer, escapePointerToken } from './lib/errors/json-pointer';
export { SecretBox, type SealedSecret } from './lib/crypto/secret-box';
export {
  toProblem,
  problemType,
  codeForStatus,
  type ProblemContext,
  type MappedProblem,
} from './lib/errors/problem-details';
export { ProblemDetailsFilter } from './lib/errors/problem-details.filter';
export { ZodPipe } from './lib/validation/zod.pipe';
export { ConfigModule } from './lib/config/config.module';
export { HealthModule } from './lib/health/health.module';
export {
  HealthRegistry,
  type HealthCheck,
  type HealthCheckOptions,
  type CheckResult,
  type ReadinessReport,
} from './lib/health/health.registry';
export { Public, IS_PUBLIC_KEY } from './lib/health/public.decorator';
export {
  createDataSource,
  initializeDataSource,
  migrationsTableName,
  pgPoolOf,
  GENERIC_PLAN_SETTINGS,
  type CreateDataSourceOptions,
} from './lib/database/create-data-source';
export { DatabaseModule, type DatabaseModuleOptions } from './lib/database/database.module';
export {
  assertSchemaCurrent,
  knownMigrations,
  MIGRATION_LOCK_KEY,
  runPendingMigrations,
  schemaMigrationStatus,
  SchemaVersionError,
  withMigrationLock,
  type SchemaMigrationStatus,
} from './lib/database/schema-migrations';
export { loadSqlFile, sqlOf } from './lib/database/sql-file';
export {
  Database,
  commitWith,
  connectClient,
  executeText,
  isRetryableTxError,
  queryResult,
  queryRows,
  runTransaction,
  TRANSACTION_ATTEMPTS,
  type SqlClient,
  type SqlQuery,
  type TransactionOptions,
} from './lib/database/database';
export { boolArray, numberArray, textArray, timestampArray } from './lib/database/pg-array';
export {
  redisClientFromUrl,
  redisTlsFromUrl,
  isClusterUrl,
  parseClusterUrl,
} from './lib/redis/redis-client';
export {
  RedisModule,
  REDIS_CLIENT,
  createRedisClient,
  type RedisModuleOptions,
} from './lib/redis/redis.module';
export * from './auth/jwt-verifier';
export * from './auth/auth.guard';
export {
  JwtVerifier,
  AuthException,
  bearerToken,
  type JwtVerifierOptions,
  type VerifiedToken,
} from './auth/jwt-verifier';
export { AuthGuard, Roles, CurrentUser, ROLES_KEY } from './auth/auth.guard';
export * from './http/http-operation.decorator';
export {
  QueueProcessor,
  type QueueConnectionOptions,
  type QueueWorkerSpec,
} from './lib/queue/queue-processor';
export { CLOCK, systemClock, type Clock } from './lib/clock/clock.constants';
export {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_S,
  CORS_METHODS,
  corsOriginAllowed,
  restCorsOptions,
  socketCorsOptions,
} from './lib/cors/cors';
