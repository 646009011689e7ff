import { z } from 'zod';
import { ConfigError } from './load-config';
import { productionDefault, requiredInProduction } from './production-rules';

/** Environment values arrive as strings: these helpers parse them strictly. */
export const envInt = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const envBool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

export const envUrl = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.join(' or ')}` },
  );

/** Variables every service reads. Each app extends this with its own. */
export const serviceEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Listen address; required in production (containers listen on 0.0.0.0, not the loopback default). */
  HOST: requiredInProduction(z.string().min(1).default('127.0.0.1')),
  /** `redis://` or `rediss://` for one server; `redis+cluster://seed:port` for Redis Cluster (docs/adr/0002). */
  REDIS_URL: requiredInProduction(
    envUrl(['redis', 'rediss', 'redis+cluster', 'rediss+cluster']).default(
      'redis://127.0.0.1:6379',
    ),
  ),
  /** Prefix of every Redis key, stream and queue this deployment uses (isolates tests and tenants of a shared Redis). */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]*$/)
    .default(''),
  SHUTDOWN_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: envUrl(['http', 'https']).optional(),
  /** `memory` keeps spans in process (tests); `otlp` needs OTEL_EXPORTER_OTLP_ENDPOINT; `none` disables export. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'memory', 'none']).default('none'),
  /** Standard OTel variables, read by the SDK's env detector: `service.name` (default: the app's name)... */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** ...and `key=value,...` resource attributes, e.g. `service.namespace=gad,k8s.pod.name=...`. */
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
});

export const databaseEnvSchema = z.object({
  DATABASE_URL: requiredInProduction(
    envUrl(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/gad'),
  ),
  DATABASE_POOL_SIZE: envInt(10, 1, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(5_000, 100, 600_000),
  /**
   * Apply pending migrations of the service's schema at boot (default: on, off in production).
   * Off, the service checks the schema instead and refuses to start on pending or unknown
   * migrations; `npm run db:migrate` applies them (docs/operations/migrations.md).
   */
  MIGRATIONS_AT_BOOT: productionDefault('false', envBool(true)),
});

/** The outbox relay of a service that writes events and audit entries through its outbox. */
export const outboxEnvSchema = z.object({
  /** Relay poll period while idle (the relay is also nudged after each commit). */
  OUTBOX_POLL_MS: envInt(200, 10, 10_000),
  /**
   * A relay pass that sent rows is followed by the next no sooner than this after its start, so
   * commits arriving meanwhile share one pass (0, the default: each nudge starts a pass at once;
   * api-gateway overrides it with 10, docs/adr/0045). A commit that finds the relay idle is relayed
   * at once (docs/adr/0043).
   */
  OUTBOX_COALESCE_MS: envInt(0, 0, 1_000),
});

/**
 * Exact browser origins (`scheme://host[:port]`) or `*`. Browsers refuse a wildcard with
 * credentials, so {@link corsSettingsOf} refuses `*` while CORS_ALLOW_CREDENTIALS is true.
 */
const corsOrigin = z.string().refine(
  (value) => {
    if (value === '*') {
      return true;
    }
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: 'each origin must be exact: scheme://host[:port], no path or trailing slash, or *' },
);

/**
 * Cross-origin access for browser consoles (api-gateway REST, ws-gateway sockets). Empty (the
 * default): no CORS grant at all, so only same-origin pages (and non-browser clients) can call.
 */
export const corsEnvSchema = z.object({
  /** Comma list of exact origins allowed to call from a browser, e.g. `https://console.example.org`. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
    )
    .pipe(z.array(corsOrigin)),
  /** Send `Access-Control-Allow-Credentials: true` (cookies); never with `*`. Tokens need no credentials. */
  CORS_ALLOW_CREDENTIALS: envBool(false),
});

export type CorsEnv = z.infer<typeof corsEnvSchema>;

/** What the gateways apply; throws a {@link ConfigError} for `*` with credentials. */
export interface CorsSettings {
  /** Exact origins, or `'*'`; empty = no CORS. */
  origins: readonly string[];
  credentials: boolean;
}

export function corsSettingsOf(service: string, env: CorsEnv): CorsSettings {
  if (env.CORS_ALLOW_CREDENTIALS && env.CORS_ORIGINS.includes('*')) {
    throw new ConfigError(service, [
      {
        name: 'CORS_ORIGINS',
        message: '`*` is refused while CORS_ALLOW_CREDENTIALS is true: list the exact origins',
      },
    ]);
  }
  return { origins: [...new Set(env.CORS_ORIGINS)], credentials: env.CORS_ALLOW_CREDENTIALS };
}

export type ServiceEnv = z.infer<typeof serviceEnvSchema>;
export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;
