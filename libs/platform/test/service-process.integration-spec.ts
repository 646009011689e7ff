import { problemSchema } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { startFixtureProcess, type FixtureProcess } from './support/fixture-process';

const TRACE_ID = /^[0-9a-f]{32}$/;

describe('a service process started with bootstrapService', () => {
  let fixture: FixtureProcess;

  beforeAll(async () => {
    fixture = await startFixtureProcess('serve-fixture.ts', { SHUTDOWN_TIMEOUT_MS: '10000' });
  }, 120_000);

  afterAll(async () => {
    if (fixture && fixture.child.exitCode === null) {
      fixture.child.kill('SIGKILL');
      await fixture.exited;
    }
  });

  it('logs one JSON "listening" line with its url', () => {
    expect(fixture.lines.filter((line) => line['msg'] === 'fixture-service listening')).toEqual([
      expect.objectContaining({ service: 'fixture-service', url: fixture.url, level: 'info' }),
    ]);
  });

  it('sends x-trace-id on successful responses', async () => {
    const response = await fetch(`${fixture.url}/health/live`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-trace-id')).toMatch(TRACE_ID);
  });

  it('continues the caller trace from traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${fixture.url}/health/live`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });

    expect(response.headers.get('x-trace-id')).toBe(traceId);
  });

  it('answers an unknown route with 404 problem+json carrying the same trace id', async () => {
    const response = await fetch(`${fixture.url}/nope?x=1`);
    const body = problemSchema.parse(await response.json());

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(body).toMatchObject({ status: 404, code: 'not_found', instance: '/nope' });
    expect(body.traceId).toMatch(TRACE_ID);
    expect(body.traceId).toBe(response.headers.get('x-trace-id'));
  });

  it('answers an unknown error with a bare 500 and logs its stack under the trace id', async () => {
    const response = await fetch(`${fixture.url}/fixture/boom`);
    const text = await response.text();
    const body = problemSchema.parse(JSON.parse(text));

    expect(response.status).toBe(500);
    expect(body.code).toBe('internal_error');
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|\.ts/);
    expect(body.traceId).toBe(response.headers.get('x-trace-id'));
    const logged = await fixture.waitForLine(
      (line) => line['msg'] === 'request failed' && line['trace_id'] === body.traceId,
      'the error log line',
    );
    expect(JSON.stringify(logged['err'])).toContain('ECONNREFUSED');
    expect(JSON.stringify(logged['err'])).toContain('fixture.module.ts');
  });

  it('exits 0 on SIGTERM after answering the in-flight request', async () => {
    const inFlight = fetch(`${fixture.url}/fixture/slow`);
    await fixture.waitForLine((line) => line['msg'] === 'slow request started', 'the slow request');

    fixture.child.kill('SIGTERM');
    const response = await inFlight;

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    expect(await fixture.exited).toBe(0);
    const messages = fixture.lines.map((line) => line['msg']);
    expect(messages).toEqual(
      expect.arrayContaining([
        'shutting down',
        'slow request finishing',
        'draining fixture',
        'stopped',
      ]),
    );
    // The HTTP server is closed (in-flight answered) before the shutdown hooks run.
    expect(messages.indexOf('slow request finishing')).toBeLessThan(
      messages.indexOf('draining fixture'),
    );
    await waitFor(() => fixture.child.exitCode === 0, { description: 'exit code 0' });
  }, 30_000);
});

describe('a service process whose shutdown exceeds SHUTDOWN_TIMEOUT_MS', () => {
  let fixture: FixtureProcess;

  beforeAll(async () => {
    fixture = await startFixtureProcess('serve-fixture.ts', { SHUTDOWN_TIMEOUT_MS: '200' });
  }, 120_000);

  afterAll(async () => {
    if (fixture && fixture.child.exitCode === null) {
      fixture.child.kill('SIGKILL');
      await fixture.exited;
    }
  });

  it('exits 1 with an error log', async () => {
    const stuck = fetch(`${fixture.url}/fixture/stuck`).catch((error: unknown) => error);
    await fixture.waitForLine(
      (line) => line['msg'] === 'stuck request started',
      'the stuck request',
    );

    fixture.child.kill('SIGTERM');

    expect(await fixture.exited).toBe(1);
    expect(fixture.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'shutdown timed out; forcing exit' }),
    );
    // The stuck request never got an answer: the process ended under it.
    expect(String(await stuck)).toContain('fetch failed');
  }, 30_000);
});
