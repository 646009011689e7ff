import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  applyProductionRules,
  apiGatewayEnvSchema,
  auditLogWorkerEnvSchema,
  geoServiceEnvSchema,
  notificationServiceEnvSchema,
  wsGatewayEnvSchema,
} from '@gad/config';
import { createAuditSigningKeyPem, createTestKeyPair, jwtEnvOf } from '@gad/testing';
import type { ZodType } from 'zod';

export const repoRoot = join(__dirname, '..', '..');

/** Each app's zod environment schema, by service name. */
export const envSchemas: Readonly<Record<string, ZodType & { shape?: Record<string, unknown> }>> = {
  'api-gateway': apiGatewayEnvSchema,
  'ws-gateway': wsGatewayEnvSchema,
  'geo-service': geoServiceEnvSchema,
  'audit-log-worker': auditLogWorkerEnvSchema,
  'notification-service': notificationServiceEnvSchema,
};

export const appNames = Object.keys(envSchemas);

/**
 * Freshly generated stand-ins for the secrets an operator provides (nothing is committed), by the
 * variable the files put them in. Optional ones (Telegram, SMTP) are left out: a deployment must
 * start without them.
 */
export function generatedSecrets(): Record<string, string> {
  return {
    ...jwtEnvOf(createTestKeyPair()),
    AUDIT_SIGNING_KEY: createAuditSigningKeyPem(),
    NOTIFY_SECRETS_KEY: randomBytes(32).toString('base64'),
    MFA_SECRETS_KEY: randomBytes(32).toString('base64'),
    BOOTSTRAP_PLATFORM_ADMIN_USERNAME: 'platform.admin',
    BOOTSTRAP_PLATFORM_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
  };
}

/** The runtime role a service logs in as (tools/scripts/db-migrate.mjs, docs/adr/0025). */
export const runtimeRoleOf = (app: string): string => `gad_${app.replaceAll('-', '_')}`;

/**
 * The k8s Secrets' database URLs (`gad-pg-<app>/uri`, `gad-pg-migrator/uri`), by `<secret>/<key>`,
 * each with its role and an in-cluster host.
 */
export function databaseSecrets(apps: readonly string[]): Record<string, string> {
  const uri = (role: string) => `postgresql://${role}:${role}-password@gad-pg-rw:5432/gad`;
  return {
    'gad-pg-migrator/uri': uri('gad_migrator'),
    // api-gateway's read-only role for nearest units (docs/adr/0032).
    'gad-pg-geo-reader/uri': uri('gad_geo_reader'),
    ...Object.fromEntries(apps.map((app) => [`gad-pg-${app}/uri`, uri(runtimeRoleOf(app))])),
  };
}

/** Runs a command of node_modules/.bin; returns its exit status and output. */
export function runBin(name: string, args: string[]): { status: number; output: string } {
  try {
    const output = execFileSync(join(repoRoot, 'node_modules', '.bin', name), args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { status: 0, output };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { status: failed.status ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Variables read by Node itself rather than by the app's schema. */
export const nodeRuntimeVariables = ['NODE_OPTIONS'];

/**
 * The Node options a container gets (`NODE_OPTIONS`, else the image's `--enable-source-maps`)
 * hold the ones tools/scripts/services.cjs runs the app with locally, plus source maps.
 */
export function expectNodeOptionsOf(app: string, env: Record<string, string>): void {
  const { findService } = require(join(repoRoot, 'tools', 'scripts', 'services.cjs')) as {
    findService(name: string): { nodeOptions: readonly string[] };
  };
  const options = (env['NODE_OPTIONS'] ?? '--enable-source-maps').split(/\s+/).filter(Boolean);
  expect(options).toEqual(
    expect.arrayContaining(['--enable-source-maps', ...findService(app).nodeOptions]),
  );
}

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` against `vars`. */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_match, name: string, kind?: string, rest?: string) => {
      const found = vars[name];
      if (found !== undefined && found !== '') {
        return found;
      }
      if (kind === '?') {
        throw new Error(`\${${name}} is required: ${rest}`);
      }
      return kind === '-' ? (rest ?? '') : '';
    },
  );
}

/**
 * What loadConfig would refuse at boot for this environment: the production rules (variables
 * required when NODE_ENV=production, e.g. DATABASE_URL) and the schema, as `NAME: message` lines.
 */
export function configIssues(app: string, env: Record<string, string>): string[] {
  const schema = envSchemas[app];
  const production = applyProductionRules(schema, env);
  const parsed = schema.safeParse(production.env);
  return [
    ...production.issues.map((issue) => `${issue.name}: ${issue.message}`),
    ...(parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
  ];
}
