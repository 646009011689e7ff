import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  appNames,
  configIssues,
  envSchemas,
  expectNodeOptionsOf,
  generatedSecrets,
  nodeRuntimeVariables,
  repoRoot,
  runtimeRoleOf,
} from './deploy-test-helpers';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface Container {
  name: string;
  image: string;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      fieldRef?: { fieldPath: string };
    };
  }>;
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; fsGroup?: number };
  containers: Container[];
  volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>;
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectl.status === 0;
if (!haveKubectl) {
  console.warn('k8s checks SKIPPED: kubectl is not on PATH (install kubectl 1.32 to render k8s/)');
}
const describeIfKubectl = haveKubectl ? describe : describe.skip;

/** kubernetes-models class of an apiVersion/kind, or undefined for custom resources. */
function modelOf(
  apiVersion: string,
  kind: string,
): (new (data: unknown) => { validate(): void }) | undefined {
  const path = apiVersion.includes('/') ? apiVersion : `${apiVersion}`;
  try {
    const module = require(`kubernetes-models/${path}`) as Record<string, unknown>;
    return module[kind] as (new (data: unknown) => { validate(): void }) | undefined;
  } catch {
    return undefined;
  }
}

function render(overlay: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', join(repoRoot, 'k8s', overlay)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(output).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as K8sObject;
  });
}

const podSpecOf = (deployment: K8sObject): PodSpec =>
  (deployment.spec as { template: { spec: PodSpec } }).template.spec;

