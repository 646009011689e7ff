// The five built services as processes, shared by two checks (starting them is the expensive part):
//
// 1. Observability catalog: every metric docs/operations/alerts.yml and grafana-dashboard.json use
//    is exported by a running service (after one incident went through them); each missing metric
//    is named. Every exported gad_* metric is in docs/operations/metrics.md.
// 2. Rolling restart under load loses nothing: incidents are created continuously; every service
//    gets a replacement instance (started first, like maxSurge 1 / maxUnavailable 0), then the
//    old one is taken out of rotation and SIGTERMed (graceful drain). Every incident the API
//    acknowledged (201) must be relayed to gad:dispatch:events, fully acknowledged by every
//    consumer group, and audited.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGadClient, type GadRestClient } from '@gad/client';
import {
  createAuditSigningKeyPem,
  createTestDatabase,
  createTestKeyPair,
  deleteKeysWithPrefix,
  jwtEnvOf,
  startServiceProcess,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { parse } from 'yaml';
import { appNames, repoRoot } from './deploy-test-helpers';
import { metricNamesIn, referencedMetrics } from './metric-references';

jest.setTimeout(240_000);

const operations = join(repoRoot, 'docs', 'operations');
/** Series Prometheus itself makes at scrape time (no service exports them). */
const SCRAPE_SERIES = new Set(['up']);

/**
 * Histograms a service declares (`createHistogram('<name>'`): unlike a counter, a histogram has no
 * zero series to export before its first observation, so a rule may read the `_bucket` of one the
 * traffic of this test never records (the acknowledgement latency needs a device's ack). Only
 * those are excused, and only when some service's source declares them.
 */
function declaredHistograms(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.includes('.spec.')) {
        for (const match of readFileSync(path, 'utf8').matchAll(
          /createHistogram\(\s*'([a-z_]+)'/g,
        )) {
          names.add(match[1] as string);
        }
      }
    }
  };
  for (const root of ['apps', 'libs']) {
    for (const project of readdirSync(join(repoRoot, root))) {
      const src = join(repoRoot, root, project, 'src');
      try {
        visit(src);
      } catch {
        // a project without src/
      }
    }
  }
  return names;
}
const histogramSeries = (metric: string, histograms: Set<string>): boolean =>
  /_(bucket|sum|count)$/.test(metric) && histograms.has(metric.replace(/_(bucket|sum|count)$/, ''));
const START_ORDER = [
  'geo-service',
  'audit-log-worker',
  'api-gateway',
  'ws-gateway',
  'notification-service',
];

const agencyId = `agency-ops-${Date.now().toString(36)}`;
const prefix = uniqueRedisPrefix();
let database: TestDatabase;
let env: Record<string, string>;
const running = new Map<string, ServiceProcess>();
const redis = new Redis(testStack.redisUrl);
let accessToken: string;

const service = (app: string): ServiceProcess => running.get(app) as ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: prefix,
    ...jwtEnvOf(createTestKeyPair()),
    AUTH_DEV_LOGIN: 'true',
    AUDIT_SIGNING_KEY: createAuditSigningKeyPem(),
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  // Services that own a schema migrate it at boot: start them one after another.
  for (const app of START_ORDER) {
    running.set(app, await startServiceProcess({ app, env, readyTimeoutMs: 60_000 }));
  }
  const login = createGadClient({ baseUrl: service('api-gateway').url });
  await login.auth.devLogin({ agencyId, userId: 'dispatcher-1', roles: ['dispatcher'] });
  accessToken = login.getAccessToken() as string;
}, 180_000);

afterAll(async () => {
  await Promise.all([...running.values()].map((instance) => instance.stop()));
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
  await database?.drop();
}, 60_000);

