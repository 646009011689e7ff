import { ROOT_CONTEXT, SamplingDecision, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { instrumentations, recordsOnlySampledParents, samplerFor } from './telemetry';
import type { TelemetrySettings } from './telemetry-settings';

const settings = (tracesExporter: TelemetrySettings['tracesExporter']): TelemetrySettings => ({
  serviceName: 'test-service',
  nodeEnv: 'test',
  logLevel: 'info',
  tracesExporter,
});
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('samplerFor', () => {
  it('does not record traces a service without an exporter starts', () => {
    const sampler = samplerFor(settings('none'));
    const result = sampler?.shouldSample(ROOT_CONTEXT, traceId, 'GET /x', SpanKind.SERVER, {}, []);
    expect(result?.decision).toBe(SamplingDecision.NOT_RECORD);
  });

  it('still follows a sampled parent from a service that exports', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const result = samplerFor(settings('none'))?.shouldSample(
      parent,
      traceId,
      'GET /x',
      SpanKind.SERVER,
      {},
      [],
    );
    expect(result?.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('leaves sampling to OpenTelemetry when spans are exported or OTEL_TRACES_SAMPLER is set', () => {
    expect(samplerFor(settings('otlp'))).toBeUndefined();
    expect(samplerFor(settings('memory'))).toBeUndefined();
    expect(samplerFor({ ...settings('none'), tracesSampler: 'always_on' })).toBeUndefined();
  });
});

describe('recordsOnlySampledParents (the lean incoming HTTP path, docs/adr/0041)', () => {
  it('holds for our default without an exporter and for OTEL_TRACES_SAMPLER=parentbased_always_off', () => {
    expect(recordsOnlySampledParents(settings('none'))).toBe(true);
    expect(
      recordsOnlySampledParents({ ...settings('otlp'), tracesSampler: 'parentbased_always_off' }),
    ).toBe(true);
  });

  it('does not hold for the OTel default with an exporter or any other sampler', () => {
    expect(recordsOnlySampledParents(settings('otlp'))).toBe(false);
    expect(recordsOnlySampledParents(settings('memory'))).toBe(false);
    expect(recordsOnlySampledParents({ ...settings('none'), tracesSampler: 'always_on' })).toBe(
      false,
    );
    expect(
      recordsOnlySampledParents({ ...settings('none'), tracesSampler: 'parentbased_traceidratio' }),
    ).toBe(false);
  });
});

describe('instrumentations', () => {
  const names = (tracesExporter: TelemetrySettings['tracesExporter']): string[] => {
    const list = instrumentations({ tracesExporter });
    list.forEach((instrumentation) => instrumentation.disable());
    return list.map((instrumentation) => instrumentation.instrumentationName);
  };

  it('leaves out the span-only instrumentations when nothing is exported, keeping metrics and propagation', () => {
    const none = names('none');
    expect(none).toEqual(
      expect.arrayContaining([
        '@opentelemetry/instrumentation-http',
        '@opentelemetry/instrumentation-pg',
        '@opentelemetry/instrumentation-socket.io',
      ]),
    );
    expect(none).not.toContain('@opentelemetry/instrumentation-nestjs-core');
    expect(none).not.toContain('@opentelemetry/instrumentation-ioredis');
  });

  it('patches everything when spans are exported', () => {
    expect(names('otlp')).toEqual(
      expect.arrayContaining([
        '@opentelemetry/instrumentation-nestjs-core',
        '@opentelemetry/instrumentation-ioredis',
      ]),
    );
  });
});
