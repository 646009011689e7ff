import { SpanKind } from '@opentelemetry/api';
import { waitFor } from '@gad/testing';
import { startTracedServer, type TracedServer } from './fixtures/start-traced-server';

interface SpanView {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  resource: Record<string, unknown>;
}

describe('telemetry in a real process (OTEL_TRACES_EXPORTER=memory)', () => {
  let server: TracedServer;
  let baseUrl: string;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    server = await startTracedServer({
      OTEL_TRACES_EXPORTER: 'memory',
      // Standard OTel variables an operator sets: they name the service and add attributes.
      OTEL_SERVICE_NAME: 'traced-server-eu1',
      OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=gad,deployment.environment.name=staging',
    });
    ({ baseUrl, lines } = server);
  }, 40_000);

  afterAll(() => server.stop());

  async function spans(): Promise<SpanView[]> {
    return (await (await fetch(`${baseUrl}/spans`)).json()) as SpanView[];
  }

  it('describes the service with OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    expect(await (await fetch(`${baseUrl}/traced`)).text()).toBe('ok');
    const [span] = await spans();
    expect(span?.resource).toEqual(
      expect.objectContaining({
        'service.name': 'traced-server-eu1',
        'service.namespace': 'gad',
        'deployment.environment.name': 'staging',
        'telemetry.sdk.language': 'nodejs',
      }),
    );
  });

  it('records a server span whose trace id is on the log line written during the request', async () => {
    expect(await (await fetch(`${baseUrl}/traced`)).text()).toBe('ok');

    const serverSpans = (await spans()).filter((span) => span.kind === SpanKind.SERVER);
    const line = await waitFor(() => lines.find((entry) => entry['path'] === '/traced'), {
      description: 'the log line of /traced',
    });
    expect(line).toMatchObject({ service: 'traced-server', logger: 'handler', msg: 'handling' });
    expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(serverSpans).toContainEqual(
      expect.objectContaining({ traceId: line['trace_id'], spanId: line['span_id'] }),
    );
  });

  it('continues an incoming W3C traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await (
      await fetch(`${baseUrl}/child`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      })
    ).text();

    const line = await waitFor(() => lines.find((entry) => entry['path'] === '/child'), {
      description: 'the log line of /child',
    });
    expect(line['trace_id']).toBe(traceId);
    expect(
      (await spans()).some((span) => span.kind === SpanKind.SERVER && span.traceId === traceId),
    ).toBe(true);
  });

  it('serves custom counters, runtime metrics and the HTTP server duration histogram', async () => {
    await (await fetch(`${baseUrl}/metered`)).text();

    const response = await fetch(`${baseUrl}/metrics`);
    const body = await response.text();

    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(body).toMatch(/^traced_server_widgets_total\{path="\/metered".*\} 1$/m);
    expect(body).toMatch(
      /^http_server_request_duration_count\{.*http_response_status_code="200".*\} \d+$/m,
    );
    expect(body).toContain('nodejs_eventloop_utilization');
  });
});
