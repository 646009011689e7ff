import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  appNames,
  configIssues,
  envSchemas,
  expectNodeOptionsOf,
  generatedSecrets,
  interpolate,
  nodeRuntimeVariables,
  repoRoot,
  runBin,
  runtimeRoleOf,
} from './deploy-test-helpers';

interface ComposeService {
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  healthcheck?: { test: string[] };
  build?: { args?: Record<string, string> };
  read_only?: boolean;
}

const composeFile = join(repoRoot, 'docker', 'compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

describe('docker/compose.yml', () => {
  it('passes dclint with no warnings', () => {
    const { status, output } = runBin('dclint', ['docker/compose.yml', '--max-warnings', '0']);
    expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });
  });

  it.each(appNames)('%s: its environment satisfies the app config schema', (app) => {
    const service = compose.services[app];
    expect(service).toBeDefined();
    expect(service.build?.args?.APP).toBe(app);
    const secrets = generatedSecrets();
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      env[key] = interpolate(String(value), secrets);
    }
    const schema = envSchemas[app];
    // What the app would refuse at boot, production rules included (NODE_ENV=production).
    expect(env.NODE_ENV).toBe('production');
    expect(configIssues(app, env)).toEqual([]);
    // Every variable set is one the app reads: a misspelt name would be silently ignored.
    const known = Object.keys(schema.shape ?? {});
    expect(
      Object.keys(env).filter((key) => !known.includes(key) && !nodeRuntimeVariables.includes(key)),
    ).toEqual([]);
    expectNodeOptionsOf(app, env);
    // Containers listen on every interface; the published port, the app's PORT and the health
    // check agree; the service runs read-only and exports traces.
    expect(env.HOST).toBe('0.0.0.0');
    expect(service.ports).toEqual([`127.0.0.1:${env.PORT}:${env.PORT}`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`:${env.PORT}/health/ready`);
    expect(service.read_only).toBe(true);
    expect(env.OTEL_TRACES_EXPORTER).toBe('otlp');
  });

  it('bootstraps the roles, migrates as gad_migrator, and runs each app as its runtime role', () => {
    type OneShot = ComposeService & {
      command?: string[];
      depends_on?: Record<string, { condition: string }>;
    };
    const roles = compose.services['db-roles'] as OneShot;
    expect(roles?.command).toEqual(['node', 'tools/scripts/db-migrate.mjs', 'roles']);
    expect(roles?.environment).toEqual({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://postgres@postgres:5432/gad',
    });
    const migrate = compose.services['migrate'] as OneShot;
    expect(migrate?.command).toEqual(['node', 'tools/scripts/db-migrate.mjs', 'up']);
    expect(migrate?.depends_on?.['db-roles']).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(migrate?.environment).toEqual({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://gad_migrator@postgres:5432/gad',
    });
    for (const app of appNames) {
      const service = compose.services[app] as OneShot;
      if (service.environment?.DATABASE_URL !== undefined) {
        expect({ app, migrate: service.depends_on?.['migrate'] }).toEqual({
          app,
          migrate: { condition: 'service_completed_successfully' },
        });
        expect(service.environment.DATABASE_URL).toBe(
          `postgres://${runtimeRoleOf(app)}@postgres:5432/gad`,
        );
      }
    }
  });

  it('gives api-gateway a first login and its TOTP sealing key, notification-service its sealing key, all required', () => {
    const gateway = compose.services['api-gateway'].environment ?? {};
    const notify = compose.services['notification-service'].environment ?? {};
    for (const value of [
      gateway.BOOTSTRAP_PLATFORM_ADMIN_USERNAME,
      gateway.BOOTSTRAP_PLATFORM_ADMIN_PASSWORD,
      gateway.MFA_SECRETS_KEY,
      notify.NOTIFY_SECRETS_KEY,
    ]) {
      expect(() => interpolate(String(value), {})).toThrow(/is required/);
    }
    expect(gateway.AUTH_DEV_LOGIN).toBe('false');
  });

  it('fails loudly when a secret is not provided', () => {
    const env = compose.services['api-gateway'].environment ?? {};
    expect(() => interpolate(String(env.JWT_PRIVATE_KEY), {})).toThrow(/JWT_PRIVATE_KEY/);
  });

  it('runs the observability stack wired to the committed configs', () => {
    const names = Object.keys(compose.services);
    for (const name of ['postgres', 'redis', 'otel-collector', 'jaeger', 'prometheus', 'grafana']) {
      expect(names).toContain(name);
    }
    const prometheus = parse(
      readFileSync(join(repoRoot, 'docker', 'prometheus', 'prometheus.yml'), 'utf8'),
    ) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((config) => config.targets),
    );
    for (const app of appNames) {
      const port = compose.services[app].environment?.PORT;
      expect(targets).toContain(`${app}:${port}`);
    }
  });

  it('gives audit-log-worker its witness on a volume outside the database (ADR 0022)', () => {
    const worker = compose.services['audit-log-worker'] as ComposeService & { volumes?: string[] };
    const dir = worker.environment?.['AUDIT_WITNESS_DIR'];
    expect(dir).toBe('/var/lib/gad/audit-witness');
    // A named volume (the root filesystem is read-only), not the database's.
    expect(worker.volumes).toEqual([`audit-witness:${String(dir)}`]);
    const file = parse(readFileSync(composeFile, 'utf8')) as { volumes?: Record<string, unknown> };
    expect(Object.keys(file.volumes ?? {})).toContain('audit-witness');
    // The image creates the mount point for the service user, so a fresh volume is writable.
    const dockerfile = readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`chown node:node ${String(dir)}`);
  });
});