describe('observability catalog against the running services', () => {
  const exported = new Map<string, Set<string>>();

  beforeAll(async () => {
    // Some traffic, so that metrics recorded on first use exist: an incident goes through the
    // outbox, the stream, the consumers and the audit queue.
    await createGadClient({ baseUrl: service('api-gateway').url, accessToken }).incidents.create({
      type: 'structure_fire',
      priority: 'P2',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      address: 'Puerta del Sol 1, Madrid',
    });
    const scrapeAll = async (): Promise<void> => {
      for (const app of appNames) {
        const response = await fetch(`${service(app).url}/metrics`);
        expect(response.status).toBe(200);
        exported.set(app, metricNamesIn(await response.text()));
      }
    };
    // The bus consumers sample lag and DLQ length periodically; the audit worker its queue depth.
    await waitFor(
      async () => {
        await scrapeAll();
        const all = [...exported.values()].flatMap((names) => [...names]);
        return ['gad_bus_consumer_lag', 'gad_bus_published', 'gad_audit_queue_depth'].every(
          (name) => all.some((exportedName) => exportedName.startsWith(name)),
        );
      },
      { description: 'bus and audit metrics exported', timeoutMs: 20_000, intervalMs: 500 },
    );
  }, 60_000);

  const allExported = (): Set<string> =>
    new Set([...exported.values()].flatMap((names) => [...names]));

  it('every service exports Prometheus metrics', () => {
    for (const app of appNames) {
      expect({ app, count: exported.get(app)?.size ?? 0 }).toEqual({
        app,
        count: expect.any(Number),
      });
      expect(exported.get(app)?.size).toBeGreaterThan(0);
    }
  });

  it('every metric the alert rules use is exported by some service', () => {
    const rules = parse(readFileSync(join(operations, 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const names = allExported();
    const histograms = declaredHistograms();
    expect(histograms.has('gad_notify_ack_latency_ms')).toBe(true);
    const missing = rules.groups
      .flatMap((group) => group.rules)
      .flatMap((rule) =>
        referencedMetrics(rule.expr)
          .filter(
            (metric) =>
              !names.has(metric) &&
              !SCRAPE_SERIES.has(metric) &&
              !histogramSeries(metric, histograms),
          )
          .map((metric) => `${rule.alert}: ${metric}`),
      );
    expect(missing).toEqual([]);
  });

  it('every metric the Grafana dashboard uses is exported by some service', () => {
    const dashboard = JSON.parse(
      readFileSync(join(operations, 'grafana-dashboard.json'), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; query?: unknown }> };
    };
    const names = allExported();
    const missing = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) =>
        referencedMetrics(target.expr)
          .filter((metric) => !names.has(metric) && !SCRAPE_SERIES.has(metric))
          .map((metric) => `${panel.title}: ${metric}`),
      ),
    );
    for (const variable of dashboard.templating.list) {
      const match = /label_values\((\w+)/.exec(String(variable.query ?? ''));
      if (match && !names.has(match[1])) {
        missing.push(`variable ${variable.name}: ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the catalog in metrics.md lists every exported gad_ metric', () => {
    const catalog = readFileSync(join(operations, 'metrics.md'), 'utf8');
    const undocumented = [...allExported()]
      .filter((name) => name.startsWith('gad_'))
      .map((name) => name.replace(/_(bucket|sum|count|total)$/, ''))
      .filter((name) => !catalog.includes(name));
    expect([...new Set(undocumented)]).toEqual([]);
  });
});

describe('rolling restart under load', () => {
  it('loses no acknowledged incident while every service is replaced', async () => {
    const clients = new Map<string, GadRestClient>();
    const clientFor = (url: string): GadRestClient => {
      let client = clients.get(url);
      if (!client) {
        client = createGadClient({ baseUrl: url, accessToken, retry: { retries: 0 } });
        clients.set(url, client);
      }
      return client;
    };

    // Load: one incident at a time, ~20/s; a failed call is tried on the current instance with the
    // same Idempotency-Key (what a client behind a Service does). Only 201s count.
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 5_000; i += 1) {
        const idempotencyKey = randomUUID();
        for (let attempt = 0; attempt < 20 && !stop; attempt += 1) {
          const url = service('api-gateway').url;
          try {
            const { body } = await clientFor(url).incidents.create(
              {
                type: 'structure_fire',
                priority: 'P3',
                location: { type: 'Point', coordinates: [-3.7 + i / 1e5, 40.41] },
                address: `Roll ${i}`,
              },
              { idempotencyKey },
            );
            acknowledged.push(body.id);
            break;
          } catch {
            failures += 1;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await waitFor(() => acknowledged.length >= 20, { description: 'load flowing' });
    const exits: Record<string, number | null> = {};
    // Every service is rolled at once (each one replacement first, then the old one drained):
    // what `kubectl rollout restart` of all Deployments does, and a third of the wall time of
    // rolling them one by one on a 2-core machine.
    await Promise.all(
      START_ORDER.map(async (app) => {
        const old = service(app);
        const replacement = await startServiceProcess({ app, env, readyTimeoutMs: 90_000 });
        running.set(app, replacement); // out of rotation first (preStop), then SIGTERM
        exits[app] = (await old.stop('SIGTERM', { timeoutMs: 15_000 })).code;
      }),
    );
    const afterRollout = acknowledged.length;
    await waitFor(() => acknowledged.length >= afterRollout + 20, {
      description: 'load flowing on the replaced instances',
      timeoutMs: 20_000,
    });
    stop = true;
    await load;

    // Every old instance drained and exited by itself.
    expect(exits).toEqual({
      'geo-service': 0,
      'audit-log-worker': 0,
      'api-gateway': 0,
      'ws-gateway': 0,
      'notification-service': 0,
    });

    // Relayed: an incident.created per acknowledged incident on the stream.
    const stream = `${prefix}gad:dispatch:events`;
    const created = async (): Promise<Set<string>> => {
      const entries = (await redis.xrange(stream, '-', '+')) as Array<[string, string[]]>;
      const ids = new Set<string>();
      for (const [, fields] of entries) {
        const envelope = JSON.parse(fields[fields.indexOf('envelope') + 1]) as {
          type: string;
          data: { incidentId?: string; id?: string };
        };
        if (envelope.type === 'incident.created') {
          ids.add(envelope.data.incidentId ?? envelope.data.id ?? '');
        }
      }
      return ids;
    };
    await waitFor(
      async () => {
        const ids = await created();
        return acknowledged.every((id) => ids.has(id));
      },
      { description: 'every acknowledged incident relayed to the stream', timeoutMs: 20_000 },
    );

    // Consumed: every group on the stream caught up, nothing pending.
    await waitFor(
      async () => {
        const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
        return (
          groups.length >= 2 &&
          groups.every((group) => {
            const info = new Map<string, unknown>();
            for (let i = 0; i + 1 < group.length; i += 2) {
              info.set(String(group[i]), group[i + 1]);
            }
            return Number(info.get('pending')) === 0 && Number(info.get('lag') ?? 0) === 0;
          })
        );
      },
      { description: 'every consumer group caught up', timeoutMs: 30_000 },
    );

    // Audited: an audit entry per acknowledged incident.
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      await waitFor(
        async () => {
          const { rows } = await pg.query<{ object_id: string }>(
            `SELECT DISTINCT object_id FROM audit.entries WHERE agency_id = $1 AND object_type = 'incident'`,
            [agencyId],
          );
          const audited = new Set(rows.map((row) => row.object_id));
          return acknowledged.every((id) => audited.has(id));
        },
        { description: 'every acknowledged incident audited', timeoutMs: 30_000 },
      );
    } finally {
      await pg.end();
    }

    console.log(
      `rolling restart: ${acknowledged.length} incidents acknowledged, ${failures} failed attempts retried`,
    );
  });
});
