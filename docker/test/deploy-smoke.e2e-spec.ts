// Deploy smoke test: would the deployment files start the system? For docker/compose.yml and the
// rendered k8s prod overlay, every service's environment is taken from the files exactly (compose:
// `environment` with anchors resolved; k8s: ConfigMaps, `value`s, fieldRefs, and the Secrets the
// Deployments reference, whose values this test supplies), over the image's own ENV. Only what a
// cluster provides and this machine cannot is replaced:
//
//   - in-cluster host names -> loopback servers started for the test: `postgres` / `gad-pg-rw`
//     -> a fresh database cloned from gad_test (PostGIS); `redis` -> the stack's Redis;
//     `redis-cluster` -> a private 6-node Redis Cluster; `otel-collector*` -> a local sink that
//     accepts OTLP;
//   - PORT -> a free port (the files' fixed ports may be taken on a shared machine), and
//     REDIS_KEY_PREFIX -> a unique prefix (isolation on the shared Redis).
//
// Then the role bootstrap runs (compose: its `db-roles` one-shot; k8s: what CloudNativePG's managed
// roles do, as the test database's superuser), the migration step runs with the environment of
// compose's `migrate` service / the k8s `db-migrate` Job (`node tools/scripts/db-migrate.mjs up`,
// as gad_migrator), and the BUILT services (dist/, `npm run build`) boot in production mode. Each
// must answer `GET /health/ready` 200, and each service that owns a schema must hold connections
// to the deployment's database, logged in as its own runtime role (docs/adr/0025) — a service
// that fell back to a default URL would be ready against some other database. URLs keep the
// files' role names; the loopback PostgreSQL trusts them, so passwords are not checked here. No container engine runs here: the
// images themselves are not built (docker/README.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import {
  createTestDatabase,
  freePort,
  isolatedRedisPrefix,
  startRedisCluster,
  testStack,
  type RedisClusterHandle,
  type TestDatabase,
} from '@gad/testing';
import { Client } from 'pg';
import { parse, parseAllDocuments } from 'yaml';
import {
  appNames,
  databaseSecrets,
  envSchemas,
  generatedSecrets,
  interpolate,
  repoRoot,
  runtimeRoleOf,
} from './deploy-test-helpers';

jest.setTimeout(300_000);

type Env = Record<string, string>;

/** What a deployment file gives the migration step and each service. */
interface DeploymentEnv {
  /** The role bootstrap's environment (compose's `db-roles`); k8s: CloudNativePG does it. */
  readonly roles: Env | undefined;
  readonly migrate: Env | undefined;
  readonly services: Readonly<Record<string, Env | undefined>>;
}

/** The runtime image's own ENV (docker/Dockerfile), under what compose and k8s set. */
const IMAGE_ENV: Env = {
  NODE_ENV: 'production',
  HOST: '0.0.0.0',
  NODE_OPTIONS: '--enable-source-maps',
};

/** Apps whose schema declares DATABASE_URL (they own a schema and migrate it). */
const databaseApps = appNames.filter((app) => 'DATABASE_URL' in (envSchemas[app].shape ?? {}));

function composeEnv(secrets: Env): DeploymentEnv {
  const compose = parse(readFileSync(join(repoRoot, 'docker', 'compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, { environment?: Record<string, unknown> } | undefined> };
  const envOf = (name: string): Env | undefined => {
    const service = compose.services[name];
    if (!service) {
      return undefined;
    }
    return Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([key, value]) => [
        key,
        interpolate(String(value), secrets),
      ]),
    );
  };
  return {
    roles: envOf('db-roles'),
    migrate: envOf('migrate'),
    services: Object.fromEntries(appNames.map((app) => [app, envOf(app)])),
  };
}

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: K8sContainer[] } } };
}

interface K8sContainer {
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      fieldRef?: { fieldPath: string };
    };
  }>;
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectl.status === 0;
if (!haveKubectl) {
  console.warn(
    'deploy smoke test, k8s half SKIPPED: kubectl is not on PATH (kubectl kustomize renders k8s/)',
  );
}

