// Every metric that docs/operations/alerts.yml and grafana-dashboard.json use must be exported
// by a running service: start the five built apps, drive one incident through them, scrape every
// /metrics, and name each missing metric.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGadClient } from '@gad/client';
import {
  createTestDatabase,
  startServiceProcess,
  uniqueRedisPrefix,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { parse } from 'yaml';
import { appNames, repoRoot } from './deploy-test-helpers';
import { metricNamesIn, referencedMetrics } from './metric-references';

const operations = join(repoRoot, 'docs', 'operations');
/** Series Prometheus itself makes at scrape time (no service exports them). */
const SCRAPE_SERIES = new Set(['up']);

describe('observability catalog against the running services', () => {
  let database: TestDatabase;
  const services: Record<string, ServiceProcess> = {};
  const exported = new Map<string, Set<string>>();
  const expositions = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    const jwt = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const env = {
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: uniqueRedisPrefix(),
      JWT_PRIVATE_KEY: jwt.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: jwt.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      AUTH_DEV_LOGIN: 'true',
      AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    // Services that own a schema migrate it at boot: start them one after another.
    for (const app of ['geo-service', 'audit-log-worker', 'api-gateway']) {
      services[app] = await startServiceProcess({ app, env, readyTimeoutMs: 60_000 });
    }
    for (const app of ['ws-gateway', 'notification-service']) {
      services[app] = await startServiceProcess({ app, env, readyTimeoutMs: 60_000 });
    }

    // Some traffic, so that metrics recorded on first use exist: an incident goes through the
    // outbox, the stream, the consumers and the audit queue.
    const client = createGadClient({ baseUrl: services['api-gateway'].url });
    await client.auth.devLogin({
      agencyId: 'agency-metrics',
      userId: 'd-1',
      roles: ['dispatcher'],
    });
    await client.incidents.create({
      type: 'structure_fire',
      priority: 'P2',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      address: 'Puerta del Sol 1, Madrid',
    });

    const scrapeAll = async (): Promise<void> => {
      for (const app of appNames) {
        const response = await fetch(`${services[app].url}/metrics`);
        expect(response.status).toBe(200);
        const text = await response.text();
        expositions.set(app, text);
        exported.set(app, metricNamesIn(text));
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
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await database?.drop();
  }, 60_000);

  const allExported = (): Set<string> =>
    new Set([...exported.values()].flatMap((names) => [...names]));

  it('every service exports Prometheus metrics', () => {
    if (process.env.PRINT_METRICS) {
      for (const [app, names] of exported) {
        process.stdout.write(`${app}: ${[...names].sort().join(' ')}\n`);
        const samples = (expositions.get(app) ?? '')
          .split('\n')
          .filter((line) => /^(gad_|http_server|db_client_connection_pending)/.test(line));
        process.stdout.write(`${samples.slice(0, 40).join('\n')}\n`);
      }
    }
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
    const missing = rules.groups
      .flatMap((group) => group.rules)
      .flatMap((rule) =>
        referencedMetrics(rule.expr)
          .filter((metric) => !names.has(metric) && !SCRAPE_SERIES.has(metric))
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