describeIfKubectl.each(['overlays/dev', 'overlays/prod'])('k8s %s', (overlay) => {
  let objects: K8sObject[];
  const find = (kind: string, name: string): K8sObject | undefined =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);

  beforeAll(() => {
    objects = render(overlay);
  });

  it('renders objects that validate against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(30);
    const invalid: string[] = [];
    for (const object of objects) {
      const Model = modelOf(object.apiVersion, object.kind);
      if (['postgresql.cnpg.io/v1', 'monitoring.coreos.com/v1'].includes(object.apiVersion)) {
        continue; // custom resources: checked below
      }
      if (!Model) {
        invalid.push(`${object.kind} ${object.metadata.name}: unknown ${object.apiVersion}`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        invalid.push(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('mounts the audit witness on a persistent volume every worker replica shares (ADR 0022)', () => {
    const pod = podSpecOf(find('Deployment', 'audit-log-worker') as K8sObject);
    const dir = find('ConfigMap', 'audit-log-worker')?.data?.['AUDIT_WITNESS_DIR'];
    expect(dir).toBe('/var/lib/gad/audit-witness');
    const mount = pod.containers[0]?.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount).toBeDefined();
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    const claimName = volume?.persistentVolumeClaim?.claimName;
    expect(claimName).toBe('audit-witness');
    const claim = find('PersistentVolumeClaim', claimName as string);
    expect((claim?.spec as { accessModes?: string[] }).accessModes).toEqual(['ReadWriteMany']);
    expect(pod.securityContext?.fsGroup).toBe(1000);
  });

  it('commits no Secret values', () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it.each(appNames)('%s: Deployment, Service, HPA and PDB that fit the app', (app) => {
    const deployment = find('Deployment', app);
    expect(deployment).toBeDefined();
    expect(find('Service', app)).toBeDefined();
    expect(find('HorizontalPodAutoscaler', app)).toBeDefined();
    expect(find('PodDisruptionBudget', app)).toBeDefined();
    const pod = podSpecOf(deployment as K8sObject);
    const [container] = pod.containers;
    expect(container.image).toMatch(new RegExp(`^gad/${app}:`));
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container.resources?.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
    expect(container.resources?.limits?.memory).toEqual(expect.any(String));
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext).toEqual(
      expect.objectContaining({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      }),
    );

    // The environment the pod gets satisfies the app's schema (secrets stand in for the Secrets).
    const secrets: Record<string, string> = {
      ...generatedSecrets(),
      DATABASE_URL: `postgresql://${runtimeRoleOf(app)}:secret@gad-pg-rw:5432/gad`,
      GEO_READ_DATABASE_URL: 'postgresql://gad_geo_reader:secret@gad-pg-rw:5432/gad',
      REDIS_URL: overlay.endsWith('prod')
        ? 'redis+cluster://:secret@redis-cluster:6379'
        : 'redis://:secret@redis:6379',
    };
    const env: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      const name = source.configMapRef?.name;
      expect(name).toBeDefined();
      const configMap = find('ConfigMap', name as string);
      expect(configMap).toBeDefined();
      Object.assign(env, configMap?.data);
    }
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.secretKeyRef) {
        // Optional keys (Telegram, SMTP) may be absent: the app must start without them.
        if (variable.valueFrom.secretKeyRef.optional && secrets[variable.name] === undefined) {
          continue;
        }
        expect(secrets[variable.name]).toBeDefined();
        env[variable.name] = secrets[variable.name];
      } else if (variable.valueFrom?.fieldRef) {
        env[variable.name] = `${app}-pod-0`;
      } else {
        env[variable.name] = String(variable.value);
      }
    }
    const schema = envSchemas[app];
    // What the app would refuse at boot, production rules included (NODE_ENV=production).
    expect(env.NODE_ENV).toBe('production');
    expect(configIssues(app, env)).toEqual([]);
    // A pod that reads DATABASE_URL carries the label the network policy lets reach PostgreSQL.
    const labels = (
      deployment?.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels;
    expect({ app, postgresClient: labels['gad.dispatch/postgres-client'] === 'true' }).toEqual({
      app,
      postgresClient: 'DATABASE_URL' in env,
    });
    // ... and logs in as its own runtime role (docs/adr/0025), never as the migration role.
    if ('DATABASE_URL' in env) {
      expect(container.env?.find((variable) => variable.name === 'DATABASE_URL')).toEqual({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: `gad-pg-${app}`, key: 'uri' } },
      });
    }
    const known = Object.keys(schema.shape ?? {});
    expect(
      Object.keys(env).filter((key) => !known.includes(key) && !nodeRuntimeVariables.includes(key)),
    ).toEqual([]);
    expectNodeOptionsOf(app, env);

    // SIGTERM drain (SHUTDOWN_TIMEOUT_MS) plus the preStop sleep fit in the grace period.
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const drainSeconds = Number(env.SHUTDOWN_TIMEOUT_MS) / 1000 + Number(preStop[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
  });

  it('runs the migration step as a Job with the image, Secret and label it needs', () => {
    const job = find('Job', 'db-migrate');
    expect(job?.apiVersion).toBe('batch/v1');
    const template = (
      job?.spec as {
        template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
      }
    ).template;
    expect(template.metadata.labels['gad.dispatch/postgres-client']).toBe('true');
    expect(template.spec.securityContext?.runAsNonRoot).toBe(true);
    const [container] = template.spec.containers as Array<Container & { command?: string[] }>;
    expect(container.image).toMatch(/^gad\/api-gateway/);
    expect(container.command).toEqual(['node', 'tools/scripts/db-migrate.mjs', 'up']);
    expect(container.env).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'gad-pg-migrator', key: 'uri' } },
      },
    ]);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it('runs PostgreSQL as a CloudNativePG cluster with PostGIS and a read replica', () => {
    const cluster = find('Cluster', 'gad-pg');
    expect(cluster?.apiVersion).toBe('postgresql.cnpg.io/v1');
    const spec = cluster?.spec as {
      instances: number;
      imageName: string;
      bootstrap: { initdb: { postInitApplicationSQL: string[] } };
    };
    expect(spec.imageName).toMatch(/postgis/);
    expect(spec.bootstrap.initdb.postInitApplicationSQL.join(';')).toMatch(/postgis/i);
    if (overlay.endsWith('prod')) {
      expect(spec.instances).toBeGreaterThanOrEqual(2);
    }
  });

  it('creates the migration role and every runtime role in CloudNativePG, not in a migration', () => {
    const spec = find('Cluster', 'gad-pg')?.spec as {
      bootstrap: { initdb: { owner: string; secret: { name: string } } };
      managed: {
        roles: Array<{
          name: string;
          login: boolean;
          inRoles?: string[];
          passwordSecret?: { name: string };
        }>;
      };
    };
    expect(spec.bootstrap.initdb.owner).toBe('gad_migrator');
    expect(spec.bootstrap.initdb.secret.name).toBe('gad-pg-migrator');
    const roles = Object.fromEntries(spec.managed.roles.map((role) => [role.name, role]));
    expect(roles['gad_audit_writer']).toEqual(expect.objectContaining({ login: false }));
    expect(roles['gad_migrator']?.inRoles).toEqual(['gad_audit_writer']);
    const databaseApps = appNames.filter((app) =>
      (
        find('Deployment', app)?.spec as { template: { spec: PodSpec } }
      ).template.spec.containers[0].env?.some((variable) => variable.name === 'DATABASE_URL'),
    );
    expect(databaseApps).toHaveLength(4);
    for (const app of databaseApps) {
      expect({ app, role: roles[runtimeRoleOf(app)] }).toEqual({
        app,
        role: expect.objectContaining({ login: true, passwordSecret: { name: `gad-pg-${app}` } }),
      });
    }
    expect(roles['gad_audit_log_worker']?.inRoles).toEqual(['gad_audit_writer']);
  });

  it('backs PostgreSQL up to an object store with WAL archiving, nightly (not in dev)', () => {
    const spec = find('Cluster', 'gad-pg')?.spec as {
      backup?: {
        retentionPolicy: string;
        barmanObjectStore: { destinationPath: string; wal: object };
      };
    };
    const scheduled = find('ScheduledBackup', 'gad-pg-nightly');
    if (overlay.endsWith('prod')) {
      expect(spec.backup?.barmanObjectStore.destinationPath).toMatch(/^s3:\/\//);
      expect(spec.backup?.barmanObjectStore.wal).toEqual(
        expect.objectContaining({ compression: 'gzip' }),
      );
      expect(spec.backup?.retentionPolicy).toBe('30d');
      expect(scheduled?.spec).toEqual(
        expect.objectContaining({ cluster: { name: 'gad-pg' }, schedule: expect.any(String) }),
      );
    } else {
      expect({ backup: spec.backup, scheduled }).toEqual({
        backup: undefined,
        scheduled: undefined,
      });
    }
  });

  it('routes REST to api-gateway and socket.io to ws-gateway with sticky sessions', () => {
    type Ingress = K8sObject & {
      metadata: { annotations?: Record<string, string> };
      spec: {
        ingressClassName: string;
        tls: Array<{ secretName: string }>;
        rules: Array<{
          http: {
            paths: Array<{
              path: string;
              backend: { service: { name: string; port: { name: string } } };
            }>;
          };
        }>;
      };
    };
    const ingresses = objects.filter((object) => object.kind === 'Ingress') as Ingress[];
    const routes = ingresses.flatMap((ingress) =>
      ingress.spec.rules.flatMap((rule) =>
        rule.http.paths.map((path) => ({
          path: path.path,
          service: path.backend.service.name,
          affinity: ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/affinity'],
        })),
      ),
    );
    expect(routes).toEqual([
      { path: '/v1', service: 'api-gateway', affinity: undefined },
      { path: '/socket.io/', service: 'ws-gateway', affinity: 'cookie' },
    ]);
    for (const ingress of ingresses) {
      expect(ingress.spec.ingressClassName).toBe('nginx');
      expect(ingress.spec.tls[0]?.secretName).toBe('gad-tls');
    }
  });

  it('references a Secret for every credential, each covered by the ExternalSecret example', () => {
    const referenced = new Set<string>();
    for (const object of objects) {
      const pod = (object.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
      for (const container of pod?.containers ?? []) {
        for (const variable of container.env ?? []) {
          if (variable.valueFrom?.secretKeyRef) {
            referenced.add(
              `${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}`,
            );
          }
        }
      }
    }
    const cluster = find('Cluster', 'gad-pg')?.spec as {
      managed: { roles: Array<{ passwordSecret?: { name: string } }> };
      backup?: {
        barmanObjectStore: { s3Credentials: Record<string, { name: string; key: string }> };
      };
    };
    for (const role of cluster.managed.roles) {
      if (role.passwordSecret) {
        referenced.add(`${role.passwordSecret.name}/password`);
      }
    }
    for (const credential of Object.values(cluster.backup?.barmanObjectStore.s3Credentials ?? {})) {
      referenced.add(`${credential.name}/${credential.key}`);
    }
    // Every credential the services read comes from a Secret, never a ConfigMap or a value.
    for (const name of [
      'gad-jwt/private-key',
      'gad-jwt/public-key',
      'gad-mfa/secrets-key',
      'gad-audit-signing/private-key',
      'gad-notify/secrets-key',
      'gad-notify/telegram-bot-token',
      'gad-notify/smtp-password',
      'gad-bootstrap/platform-admin-password',
      'gad-pg-migrator/uri',
      'gad-redis/url',
      'gad-redis/password',
    ]) {
      expect(referenced).toContain(name);
    }
    const examples = parseAllDocuments(
      readFileSync(join(repoRoot, 'k8s', 'examples', 'external-secrets.yaml'), 'utf8'),
    ).map(
      (document) =>
        document.toJS() as {
          kind: string;
          spec: {
            target: { name: string; template?: { data?: Record<string, string> } };
            data: Array<{ secretKey: string }>;
          };
        },
    );
    const provided = new Set(
      examples.flatMap((example) => [
        ...example.spec.data.map((entry) => `${example.spec.target.name}/${entry.secretKey}`),
        ...Object.keys(example.spec.target.template?.data ?? {}).map(
          (key) => `${example.spec.target.name}/${key}`,
        ),
      ]),
    );
    expect([...referenced].filter((reference) => !provided.has(reference))).toEqual([]);
  });

  it('carries the alert rules of docs/operations/alerts.yml and scrapes every service', () => {
    const alerts = parse(
      readFileSync(join(repoRoot, 'docs', 'operations', 'alerts.yml'), 'utf8'),
    ) as { groups: Array<{ rules: Array<{ alert: string }> }> };
    const rule = find('PrometheusRule', 'gad-alerts')?.spec as typeof alerts;
    const names = (rules: typeof alerts) =>
      rules.groups.flatMap((group) => group.rules.map((entry) => entry.alert));
    expect(names(rule)).toEqual(names(alerts));
    expect(names(rule)).toEqual(
      expect.arrayContaining([
        'GadNotifyChannelFailing',
        'GadNotifyEscalationsHigh',
        'GadNotifyAckLatencyHigh',
      ]),
    );
    const monitor = find('ServiceMonitor', 'gad-services')?.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: Array<{ port: string; path: string }>;
    };
    expect(monitor.endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: '/metrics' }),
    ]);
    for (const app of appNames) {
      const service = find('Service', app);
      expect({ app, labels: service?.metadata.labels }).toEqual({
        app,
        labels: expect.objectContaining(monitor.selector.matchLabels),
      });
    }
  });

  it('denies by default and lets only the architecture flows through', () => {
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const deny = policies.find((policy) => policy.metadata.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Only the two gateways accept traffic from the ingress controller.
    const fromIngress = policies.filter((policy) =>
      JSON.stringify(policy.spec).includes('ingress-nginx'),
    );
    expect(fromIngress.map((policy) => policy.metadata.name)).toEqual(['gateways-from-ingress']);
    expect(JSON.stringify(fromIngress[0].spec)).toContain('["api-gateway","ws-gateway"]');
  });

  it('runs Redis as the overlay expects, with a password from the gad-redis Secret', () => {
    const redisPassword = { secretKeyRef: { name: 'gad-redis', key: 'password' } };
    const containerOf = (kind: string, name: string) =>
      podSpecOf(find(kind, name) as K8sObject).containers[0] as Container & {
        command?: string[];
        args?: string[];
      };
    if (overlay.endsWith('prod')) {
      const statefulSet = find('StatefulSet', 'redis-cluster');
      expect((statefulSet?.spec as { replicas: number }).replicas).toBe(6);
      expect(find('ConfigMap', 'redis-cluster')?.data?.['redis.conf']).toContain(
        'cluster-enabled yes',
      );
      expect(find('Job', 'redis-cluster-bootstrap')).toBeDefined();
      const server = containerOf('StatefulSet', 'redis-cluster');
      expect(server.command?.join(' ')).toMatch(/--requirepass "\$REDISCLI_AUTH" --masterauth/);
      for (const container of [server, containerOf('Job', 'redis-cluster-bootstrap')]) {
        expect(container.env).toContainEqual({ name: 'REDISCLI_AUTH', valueFrom: redisPassword });
      }
    } else {
      const server = containerOf('StatefulSet', 'redis');
      expect(server.args?.join(' ')).toContain('--requirepass $(REDISCLI_AUTH)');
      expect(server.env).toContainEqual({ name: 'REDISCLI_AUTH', valueFrom: redisPassword });
    }
    // REDIS_URL carries the password: every service reads it from the Secret, never a ConfigMap.
    expect(find('ConfigMap', 'gad-common')?.data?.REDIS_URL).toBeUndefined();
    for (const app of appNames) {
      expect(containerOf('Deployment', app).env).toContainEqual({
        name: 'REDIS_URL',
        valueFrom: { secretKeyRef: { name: 'gad-redis', key: 'url' } },
      });
    }
  });
});

describe('k8s/base/monitoring', () => {
  it('is what k8s/generate-monitoring.mjs generates from docs/operations/alerts.yml', () => {
    const result = spawnSync(
      process.execPath,
      [join(repoRoot, 'k8s', 'generate-monitoring.mjs'), '--check'],
      { encoding: 'utf8' },
    );
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
