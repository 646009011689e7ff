import { context, trace, TraceFlags } from '@opentelemetry/api';
import { contextFromTraceparent, currentTraceId, currentTraceparent } from './trace-context';
import { shutdownTelemetry, startTelemetry } from './telemetry';

describe('trace context helpers', () => {
  beforeAll(() => {
    startTelemetry({ serviceName: 'trace-context-spec', env: { OTEL_TRACES_EXPORTER: 'none' } });
  });

  afterAll(() => shutdownTelemetry());

  it('returns undefined outside a span', () => {
    expect(currentTraceId()).toBeUndefined();
    expect(currentTraceparent()).toBeUndefined();
  });

  it('formats the active span as a W3C traceparent', () => {
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    };
    const span = trace.wrapSpanContext(spanContext);

    context.with(trace.setSpan(context.active(), span), () => {
      expect(currentTraceId()).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(currentTraceparent()).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    });
  });

  it('reads a traceparent back into a context, and ignores a missing or malformed one', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const remote = contextFromTraceparent(traceparent);
    expect(trace.getSpanContext(remote)).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      isRemote: true,
    });
    expect(currentTraceparent(remote)).toBe(traceparent);
    expect(trace.getSpanContext(contextFromTraceparent(undefined))).toBeUndefined();
    expect(trace.getSpanContext(contextFromTraceparent('not-a-traceparent'))).toBeUndefined();
  });

  it('gives spans a trace id even when no exporter is configured (and nothing is recorded)', () => {
    trace.getTracer('spec').startActiveSpan('work', (span) => {
      expect(currentTraceId()).toMatch(/^[0-9a-f]{32}$/);
      expect(span.isRecording()).toBe(false);
      span.end();
    });
  });
});
