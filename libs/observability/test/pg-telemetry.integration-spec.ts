import { SpanKind } from '@opentelemetry/api';
import { testStack, waitFor } from '@gad/testing';
import { startTracedServer, type TracedServer } from './fixtures/start-traced-server';

// pg's instrumentation under a trace that is not recorded (a service without an exporter, where
// every request it starts is `parentbased_always_off`) and under a sampled one (docs/adr/0038).

interface SpanView {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

describe('pg telemetry in a real process (parentbased_always_off, memory exporter)', () => {
  let server: TracedServer;
  let baseUrl: string;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    server = await startTracedServer({
      OTEL_TRACES_EXPORTER: 'memory',
      // What a service without an exporter runs: its own traces unrecorded, sampled parents followed.
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
      DATABASE_URL: testStack.databaseUrl,
    });
    ({ baseUrl, lines } = server);
  }, 40_000);

  afterAll(() => server.stop());

  async function spans(): Promise<SpanView[]> {
    return (await (await fetch(`${baseUrl}/spans`)).json()) as SpanView[];
  }

  async function metricsText(): Promise<string> {
    return (await fetch(`${baseUrl}/metrics`)).text();
  }

  /** `db_client_operation_duration_count` of the series whose labels contain all of `labels`. */
  function operationCount(body: string, labels: string[]): number {
    return body
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('db_client_operation_duration_count{') &&
          labels.every((label) => line.includes(label)),
      )
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  const logLines = (path: string) => lines.filter((line) => line['path'] === path);

  it('records no span but the query duration histogram, with the same labels, for an unsampled request', async () => {
    const labels = [
      'db_system_name="postgresql"',
      'db_operation_name="SELECT"',
      'server_address="127.0.0.1"',
      'server_port="5432"',
    ];
    const before = operationCount(await metricsText(), labels);

    expect(await (await fetch(`${baseUrl}/db`)).text()).toBe('ok');

    const after = await waitFor(() => logLines('/db').find((line) => line['step'] === 'after'), {
      description: 'the log line after the query',
    });
    expect(after['one']).toBe(1);
    // The request's trace id (not recorded, still carried) is kept across the query.
    const first = logLines('/db').find((line) => line['step'] === 'before');
    expect(after['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(after['trace_id']).toBe(first?.['trace_id']);
    expect(await spans()).toEqual([]);
    expect(operationCount(await metricsText(), labels)).toBe(before + 1);
  });

  it('runs a query callback in the context of the request that made it', async () => {
    expect(await (await fetch(`${baseUrl}/db-callback`)).text()).toBe('ok');

    const after = await waitFor(
      () => logLines('/db-callback').find((line) => line['step'] === 'after'),
      { description: 'the log line of the callback' },
    );
    const first = logLines('/db-callback').find((line) => line['step'] === 'before');
    expect(after['two']).toBe(2);
    expect(after['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(after['trace_id']).toBe(first?.['trace_id']);
  });

  it('labels a failed query with its error code', async () => {
    expect(await (await fetch(`${baseUrl}/db-error`)).text()).toBe('failed');

    expect(
      operationCount(await metricsText(), ['db_operation_name="SELECT"', 'error_type="42P01"']),
    ).toBeGreaterThanOrEqual(1);
    expect(await spans()).toEqual([]);
  });

  it('records the pool connect and query spans of a sampled trace, as children of the request', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(
      await (
        await fetch(`${baseUrl}/db`, {
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        })
      ).text(),
    ).toBe('ok');

    const recorded = await waitFor(
      async () => {
        const all = await spans();
        return all.some((span) => span.kind === SpanKind.SERVER) ? all : undefined;
      },
      { description: 'the sampled request to be recorded' },
    );
    expect(recorded.every((span) => span.traceId === traceId)).toBe(true);
    const names = recorded.map((span) => span.name);
    expect(names).toContain('pg-pool.connect');
    const query = recorded.find(
      (span) => span.kind === SpanKind.CLIENT && span.name.startsWith('pg.query'),
    );
    expect(query?.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.query.text': 'select 1::int as one',
    });
  });
});
