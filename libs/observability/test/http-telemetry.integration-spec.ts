import { SpanKind } from '@opentelemetry/api';
import { waitFor } from '@gad/testing';
import { startTracedServer, type TracedServer } from './fixtures/start-traced-server';

// Incoming HTTP requests under `parentbased_always_off` (every service without a trace exporter):
// a request without a sampled `traceparent` takes the lean path of LeanHttpInstrumentation (no span
// attributes), keeps its trace context and records `http_server_request_duration` with the labels
// the dashboards and alerts read; a sampled one gets the upstream server span (docs/adr/0041).

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const UNSAMPLED = `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-00`;
const SAMPLED = `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`;

interface SpanView {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

interface ContextView {
  traceparent?: string;
  recording: boolean;
}

/** The labels of each `http_server_request_duration_count` series and its count. */
function durationSeries(body: string): { labels: Record<string, string>; count: number }[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_count{'))
    .map((line) => {
      const labels: Record<string, string> = {};
      const inner = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
      for (const [, key = '', value = ''] of inner.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        if (!key.startsWith('otel_scope_')) labels[key] = value;
      }
      return { labels, count: Number(line.slice(line.lastIndexOf(' ') + 1)) };
    });
}

/** Count of the series whose labels are exactly `labels` (scope labels aside). */
function countOf(body: string, labels: Record<string, string>): number {
  const series = durationSeries(body).find(
    (entry) =>
      Object.keys(entry.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => entry.labels[key] === value),
  );
  return series?.count ?? 0;
}

const GET_200 = {
  http_request_method: 'GET',
  url_scheme: 'http',
  network_protocol_version: '1.1',
  http_response_status_code: '200',
};

function behavesLikeAnUnrecordedService(server: () => TracedServer) {
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server().baseUrl}${path}`, { headers });
  const metricsText = async () => (await get('/metrics')).text();

  it('records http_server_request_duration with method, scheme, protocol and status of an unsampled request', async () => {
    // POST: the GETs of /metrics below add to the GET series.
    const labels = { ...GET_200, http_request_method: 'POST' };
    const before = countOf(await metricsText(), labels);

    const response = await fetch(`${server().baseUrl}/traced`, { method: 'POST', body: '{}' });
    expect(await response.text()).toBe('ok');

    // Recorded on the response's close, which may follow the client's read of the body.
    await waitFor(async () => countOf(await metricsText(), labels) === before + 1 || undefined, {
      description: 'the request to be counted',
    });
    await get('/traced');
    await waitFor(async () => countOf(await metricsText(), GET_200) > 0 || undefined, {
      description: 'a GET to be counted',
    });
  });

  it('labels a 5xx answer with error_type', async () => {
    const labels = { ...GET_200, http_response_status_code: '500', error_type: '500' };
    const before = countOf(await metricsText(), labels);

    expect((await get('/fail')).status).toBe(500);

    await waitFor(async () => countOf(await metricsText(), labels) === before + 1 || undefined, {
      description: 'the 500 to be counted with error_type',
    });
  });

  it('gives a request without traceparent a trace id of its own, on its log lines', async () => {
    expect(await (await get('/traced')).text()).toBe('ok');
    const context = (await (await get('/context')).json()) as ContextView;
    expect(context.recording).toBe(false);
    expect(context.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const line = await waitFor(() => server().lines.find((entry) => entry['path'] === '/traced'), {
      description: 'the log line of /traced',
    });
    expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it("carries an unsampled caller's trace id to what the request sends on and logs", async () => {
    const context = (await (
      await get('/context', { traceparent: UNSAMPLED })
    ).json()) as ContextView;
    // What envelopes, RPCs and outgoing calls carry: the caller's trace, a span of this server.
    expect(context.recording).toBe(false);
    expect(context.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(context.traceparent).not.toContain(CALLER_SPAN_ID);

    // A listener on the request (body read) runs in the request's context too.
    const response = await fetch(`${server().baseUrl}/body`, {
      method: 'POST',
      headers: { traceparent: UNSAMPLED },
      body: 'x'.repeat(100_000),
    });
    expect(await response.text()).toBe('ok');
    const line = await waitFor(() => server().lines.find((entry) => entry['path'] === '/body'), {
      description: 'the log line of the body read',
    });
    expect(line).toMatchObject({ msg: 'body read', size: 100_000, trace_id: CALLER_TRACE_ID });
  });

  it('records a request with a sampled traceparent in a server span', async () => {
    const context = (await (await get('/context', { traceparent: SAMPLED })).json()) as ContextView;
    expect(context.recording).toBe(true);
    expect(context.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`));
  });
}

describe('incoming HTTP telemetry without a trace exporter (the services default)', () => {
  let server: TracedServer;
  beforeAll(async () => {
    server = await startTracedServer({ OTEL_TRACES_EXPORTER: 'none' });
  }, 40_000);
  afterAll(() => server.stop());

  behavesLikeAnUnrecordedService(() => server);
});

describe('incoming HTTP telemetry under parentbased_always_off (memory exporter)', () => {
  let server: TracedServer;
  beforeAll(async () => {
    server = await startTracedServer({
      OTEL_TRACES_EXPORTER: 'memory',
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
    });
  }, 40_000);
  afterAll(() => server.stop());

  const spans = async () => (await (await fetch(`${server.baseUrl}/spans`)).json()) as SpanView[];

  behavesLikeAnUnrecordedService(() => server);

  it('records no span of an unsampled request', async () => {
    await (await fetch(`${server.baseUrl}/quiet`, { headers: { traceparent: UNSAMPLED } })).text();
    await (await fetch(`${server.baseUrl}/quiet-root`)).text();
    // A span of the sampled request that follows shows the exporter is working.
    await (await fetch(`${server.baseUrl}/loud`, { headers: { traceparent: SAMPLED } })).text();

    const paths = await waitFor(
      async () => {
        const all = (await spans()).map((span) => span.attributes['url.path']);
        return all.includes('/loud') ? all : undefined;
      },
      { description: 'the span of /loud' },
    );
    expect(paths).not.toContain('/quiet');
    expect(paths).not.toContain('/quiet-root');
  });

  it('gives a sampled request the upstream server span with its attributes, and counts it', async () => {
    const before = countOf(await (await fetch(`${server.baseUrl}/metrics`)).text(), GET_200);
    expect(
      await (
        await fetch(`${server.baseUrl}/sampled`, { headers: { traceparent: SAMPLED } })
      ).text(),
    ).toBe('ok');

    const span = await waitFor(
      async () =>
        (await spans()).find(
          (entry) => entry.kind === SpanKind.SERVER && entry.attributes['url.path'] === '/sampled',
        ),
      { description: 'the server span of /sampled' },
    );
    expect(span.traceId).toBe(CALLER_TRACE_ID);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
    });
    await waitFor(
      async () =>
        countOf(await (await fetch(`${server.baseUrl}/metrics`)).text(), GET_200) >= before + 2 ||
        undefined,
      { description: 'the sampled request to be counted in the same series' },
    );
  });
});