function k8sEnv(overlay: string, secrets: Env): DeploymentEnv {
  const rendered = spawnSync('kubectl', ['kustomize', join(repoRoot, 'k8s', overlay)], {
    encoding: 'utf8',
  });
  if (rendered.status !== 0) {
    throw new Error(`kubectl kustomize k8s/${overlay} failed:\n${rendered.stderr}`);
  }
  const objects = parseAllDocuments(rendered.stdout).map(
    (document) => document.toJS() as K8sObject,
  );
  const find = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const envOf = (kind: string, name: string): Env | undefined => {
    const container = find(kind, name)?.spec?.template?.spec?.containers?.[0];
    if (!container) {
      return undefined;
    }
    const env: Env = {};
    for (const source of container.envFrom ?? []) {
      if (source.secretRef) {
        throw new Error(
          `${name}: envFrom secretRef ${source.secretRef.name} is not supported here`,
        );
      }
      Object.assign(env, find('ConfigMap', source.configMapRef?.name ?? '')?.data ?? {});
    }
    for (const variable of container.env ?? []) {
      const secretRef = variable.valueFrom?.secretKeyRef;
      if (secretRef) {
        // By `<secret>/<key>` (per-service database URLs), else by the variable it fills.
        const secret = secrets[`${secretRef.name}/${secretRef.key}`] ?? secrets[variable.name];
        if (secret === undefined && secretRef.optional) {
          continue; // an optional key the operator did not set (Telegram, SMTP)
        }
        if (secret === undefined) {
          throw new Error(
            `${name}: the test supplies no value for the Secret behind ${variable.name}`,
          );
        }
        env[variable.name] = secret;
      } else if (variable.valueFrom?.fieldRef) {
        env[variable.name] = `${name}-7c9d8-x2k4p`; // metadata.name of a pod
      } else {
        env[variable.name] = String(variable.value ?? '');
      }
    }
    return env;
  };
  return {
    roles: undefined,
    migrate: envOf('Job', 'db-migrate'),
    services: Object.fromEntries(appNames.map((app) => [app, envOf('Deployment', app)])),
  };
}

/** Loopback stand-ins for what the cluster provides. */
interface Loopback {
  databaseUrl: string;
  redisUrl: string;
  redisClusterUrl?: string;
  collectorUrl: string;
  redisKeyPrefix: string;
}

/** Replaces in-cluster addresses by the loopback servers; unknown hosts are left as they are. */
function toLoopback(env: Env, loopback: Loopback): Env {
  const mapped: Env = {};
  for (const [key, value] of Object.entries(env)) {
    mapped[key] = value;
    if (!/^[a-z+]+:\/\//.test(value)) {
      continue;
    }
    const url = new URL(value);
    const protocol = url.protocol.replace(/:$/, '');
    if (
      ['postgres', 'postgresql'].includes(protocol) &&
      ['postgres', 'gad-pg-rw'].includes(url.hostname)
    ) {
      // The loopback database, logged in as the file's role.
      const local = new URL(loopback.databaseUrl);
      local.username = url.username;
      local.password = url.password;
      mapped[key] = local.toString();
    } else if (['redis', 'rediss'].includes(protocol) && url.hostname === 'redis') {
      mapped[key] = loopback.redisUrl;
    } else if (protocol === 'redis+cluster' && url.hostname === 'redis-cluster') {
      if (!loopback.redisClusterUrl) {
        throw new Error(`${key}: a Redis Cluster URL but no local cluster was started`);
      }
      mapped[key] = loopback.redisClusterUrl;
    } else if (url.hostname.startsWith('otel-collector')) {
      mapped[key] = loopback.collectorUrl;
    }
  }
  if ('REDIS_URL' in mapped) {
    mapped['REDIS_KEY_PREFIX'] = loopback.redisKeyPrefix;
  }
  return mapped;
}

interface Outcome {
  /** `ready`, or why not (exit code and the last lines of output). */
  readonly status: string;
  /** Connections this app holds to the deployment's database, counted right after readiness. */
  readonly databaseConnections?: number;
  /** The roles those connections logged in as. */
  readonly databaseRoles?: string[];
}

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startProcess(args: string[], env: Env): Started {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  return { child, output, exited };
}

const tail = (output: string[]) => output.slice(-15).join('\n');

async function runMigrationStep(
  env: Env,
  command = 'up',
): Promise<{ code: number | null; output: string }> {
  const run = startProcess(['tools/scripts/db-migrate.mjs', command], env);
  const code = await run.exited;
  return { code, output: run.output.join('\n') };
}

async function readyWithin(port: number, started: Started, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) {
      return `exited with code ${started.child.exitCode}:\n${tail(started.output)}`;
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (response.status === 200) {
        return 'ready';
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return `not ready within ${timeoutMs} ms:\n${tail(started.output)}`;
}

async function connectionsOf(
  databaseUrl: string,
  app: string,
): Promise<{ databaseConnections: number; databaseRoles: string[] }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ role: string; count: string }>(
      `SELECT usename AS role, count(*) AS count FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 GROUP BY usename ORDER BY 1`,
      [app],
    );
    return {
      databaseConnections: rows.reduce((sum, row) => sum + Number(row.count), 0),
      databaseRoles: rows.map((row) => row.role),
    };
  } finally {
    await client.end();
  }
}

/** Boots every service of a deployment at once with its environment; returns each outcome. */
async function bootAll(
  deployment: DeploymentEnv,
  loopback: Loopback,
): Promise<Record<string, Outcome>> {
  const { findService, serviceCommand } = require(
    join(repoRoot, 'tools', 'scripts', 'services.cjs'),
  ) as {
    findService(name: string): unknown;
    serviceCommand(app: string): { args: string[] };
  };
  const started = new Map<string, { process: Started; port: number }>();
  const outcomes: Record<string, Outcome> = {};
  try {
    for (const app of appNames) {
      const env = deployment.services[app];
      if (!env) {
        outcomes[app] = { status: 'not in the deployment file' };
        continue;
      }
      findService(app);
      const port = await freePort();
      const processEnv = { ...IMAGE_ENV, ...toLoopback(env, loopback), PORT: String(port) };
      started.set(app, { process: startProcess(serviceCommand(app).args, processEnv), port });
    }
    await Promise.all(
      [...started].map(async ([app, { process: run, port }]) => {
        const status = await readyWithin(port, run, 120_000);
        outcomes[app] =
          status === 'ready' && databaseApps.includes(app)
            ? { status, ...(await connectionsOf(loopback.databaseUrl, app)) }
            : { status };
      }),
    );
  } finally {
    await Promise.all(
      [...started.values()].map(async ({ process: run }) => {
        if (run.child.exitCode === null) {
          run.child.kill('SIGTERM');
          const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
          await run.exited;
          clearTimeout(timer);
        }
      }),
    );
  }
  return outcomes;
}

