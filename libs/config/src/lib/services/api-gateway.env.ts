/*
 * api-gateway's environment: the schema it loads at boot (`api-gateway.config.ts`) and the one
 * docker/test holds compose and the k8s overlays to. Variables are listed in the app's README.
 */
import { z } from 'zod';
import {
  corsEnvSchema,
  databaseEnvSchema,
  envBool,
  envInt,
  envUrl,
  outboxEnvSchema,
  serviceEnvSchema,
} from '../env-schemas';
import { requiredInProduction } from '../production-rules';

/** Seals TOTP secrets outside production only (a fixed, public key: never use it for real data). */
const DEVELOPMENT_MFA_SECRETS_KEY = 'Z2FkLWRpc3BhdGNoIGRldmVsb3BtZW50LW9ubHkga2U=';

const pem = (kind: string) =>
  z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes(`-----BEGIN ${kind}-----`), {
      message: `must be a PEM ${kind.toLowerCase()}`,
    });

export const apiGatewayEnvSchema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  /** CORS_ORIGINS, CORS_ALLOW_CREDENTIALS: browser consoles on other origins. */
  ...corsEnvSchema.shape,
  PORT: envInt(3000, 1, 65535),
  /** ES256 (P-256) private key, PKCS#8 PEM; `\n` escapes allowed. Signs access tokens. */
  JWT_PRIVATE_KEY: pem('PRIVATE KEY'),
  JWT_KEY_ID: z.string().min(1).default('gad-1'),
  JWT_ISSUER: z.string().min(1).default('gad-dispatch'),
  JWT_AUDIENCE: z.string().min(1).default('gad-dispatch'),
  JWT_ACCESS_TTL_SECONDS: envInt(900, 30, 3600),
  /** Enables `POST /v1/auth/dev-login` (never in production). */
  AUTH_DEV_LOGIN: envBool(false),
  /** Deadline of request/reply calls to other services over the bus. */
  RPC_TIMEOUT_MS: envInt(2_000, 50, 30_000),
  /**
   * Reads from geo-service and audit-log-worker over Redis pub/sub request/reply when an instance
   * serves it (docs/adr/0024); false: always over their RPC streams.
   */
  RPC_PUBSUB: envBool(true),
  /**
   * Deadline of the zone lookup when an incident is created or moved (geo-service's zone geofence
   * at its location); past it the incident is stored with its geohash cell, zone `unresolved`.
   */
  ZONE_LOOKUP_TIMEOUT_MS: envInt(500, 50, 30_000),
  /**
   * The geo read model (docs/adr/0032): nearest units are read from geo-service's tables on a pool
   * of their own, every transaction read-only. A role with SELECT on `geo.units` only
   * (`gad_geo_reader`, docs/operations/migrations.md); unset: DATABASE_URL.
   */
  GEO_READ_DATABASE_URL: envUrl(['postgres', 'postgresql']).optional(),
  GEO_READ_POOL_SIZE: envInt(10, 1, 100),
  /** Deadline of each geo read (`statement_timeout`); past it the request answers 503. */
  GEO_READ_STATEMENT_TIMEOUT_MS: envInt(2_000, 100, 60_000),
  /**
   * Staleness limit of nearest reads when neither the request nor the agency's settings name one
   * (as geo-service's NEAREST_MAX_POSITION_AGE_S for its RPC callers).
   */
  NEAREST_MAX_POSITION_AGE_S: envInt(300, 1, 86_400),
  /** Units scanned (closest first) to count those a nearest read excluded (0: none). */
  NEAREST_EXCLUSION_SCAN_LIMIT: envInt(1_000, 0, 100_000),
  /** Consecutive upstream failures (timeouts, unreachable) that open a service's circuit. */
  RPC_BREAKER_THRESHOLD: envInt(10, 1, 1_000),
  /** How long an open circuit refuses calls (503) before letting one through to probe. */
  RPC_BREAKER_HALF_OPEN_MS: envInt(5_000, 100, 600_000),
  /** OUTBOX_POLL_MS, OUTBOX_COALESCE_MS: its outbox relay. */
  ...outboxEnvSchema.shape,
  /**
   * The gateway's relay lets the commits of 10 ms share one pass under load (docs/adr/0045): at
   * 500 POST/s a pass per commit cost it and its PostgreSQL backends about a tenth more CPU per
   * POST. A commit that finds the relay idle is still relayed at once.
   */
  OUTBOX_COALESCE_MS: envInt(10, 0, 1_000),
  /**
   * Statement timeout of the response-time figures and their CSV export (one read-only snapshot
   * each), instead of DATABASE_STATEMENT_TIMEOUT_MS: a year of a large city's incidents takes
   * seconds to aggregate (docs/benchmarks.md, Reports).
   */
  REPORTS_STATEMENT_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  // Identity and edge protections (see README).
  /** Lifetime of a session: refresh is refused this long after the login (re-authentication). */
  AUTH_SESSION_MAX_AGE_SECONDS: envInt(12 * 3600, 60, 7 * 24 * 3600),
  /**
   * Refresh is refused after this long without one (idle timeout; CJIS: 30 min for consoles).
   * AUTH_IDLE_TIMEOUT_BY_ROLE overrides it per role (`officer=28800,service=86400`: devices on a
   * shift); a user with several roles gets the shortest.
   */
  AUTH_IDLE_TIMEOUT_SECONDS: envInt(30 * 60, 30, 7 * 24 * 3600),
  AUTH_IDLE_TIMEOUT_BY_ROLE: z
    .string()
    .default('officer=28800,service=86400')
    .transform((value, ctx) => {
      const byRole: Record<string, number> = {};
      for (const pair of value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const match = /^([a-z_]{1,32})=(\d{2,6})$/.exec(pair);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `"${pair}" is not role=seconds` });
          return z.NEVER;
        }
        byRole[match[1] as string] = Number(match[2]);
      }
      return byRole;
    }),
  /**
   * Failed-login throttling (no lockout by strangers): failures counted within
   * AUTH_LOCKOUT_WINDOW_SECONDS per account and source address, per source, and per account from
   * all sources. Beyond each scope's free attempts every failure doubles a temporary lock, from
   * AUTH_THROTTLE_BASE_DELAY_SECONDS up to AUTH_THROTTLE_MAX_DELAY_SECONDS.
   */
  AUTH_LOCKOUT_WINDOW_SECONDS: envInt(15 * 60, 10, 24 * 3600),
  AUTH_THROTTLE_FREE_ATTEMPTS: envInt(3, 1, 100),
  AUTH_THROTTLE_SOURCE_FREE_ATTEMPTS: envInt(30, 1, 100_000),
  AUTH_THROTTLE_ACCOUNT_FREE_ATTEMPTS: envInt(20, 1, 100_000),
  AUTH_THROTTLE_BASE_DELAY_SECONDS: envInt(1, 1, 3600),
  AUTH_THROTTLE_MAX_DELAY_SECONDS: envInt(900, 1, 86_400),
  /** Issuer shown by authenticator apps next to the account (TOTP). */
  AUTH_MFA_ISSUER: z.string().min(1).max(64).default('GAD Dispatch'),
  /**
   * Key sealing TOTP secrets at rest (AES-256-GCM, bound to the user's row): base64 of 32 random
   * bytes, named MFA_SECRETS_KEY_ID in what it seals. Required in production; elsewhere a fixed
   * development key applies.
   */
  MFA_SECRETS_KEY: requiredInProduction(z.string().min(40).default(DEVELOPMENT_MFA_SECRETS_KEY)),
  MFA_SECRETS_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('k1'),
  /** Earlier keys still opening what they sealed while rotating: `<id>:<base64>,...`. */
  MFA_SECRETS_PREVIOUS_KEYS: z.string().default(''),
  /**
   * Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed: the client address
   * of rate limits, login throttling, sessions and audit. Empty: the peer address, headers ignored.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)), {
      message: 'a comma-separated list of IP addresses or CIDR ranges',
    }),
  /** Accounts unused this long are disabled. */
  AUTH_INACTIVE_DISABLE_DAYS: envInt(90, 1, 3650),
  /** First admin, created at boot when no admin exists (all of these, or none). */
  BOOTSTRAP_AGENCY_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/)
    .optional(),
  BOOTSTRAP_AGENCY_NAME: z.string().min(1).max(200).optional(),
  BOOTSTRAP_ADMIN_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/)
    .optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12).max(256).optional(),
  /**
   * First platform operator (role `platform-admin`, no agency), created at boot when no operator
   * exists (both, or neither). Platform operators create and manage agencies (docs/adr/0018).
   */
  BOOTSTRAP_PLATFORM_ADMIN_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/)
    .optional(),
  BOOTSTRAP_PLATFORM_ADMIN_PASSWORD: z.string().min(12).max(256).optional(),
  /**
   * Requests per RATE_LIMIT_WINDOW_SECONDS per authenticated user, and per client IP for requests
   * without a valid access token (anonymous, or a token that fails verification).
   */
  RATE_LIMIT_IP_POINTS: envInt(6_000, 1, 10_000_000),
  RATE_LIMIT_USER_POINTS: envInt(3_000, 1, 10_000_000),
  RATE_LIMIT_WINDOW_SECONDS: envInt(60, 1, 3600),
  /**
   * Adaptive concurrency limit of this instance (docs/adr/0024): requests beyond it get 503 +
   * Retry-After before any work. It starts at CONCURRENCY_LIMIT_INITIAL and moves with latency
   * between CONCURRENCY_LIMIT_MIN and MAX_IN_FLIGHT_REQUESTS (the ceiling).
   */
  MAX_IN_FLIGHT_REQUESTS: envInt(256, 1, 100_000),
  CONCURRENCY_LIMIT_INITIAL: envInt(32, 1, 100_000),
  CONCURRENCY_LIMIT_MIN: envInt(4, 1, 100_000),
  /** Deadline of the gateway's own Redis commands (rate limits, idempotency, revocations). */
  REDIS_COMMAND_TIMEOUT_MS: envInt(1_000, 50, 30_000),
});
