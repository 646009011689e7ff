import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SpanKind } from '@opentelemetry/api';
import { testStack, waitFor } from '@gad/testing';

// pg's instrumentation under a trace that is not recorded (a service without an exporter, where
// every request it starts is `parentbased_always_off`) and under a sampled one (docs/adr/0038).
// Instrumentation hooks `require`, which Jest bypasses: the server runs in a real Node process.
const repoRoot = resolve(__dirname, '../../..');

interface SpanView {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

describe('pg telemetry in a real process (parentbased_always_off, memory exporter)', () => {
  const lines: Record<string, unknown>[] = [];
  const output: string[] = [];
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let baseUrl: string;

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(__dirname, 'fixtures/traced-server.ts'),
      ],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env['PATH'] ?? '',
          TS_NODE_PROJECT: join(repoRoot, 'tsconfig.spec.json'),
          OTEL_TRACES_EXPORTER: 'memory',
          // What a service without an exporter runs: its own traces unrecorded, sampled parents followed.
          OTEL_TRACES_SAMPLER: 'parentbased_always_off',
          LOG_LEVEL: 'info',
          PORT: '0',
          DATABASE_URL: testStack.databaseUrl,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    exited = new Promise((resolveExit) => child.once('close', (code) => resolveExit(code)));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (text) => {
        output.push(text);
        if (text.startsWith('{')) lines.push(JSON.parse(text) as Record<string, unknown>);
      });
    }
    const listening = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`exited:\n${output.join('\n')}`);
        return lines.find((line) => line['msg'] === 'traced-server listening');
      },
      { description: 'the traced server to listen', timeoutMs: 30_000 },
    );
    baseUrl = String(listening['url']);
  }, 40_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
    }
    await exited;
  });

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
