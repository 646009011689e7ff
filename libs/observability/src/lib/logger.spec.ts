import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { createLogger, NestPinoLogger } from './logger';
import { resetSpans, shutdownTelemetry, startTelemetry } from './telemetry';

function captureStream(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  beforeAll(() => {
    startTelemetry({
      serviceName: 'logger-spec',
      env: { OTEL_TRACES_EXPORTER: 'memory', LOG_LEVEL: 'info' },
    });
  });

  afterEach(() => resetSpans());

  afterAll(() => shutdownTelemetry());

  it('writes JSON with service, logger name and level', () => {
    const { stream, lines } = captureStream();
    const sut = createLogger('dispatch', { destination: stream });

    sut.info({ incidentId: 'i-1' }, 'assigned');
    sut.debug('below the configured level');

    expect(lines()).toEqual([
      expect.objectContaining({
        service: 'logger-spec',
        logger: 'dispatch',
        level: 'info',
        msg: 'assigned',
        incidentId: 'i-1',
      }),
    ]);
  });

  it('redacts secrets at any of the first levels', () => {
    const { stream, lines } = captureStream();
    const sut = createLogger('auth', { destination: stream });

    sut.info(
      {
        password: 'hunter2',
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', accept: 'json' } },
        user: { token: 't0k', secret: 's3c' },
      },
      'login',
    );

    const line = JSON.stringify(lines()[0]);
    for (const secret of ['hunter2', 'Bearer abc', 'sid=1', 't0k', 's3c']) {
      expect(line).not.toContain(secret);
    }
    expect(lines()[0]).toMatchObject({
      password: '[redacted]',
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'json' } },
    });
  });

  it('adds trace_id and span_id of the active span, and none outside spans', () => {
    const { stream, lines } = captureStream();
    const sut = createLogger('tracing', { destination: stream });
    let expected: { traceId: string; spanId: string } | undefined;

    trace.getTracer('spec').startActiveSpan('work', (span) => {
      expected = span.spanContext();
      sut.info('inside');
      span.end();
    });
    sut.info('outside');

    const [inside, outside] = lines();
    expect(inside).toMatchObject({ trace_id: expected?.traceId, span_id: expected?.spanId });
    expect(expected?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outside).not.toHaveProperty('trace_id');
  });
});

describe('NestPinoLogger', () => {
  it('writes Nest messages as JSON with their context and error stack', () => {
    const { stream, lines } = captureStream();
    const sut = new NestPinoLogger(createLogger('nest', { destination: stream }));

    sut.log('Mapped {/health, GET} route', 'RouterExplorer');
    sut.error('boom', 'Error: boom\n    at x.ts:1', 'ExceptionsHandler');

    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Mapped {/health, GET} route',
        context: 'RouterExplorer',
      }),
      expect.objectContaining({
        level: 'error',
        msg: 'boom',
        context: 'ExceptionsHandler',
        stack: 'Error: boom\n    at x.ts:1',
      }),
    ]);
  });
});
