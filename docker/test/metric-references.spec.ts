import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './deploy-test-helpers';
import { metricNamesIn, referencedMetrics } from './metric-references';

describe('metric references', () => {
  it('finds metric names in PromQL, not functions, labels, keywords or durations', () => {
    expect(
      referencedMetrics(
        'histogram_quantile(0.95, sum by (service, le) (rate(http_server_request_duration_bucket{service=~"$service",code="5xx"}[5m]))) > 0.25',
      ),
    ).toEqual(['http_server_request_duration_bucket']);
    expect(
      referencedMetrics(
        'max by (stream, group) (gad_bus_consumer_lag) > 0 unless on (stream, group) sum by (stream, group) (rate(gad_bus_consumed_total[5m])) > 0',
      ).sort(),
    ).toEqual(['gad_bus_consumed_total', 'gad_bus_consumer_lag']);
  });

  it('reads sample names from an exposition', () => {
    const names = metricNamesIn(
      [
        '# HELP gad_bus_published_total Envelopes',
        '# TYPE gad_bus_published_total counter',
        'gad_bus_published_total{stream="s"} 3',
        'gad_x_bucket{le="1"} 1',
        'up 1',
      ].join('\n'),
    );
    expect([...names].sort()).toEqual(['gad_bus_published_total', 'gad_x_bucket', 'up']);
  });

  it('every alert has a runbook section and a severity', () => {
    const rules = parse(readFileSync(join(repoRoot, 'docs/operations/alerts.yml'), 'utf8')) as {
      groups: Array<{
        rules: Array<{ alert: string; expr: string; labels: { severity: string } }>;
      }>;
    };
    const runbooks = readFileSync(join(repoRoot, 'docs/operations/runbooks.md'), 'utf8');
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      expect({ alert: rule.alert, severity: rule.labels.severity }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      });
      expect({ alert: rule.alert, hasRunbook: runbooks.includes(`## ${rule.alert}`) }).toEqual({
        alert: rule.alert,
        hasRunbook: true,
      });
      expect(referencedMetrics(rule.expr).length).toBeGreaterThan(0);
    }
  });
});