/** An HTTP server that accepts whatever is posted (OTLP exports) with 200. */
async function startCollectorSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(),
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

/** The secrets an operator provides: by `<secret>/<key>` or the variable the files put them in. */
function operatorSecrets(): Env {
  return {
    ...generatedSecrets(),
    ...databaseSecrets(appNames),
    // The prod overlay's Redis Cluster; mapped to the local cluster (no password there).
    'gad-redis/url': 'redis+cluster://:redis-password@redis-cluster:6379',
  };
}

interface Half {
  name: string;
  enabled: boolean;
  environment(secrets: Env): DeploymentEnv;
  redisCluster: boolean;
}

const halves: Half[] = [
  { name: 'docker/compose.yml', enabled: true, environment: composeEnv, redisCluster: false },
  {
    name: 'k8s/overlays/prod',
    enabled: haveKubectl,
    environment: (secrets) => k8sEnv('overlays/prod', secrets),
    redisCluster: true,
  },
];

describe.each(halves.filter((half) => half.enabled))('deploy smoke: $name', (half) => {
  let database: TestDatabase;
  let cluster: RedisClusterHandle | undefined;
  let collector: { url: string; server: Server };
  const redisPrefix = isolatedRedisPrefix();
  let roles: { code: number | null; output: string } | undefined;
  let migration: { code: number | null; output: string } | undefined;
  let deployment: DeploymentEnv;
  let outcomes: Record<string, Outcome> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    collector = await startCollectorSink();
    cluster = half.redisCluster ? await startRedisCluster() : undefined;
    const loopback: Loopback = {
      databaseUrl: database.url,
      redisUrl: testStack.redisUrl,
      redisClusterUrl: cluster?.url,
      collectorUrl: collector.url,
      redisKeyPrefix: redisPrefix.prefix,
    };
    // In-cluster URLs of the Secrets; mapped to the test database like every other in-cluster URL.
    deployment = half.environment(operatorSecrets());
    // The role bootstrap: compose's one-shot, or (k8s) CloudNativePG's managed roles, for which
    // the same command stands in as the cluster's superuser.
    roles = await runMigrationStep(
      { ...IMAGE_ENV, ...toLoopback(deployment.roles ?? { DATABASE_URL: database.url }, loopback) },
      'roles',
    );
    if (roles.code === 0 && deployment.migrate) {
      migration = await runMigrationStep({
        ...IMAGE_ENV,
        ...toLoopback(deployment.migrate, loopback),
      });
    }
    if (migration?.code === 0) {
      outcomes = await bootAll(deployment, loopback);
    }
  }, 280_000);

  afterAll(async () => {
    await cluster?.stop();
    await redisPrefix.cleanUp();
    await new Promise((resolve) => collector?.server.close(resolve));
    await database?.drop();
  }, 60_000);

  it('bootstraps the roles, then migrates every schema as gad_migrator in production mode', () => {
    expect({ code: roles?.code, output: roles?.output }).toEqual({
      code: 0,
      output: expect.stringContaining('roles ready'),
    });
    expect(deployment.migrate).toEqual(expect.objectContaining({ NODE_ENV: 'production' }));
    expect(new URL(deployment.migrate?.['DATABASE_URL'] ?? 'x:').username).toBe('gad_migrator');
    expect({ code: migration?.code, output: migration?.output }).toEqual({
      code: 0,
      output: expect.stringMatching(/pending: none/),
    });
    expect(migration?.output).not.toMatch(/pending: (?!none)/);
  });

  it.each(appNames)('%s boots in production mode from the file and is ready', (app) => {
    expect(deployment.services[app]?.['NODE_ENV'] ?? IMAGE_ENV['NODE_ENV']).toBe('production');
    expect({ app, status: outcomes[app]?.status }).toEqual({ app, status: 'ready' });
    if (databaseApps.includes(app)) {
      // Ready against the deployment's database, not one found by a default URL.
      expect({ app, connections: outcomes[app]?.databaseConnections }).toEqual({
        app,
        connections: expect.any(Number),
      });
      expect(outcomes[app]?.databaseConnections).toBeGreaterThan(0);
      // Logged in as its runtime role only (DML on its own schema), never the migrator.
      expect({ app, roles: outcomes[app]?.databaseRoles }).toEqual({
        app,
        roles: [runtimeRoleOf(app)],
      });
    }
  });
});
